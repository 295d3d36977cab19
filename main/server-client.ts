// The desktop's client of the identity service: the contract's HTTP client
// (contract/http-client.ts) with this session's bearer token. Every operation goes through
// `request(operations.X, input)`; the few methods below are the ones whose tokens only main may
// hold (sign-in, restoring and ending a session, the security-key ceremonies' calls). Failures
// are the contract's ApiError, which crosses IPC as plain data.
import { ApiError } from '../contract/api-error.js';
import { createHttpClient, type HttpClient } from '../contract/http-client.js';
import type { AnswerOf, AnyInput, Operation } from '../contract/operation.js';
import { operations } from '../contract/operations.js';
import type { CurrentSession, MethodAdded, PasskeyOptions, Session, SignedIn, SignInInput, WebAuthnOptions } from '../preload/agentdesk-api.js';

export interface ServerClientHooks {
  /**
   * The server gave the session a new token (passing the second step, the first method's
   * enrollment); the old one has ended. Awaited before the answer goes on, so every later call
   * carries the new one.
   */
  onTokenRotated?(token: string): Promise<void> | void;
  /** A request that may rotate the token has been sent (its answer settles the promise). */
  onRotatableRequest?(request: Promise<unknown>): void;
  /** Any HTTP answer at all (the server is reachable). */
  onAnswer?(): void;
}

export class ServerClient {
  readonly baseUrl: string;
  readonly #http: HttpClient;
  /** Requests that carry no token, or another one than the session's (restore, queued sign-outs). */
  readonly #withToken = new Map<string | null, HttpClient>();

  /** `server` is the service's address (e.g. http://localhost:4800); the API lives under /api/v1. */
  constructor(
    server: string,
    private readonly token: () => string | null,
    private readonly hooks: ServerClientHooks = {},
  ) {
    this.baseUrl = `${new URL(server).origin}/api/v1`;
    this.#http = this.#client(() => this.token());
  }

  #client(token: () => string | null): HttpClient {
    return createHttpClient({
      baseUrl: this.baseUrl,
      authenticate: () => {
        const value = token();
        return value ? { headers: { authorization: `Bearer ${value}` } } : {};
      },
      onAnswer: () => this.hooks.onAnswer?.(),
      onTokenRotated: (rotated) => this.hooks.onTokenRotated?.(rotated),
    });
  }

  /** One operation of the contract with the session's token; a rotating one is reported to the session first. */
  request<O extends Operation>(op: O, input?: AnyInput): Promise<AnswerOf<O>> {
    const sent = this.#http.request(op, input);
    if (op.rotatesToken) this.hooks.onRotatableRequest?.(sent);
    return sent;
  }

  /** One operation with the given token (null: none), not the session's. */
  requestWith<O extends Operation>(token: string | null, op: O, input?: AnyInput): Promise<AnswerOf<O>> {
    let client = this.#withToken.get(token);
    if (!client) {
      client = this.#client(() => token);
      // Only the anonymous client is worth keeping; a token's is used once (restore, sign-out).
      if (token === null) this.#withToken.set(null, client);
    }
    return client.request(op, input);
  }

  /**
   * Signs in; the token is returned to the caller (main), never to the renderer. `deviceToken`
   * is sent only when the server issued one before. Only the three fields from the renderer go:
   * the device token is main's to send, never the page's.
   */
  async signIn(input: SignInInput, deviceToken?: string | null): Promise<SignedIn> {
    const body = { account: input.account, email: input.email, password: input.password, ...(deviceToken && { deviceToken }) };
    return signedIn(await this.requestWith(null, operations.signIn, { body }));
  }

  /** Sign in with a security key alone, step 1: WebAuthn request options for the account (no token). */
  passkeyOptions(account: string, deviceToken?: string | null): Promise<PasskeyOptions> {
    // This device's token: a desk the account signed in on asks with its own budget.
    return this.requestWith(null, operations.passkeyOptions, { body: { account, ...(deviceToken && { deviceToken }) } });
  }

  /** Step 2: the key's assertion; answers as signIn does (the token is main's, never the renderer's). */
  async signInWithPasskey(account: string, response: unknown, deviceToken?: string | null, challengeId?: unknown): Promise<SignedIn> {
    // The options' challengeId names the challenge; without one the server finds it by the signed value.
    const body = { account, response, ...(typeof challengeId === 'string' && { challengeId }), ...(deviceToken && { deviceToken }) };
    return signedIn(await this.requestWith(null, operations.signInWithPasskey, { body }));
  }

  /** The session of `token` (default: the session's), in any state. */
  currentSession(token?: string | null): Promise<CurrentSession> {
    return token === undefined ? this.request(operations.getCurrentSession) : this.requestWith(token, operations.getCurrentSession);
  }

  signOut(token?: string | null): Promise<void> {
    return token === undefined ? this.request(operations.signOut) : this.requestWith(token, operations.signOut);
  }

  /** Asks for a reset link; `deviceToken`: the owner's own desk has its own budget of reset mails. */
  async requestPasswordReset(account: string, email: string, deviceToken?: string | null): Promise<void> {
    await this.requestWith(null, operations.requestPasswordReset, { body: { account, email, ...(deviceToken && { deviceToken }) } });
  }

  /** WebAuthn request options (PublicKeyCredentialRequestOptionsJSON) for the second step. */
  securityKeyAssertionOptions(): Promise<WebAuthnOptions> {
    return this.request(operations.securityKeyOptions);
  }

  async passSecondFactorWithSecurityKey(response: unknown): Promise<Session> {
    return (await this.request(operations.passSecondFactor, { body: { method: 'security_key', response } })).session;
  }

  /** WebAuthn creation options (PublicKeyCredentialCreationOptionsJSON) for a new security key; `passwordless`: for sign-in with the key alone. */
  securityKeyRegistrationOptions(passwordless?: boolean): Promise<WebAuthnOptions> {
    return this.request(operations.securityKeyRegistrationOptions, { body: passwordless ? { passwordless: true } : {} });
  }

  addSecurityKey(name: string, response: unknown): Promise<MethodAdded> {
    return this.request(operations.registerSecurityKey, { body: { name, response } });
  }

  /** The address of the event stream, for the SessionEvents client. */
  get eventsUrl(): string {
    return this.#http.url(operations.events);
  }
}

function signedIn(answer: SignedIn): SignedIn {
  if (typeof answer.token !== 'string' || !answer.token) throw new ApiError('unexpected_response', 'The server did not return a session token.');
  return answer;
}
