// The desktop's session, owned by main: the token (in the keychain, never in the renderer), the
// one ServerClient that carries it, and the event stream that ends it. Restored at start,
// deleted on sign-out and the moment the server revokes it.
//
// Signing out is not done until the server says so. The token goes into a queue of revocations
// in the keychain first, and leaves it only when the server confirmed (204, or 401: already
// ended); while the server cannot be reached, the queue is sent again with back-off, on every
// start, and whenever the server answers anything. Contact-centre desks are shared: a sign-out
// that only forgot the token locally would leave the session alive for whoever finds it.
import type { AccountUpdated, CurrentSession, MethodAdded, ServerConnectionChanged, SessionRevoked, SignInInput } from '../preload/agentdesk-api.js';
import { ApiError } from '../contract/api-error.js';
import { ServerClient } from './server-client.js';
import type { SignedIn } from '../contract/answers.js';
import type { PasskeySignInServer } from './security-key-ceremony.js';
import { backoffDelay, connectSessionEvents, type SessionEventsConnection, type SessionEventsOptions } from './session-events.js';
import type { SessionStore } from './session-store.js';
import type { DeskSettings } from './desk-settings.js';
import { operations } from '../contract/operations.js';
import { signInWithSso } from './sso-loopback.js';

export interface DesktopSessionOptions {
  /** The server's address (http(s) origin). */
  server: string;
  /** The name the keychain entries are filed under; the server's origin unless told otherwise. */
  storeKey?: string;
  store: SessionStore;
  /** Whether this desk is shared (asked once per desk), sent with every sign-in; absent: never said. */
  desk?: DeskSettings;
  onRevoked(event: SessionRevoked): void;
  /** An admin saved the account's security settings (pushed on the event stream). */
  onAccountUpdated?(event: AccountUpdated): void;
  /** The event stream lost the server, or has it back: each change once, for the window's banner. */
  onServerConnection?(event: ServerConnectionChanged): void;
  log?(line: string): void;
  /** Tunes the event stream's reconnects (tests). */
  events?: Pick<SessionEventsOptions, 'initialDelayMs' | 'maxDelayMs' | 'idleTimeoutMs'>;
  /** Tunes the retries of unconfirmed sign-outs (tests); 1 s doubling to 60 s by default. */
  revocationRetry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long a single sign-on waits for the browser to come back (5 minutes by default; tests shorten it). */
  ssoTimeoutMs?: number;
}

export class DesktopSession {
  readonly client: ServerClient;
  readonly #options: DesktopSessionOptions;
  readonly #storeKey: string;
  /** The single sign-on waiting for the system browser, if any. */
  #sso: AbortController | null = null;
  readonly #log: (line: string) => void;
  #token: string | null = null;
  #account: string | null = null;
  #events: SessionEventsConnection | undefined;
  /** The window was told the stream dropped and not yet that it is back (kept across a token's new stream). */
  #streamDown = false;
  /** Recovery codes shown and not yet confirmed as saved: kept here (never on disk) across a reload. */
  #pendingCodes: string[] | null = null;
  /** Requests that may give the session a new token, in flight. */
  readonly #rotating = new Set<Promise<unknown>>();
  #flushing: Promise<void> | undefined;
  #revocationsPending = false;
  #retryAttempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: DesktopSessionOptions) {
    this.#options = options;
    this.#storeKey = options.storeKey ?? options.server;
    this.#log = options.log ?? (() => {});
    this.client = new ServerClient(options.server, () => this.#token, {
      onTokenRotated: (token) => this.#rotated(token),
      onRotatableRequest: (request) => {
        this.#rotating.add(request);
        void request.catch(() => undefined).finally(() => this.#rotating.delete(request));
      },
      // The server answers again: send what it has not confirmed yet.
      onAnswer: () => {
        if (this.#revocationsPending && !this.#flushing) void this.flushRevocations();
      },
    });
  }

  get signedIn(): boolean {
    return this.#token !== null;
  }

  /** The slug of the account signed in to, if any. */
  get account(): string | null {
    return this.#account;
  }

