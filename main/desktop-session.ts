// The desktop's session, owned by main: the token (in the keychain, never in the renderer), the
// one ServerClient that carries it, and the event stream that ends it. Restored at start,
// deleted on sign-out and the moment the server revokes it.
import type { CurrentSession, SessionRevoked, SignInInput } from '../preload/agentdesk-api.js';
import { DesktopError, ServerClient } from './server-client.js';
import { connectSessionEvents, type SessionEventsConnection, type SessionEventsOptions } from './session-events.js';
import type { SessionStore } from './session-store.js';

export interface DesktopSessionOptions {
  /** The server's address (http(s) origin). */
  server: string;
  /** The name the keychain entries are filed under; the server's origin unless told otherwise. */
  storeKey?: string;
  store: SessionStore;
  onRevoked(event: SessionRevoked): void;
  log?(line: string): void;
  /** Tunes the event stream's reconnects (tests). */
  events?: Pick<SessionEventsOptions, 'initialDelayMs' | 'maxDelayMs' | 'idleTimeoutMs'>;
}

export class DesktopSession {
  readonly client: ServerClient;
  readonly #options: DesktopSessionOptions;
  readonly #storeKey: string;
  #token: string | null = null;
  #account: string | null = null;
  #events: SessionEventsConnection | undefined;

  constructor(options: DesktopSessionOptions) {
    this.#options = options;
    this.#storeKey = options.storeKey ?? options.server;
    this.client = new ServerClient(options.server, () => this.#token);
  }

  get signedIn(): boolean {
    return this.#token !== null;
  }

  /** The slug of the account signed in to, if any. */
  get account(): string | null {
    return this.#account;
  }

  async signIn(input: SignInInput): Promise<CurrentSession> {
    const answer = await this.client.signIn(input);
    // One session per app: signing in as someone else ends the previous session everywhere.
    if (this.#token && this.#token !== answer.token) await this.#endCurrent();
    await this.#hold(answer.account.slug, answer.token);
    return { session: answer.session, user: answer.user, methods: answer.methods, account: answer.account };
  }

  /** The session this app holds, restoring it from the keychain at start; null when none. */
  async current(): Promise<CurrentSession | null> {
    if (this.#token) {
      try {
        return await this.client.currentSession();
      } catch (error) {
        if (!(error instanceof DesktopError && error.code === 'unauthenticated')) throw error;
        await this.#forget();
        return null;
      }
    }
    return this.restore();
  }

  /** Tries the sessions kept in the keychain for this server; drops the ones the server no longer knows. */
  async restore(): Promise<CurrentSession | null> {
    for (const stored of await this.#options.store.list(this.#storeKey)) {
      try {
        const current = await this.client.currentSession(stored.token);
        await this.#hold(stored.account, stored.token, false);
        return current;
      } catch (error) {
        // Unreachable server: keep the token for the next try.
        if (!(error instanceof DesktopError && error.code === 'unauthenticated')) throw error;
        await this.#options.store.delete(this.#storeKey, stored.account);
      }
    }
    return null;
  }

  async signOut(): Promise<void> {
    await this.#endCurrent();
  }

  /** Stops the event stream (app quitting); the session stays in the keychain for next time. */
  close(): void {
    this.#events?.close();
    this.#events = undefined;
  }

  async #hold(account: string, token: string, save = true): Promise<void> {
    this.close();
    this.#token = token;
    this.#account = account;
    if (save) await this.#options.store.set(this.#storeKey, account, token);
    this.#events = connectSessionEvents({
      url: this.client.eventsUrl,
      token,
      ...this.#options.events,
      ...(this.#options.log && { log: this.#options.log }),
      onRevoked: (reason) => void this.#revoked(token, reason),
    });
  }

  async #revoked(token: string, reason: string): Promise<void> {
    if (this.#token !== token) return;
    await this.#forget();
    this.#options.onRevoked({ reason });
  }

  async #endCurrent(): Promise<void> {
    const token = this.#token;
    if (!token) return;
    await this.#forget();
    try {
      await this.client.signOut(token);
    } catch (error) {
      // Already gone is as good as signed out; an unreachable server lets the session expire.
      if (!(error instanceof DesktopError && (error.code === 'unauthenticated' || error.code === 'network_error'))) throw error;
    }
  }

  async #forget(): Promise<void> {
    const account = this.#account;
    this.close();
    this.#token = null;
    this.#account = null;
    if (account) await this.#options.store.delete(this.#storeKey, account);
  }
}