  async signIn(input: SignInInput): Promise<CurrentSession> {
    const deviceToken = await this.#options.store.getDeviceToken(this.#storeKey);
    const answer = await this.client.signIn(input, deviceToken);
    // The device token names this device to the server; it outlives every session.
    if (typeof answer.deviceToken === 'string' && answer.deviceToken && answer.deviceToken !== deviceToken) {
      await this.#options.store.setDeviceToken(this.#storeKey, answer.deviceToken);
    }
    // One session per app: signing in as someone else ends the previous session everywhere.
    if (this.#token && this.#token !== answer.token) await this.#endCurrent();
    await this.#hold(answer.account.slug, answer.token);
    return this.#declareDesk(answer);
  }

  /** Asks for a reset link from this device (its token: the owner's own desk is never silenced by strangers). */
  async requestPasswordReset(account: string, email: string): Promise<void> {
    await this.client.requestPasswordReset(account, email, await this.#options.store.getDeviceToken(this.#storeKey));
  }

  /**
   * Sign in with a security key alone: `ceremony` runs the key against the two passkey calls
   * (main/security-key-ceremony.ts signInWithPasskey); the answer is held as a password sign-in's is.
   */
  async signInWithPasskey(account: string, ceremony: (server: PasskeySignInServer<SignedIn>) => Promise<SignedIn>): Promise<CurrentSession> {
    const deviceToken = await this.#options.store.getDeviceToken(this.#storeKey);
    const answer = await ceremony({
      passkeyOptions: (slug) => this.client.passkeyOptions(slug, deviceToken),
      signInWithPasskey: (slug, response, requestOptions) =>
        this.client.signInWithPasskey(slug, response, deviceToken, (requestOptions as { challengeId?: unknown }).challengeId),
    });
    if (typeof answer.deviceToken === 'string' && answer.deviceToken && answer.deviceToken !== deviceToken) {
      await this.#options.store.setDeviceToken(this.#storeKey, answer.deviceToken);
    }
    if (this.#token && this.#token !== answer.token) await this.#endCurrent();
    await this.#hold(answer.account.slug, answer.token);
    return this.#declareDesk(answer);
  }

  /**
   * Sign in with one of the account's identity providers in the system browser (`openBrowser`:
   * Electron's shell.openExternal; never an embedded window), back through a loopback redirect
   * (main/sso-loopback.ts); the answer is held as a password sign-in's is.
   */
  async signInWithSso(input: { account: string; provider: string }, openBrowser: (url: string) => Promise<unknown> | void): Promise<CurrentSession> {
    // One wait for the browser at a time: a second start (another provider) ends the first.
    this.#sso?.abort();
    const waiting = new AbortController();
    this.#sso = waiting;
    let answer: Awaited<ReturnType<typeof signInWithSso>>;
    try {
      const deviceToken = await this.#options.store.getDeviceToken(this.#storeKey);
      answer = await signInWithSso(this.client, {
        ...input,
        deviceToken,
        openBrowser,
        signal: waiting.signal,
        ...(this.#options.ssoTimeoutMs !== undefined && { timeoutMs: this.#options.ssoTimeoutMs }),
      });
      // Cancelled after the code came back: nothing is held, as the agent was told.
      if (waiting.signal.aborted) throw new ApiError('sso_cancelled', 'Single sign-on was cancelled.');
    } finally {
      if (this.#sso === waiting) this.#sso = null;
    }
    const deviceToken = await this.#options.store.getDeviceToken(this.#storeKey);
    if (typeof answer.deviceToken === 'string' && answer.deviceToken && answer.deviceToken !== deviceToken) {
      await this.#options.store.setDeviceToken(this.#storeKey, answer.deviceToken);
    }
    if (this.#token && this.#token !== answer.token) await this.#endCurrent();
    await this.#hold(answer.account.slug, answer.token);
    return this.#declareDesk(answer);
  }

  /** Whether this desk is shared: true, false, or null when it was never asked (the browser has no desk). */
  async deskSharing(): Promise<{ shared: boolean | null }> {
    return { shared: (await this.#options.desk?.shared()) ?? null };
  }

  /**
   * The agent's answer to "Is this computer shared with other agents?": kept for every later
   * sign-in, and said at once of the session signed in now (its second step offers remembering
   * only on a personal desk).
   */
  async setDeskSharing(shared: boolean): Promise<void> {
    const desk = this.#options.desk;
    if (!desk) throw new ApiError('unexpected_response', 'This app cannot keep whether the computer is shared.');
    await desk.setShared(shared);
    if (this.#token) await this.client.request(operations.declareCurrentDevice, { body: { shared } });
  }

  /**
   * Every sign-in says what the desk is, once the agent answered: the server remembers no one on
   * a shared desk. A desk the server knows as shared stays shared here too. Failing to say it
   * fails nothing (the device stays undeclared, so it is not remembered); the answer tells the
   * second step what the server now knows.
   */
  async #declareDesk(answer: SignedIn): Promise<CurrentSession> {
    const current: CurrentSession = { session: answer.session, user: answer.user, methods: answer.methods, account: answer.account, ...(answer.grace !== undefined ? { grace: answer.grace } : {}) };
    let offer = answer.rememberDevice;
    const shared = await this.#options.desk?.shared();
    if (shared !== undefined && shared !== null) {
      try {
        await this.client.request(operations.declareCurrentDevice, { body: { shared } });
        if (offer) offer = { ...offer, shared };
      } catch (error) {
        if (error instanceof ApiError && error.code === 'device_marked_shared') {
          await this.#options.desk!.setShared(true);
          if (offer) offer = { ...offer, shared: true };
        } else {
          this.#log(`AgentDesk: could not say whether this desk is shared: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    return offer ? { ...current, rememberDevice: offer } : current;
  }

  /** Stops waiting for the system browser (the agent pressed Cancel): the sign-in ends in sso_cancelled. */
  cancelSso(): void {
    this.#sso?.abort();
  }

  /** The session this app holds, restoring it from the keychain at start; null when none. */
  async current(): Promise<CurrentSession | null> {
    if (this.#token) {
      try {
        return await this.client.currentSession();
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'unauthenticated')) throw error;
        await this.#forget();
        return null;
      }
    }
    return this.restore();
  }

  /** Tries the sessions kept in the keychain for this server; drops the ones the server no longer knows. */
  async restore(): Promise<CurrentSession | null> {
    // At start: first what earlier runs could not sign out.
    await this.flushRevocations();
    const revoking = new Set(await this.#options.store.pendingRevocations(this.#storeKey));
    for (const stored of await this.#options.store.list(this.#storeKey)) {
      // Signed out, and the server not told yet: never signed back in by a restart.
      if (revoking.has(stored.token)) {
        await this.#options.store.delete(this.#storeKey, stored.account);
        continue;
      }
      try {
        const current = await this.client.currentSession(stored.token);
        await this.#hold(stored.account, stored.token, false);
        return current;
      } catch (error) {
        // Unreachable server: keep the token for the next try.
        if (!(error instanceof ApiError && error.code === 'unauthenticated')) throw error;
        await this.#options.store.delete(this.#storeKey, stored.account);
      }
    }
    return null;
  }

  /**
   * Signs out: at once on this device (the token leaves the session entry), and on the server
   * as soon as it answers (the token waits in the keychain's revocation queue until then).
   */
  async signOut(): Promise<void> {
    await this.#endCurrent();
  }

  /**
   * Sends every queued revocation once; what the server could not be reached for (or refused
   * for a reason other than "already ended") stays queued and is tried again with back-off.
   */
  flushRevocations(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = (async () => {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      let left = 0;
      let failure: string | undefined;
      for (const token of await this.#options.store.pendingRevocations(this.#storeKey)) {
        try {
          await this.client.signOut(token);
          await this.#options.store.revocationDone(this.#storeKey, token);
        } catch (error) {
          if (error instanceof ApiError && error.code === 'unauthenticated') {
            await this.#options.store.revocationDone(this.#storeKey, token);
          } else {
            left++;
            failure = error instanceof Error ? error.message : String(error);
          }
        }
      }
      this.#revocationsPending = left > 0;
      if (left > 0) this.#scheduleRetry(left, failure);
      else this.#retryAttempt = 0;
    })().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  #scheduleRetry(left: number, why: string | undefined): void {
    if (this.#closed) return;
    const delay = backoffDelay(this.#retryAttempt++, this.#options.revocationRetry?.initialDelayMs ?? 1_000, this.#options.revocationRetry?.maxDelayMs ?? 60_000);
    this.#log(`AgentDesk: ${left} sign-out(s) not confirmed by the server (${why ?? 'no answer'}); trying again in ${delay} ms`);
    this.#retryTimer = setTimeout(() => void this.flushRevocations(), delay);
    this.#retryTimer.unref?.();
  }

  /** Recovery codes from an enrollment or a regeneration, kept until the user confirms saving them. */
  keepRecoveryCodes<T extends MethodAdded | string[]>(result: T): T {
    const codes = Array.isArray(result) ? result : result.recoveryCodes;
    if (codes?.length) this.#pendingCodes = [...codes];
    return result;
  }

  pendingRecoveryCodes(): string[] | null {
    return this.#pendingCodes ? [...this.#pendingCodes] : null;
  }

  recoveryCodesSaved(): void {
    this.#pendingCodes = null;
  }

  /** Stops the event stream and the retries (app quitting); the session and the queue stay in the keychain for next time. */
  close(): void {
    this.#closed = true;
    this.#stopEvents();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #stopEvents(): void {
    this.#events?.close();
    this.#events = undefined;
  }

  async #hold(account: string, token: string, save = true): Promise<void> {
    this.#closed = false;
    this.#token = token;
    this.#account = account;
    if (save) await this.#options.store.set(this.#storeKey, account, token);
    this.#listen(token);
  }

  #listen(token: string): void {
    this.#stopEvents();
    this.#events = connectSessionEvents({
      url: this.client.eventsUrl,
      token,
      ...this.#options.events,
      ...(this.#options.log && { log: this.#options.log }),
      onRevoked: (reason) => void this.#revoked(token, reason),
      onAccountUpdated: (event) => this.#options.onAccountUpdated?.(event),
      onConnectionChange: (state) => this.#streamState(state),
      // Back in touch with the server: what it has not confirmed yet goes now.
      onConnected: () => {
        // Also the first `ready` of a stream opened after a drop with a new token.
        this.#streamState('restored');
        if (this.#revocationsPending) void this.flushRevocations();
      },
    });
  }

  #streamState(state: ServerConnectionChanged['state']): void {
    if (this.#streamDown === (state === 'dropped')) return;
    this.#streamDown = state === 'dropped';
    this.#options.onServerConnection?.({ state });
  }

  /** The server gave this session a new token and ended the old one: keep and use the new one. */
  async #rotated(token: string): Promise<void> {
    const account = this.#account;
    if (!this.#token || !account || token === this.#token) return;
    this.#token = token;
    await this.#options.store.set(this.#storeKey, account, token);
    // The stream was opened with the old token, which no longer exists.
    this.#listen(token);
  }

  async #revoked(token: string, reason: string): Promise<void> {
    // The old token's stream may end while its rotation is still being answered.
    if (this.#rotating.size) await Promise.allSettled([...this.#rotating]);
    if (this.#token !== token) return;
    await this.#forget();
    this.#options.onRevoked({ reason });
  }

  async #endCurrent(): Promise<void> {
    const token = this.#token;
    if (!token) return;
    // Queued before it is forgotten: a crash in between leaves it queued, never lost.
    await this.#options.store.queueRevocation(this.#storeKey, token);
    this.#revocationsPending = true;
    await this.#forget();
    await this.flushRevocations();
  }

  async #forget(): Promise<void> {
    const account = this.#account;
    this.#stopEvents();
    this.#token = null;
    this.#account = null;
    this.#pendingCodes = null;
    if (account) await this.#options.store.delete(this.#storeKey, account);
  }
}
