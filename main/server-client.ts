// The one HTTP client the desktop has for the identity service: JSON over fetch with the
// session's bearer token, one method per API call of docs/api.md. Failures become a
// DesktopError carrying the server's stable error code, which crosses IPC as plain data.
import type {
  AccountSummary,
  AuditPage,
  AuthenticatorAppSetup,
  CreateAccountInput,
  CurrentSession,
  EnforcementImpact,
  Me,
  Method,
  MethodAdded,
  MySession,
  NewUserInput,
  SaveSecuritySettingsInput,
  SecondFactorPolicy,
  SecurityPolicy,
  SecuritySettings,
  SecuritySettingsSaved,
  Session,
  SignInInput,
  SignupStatus,
  TwoFactorReset,
  TypedSecondFactor,
  User,
  UserListQuery,
  UserPage,
  InvitationSent,
  UserChange,
  UserChanged,
  LinkSent,
  ImportResult,
  InvitationPreview,
} from '../preload/agentdesk-api.js';
import type { AuditFilter, EnrollmentCode, Language, SecurityActivityPage, SecurityAlert } from '../preload/agentdesk-api.js';

/** The audit log's filters as query parameters (list and CSV export). */
function auditQuery(filter: AuditFilter): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['userId', 'action', 'from', 'to'] as const) if (filter[key]) query.set(key, filter[key]!);
  return query;
}

/** The users list's query string (also the export's, which ignores sort and page). */
export function usersQuery(query: UserListQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  return params.size ? `?${params}` : '';
}

/**
 * Refusals the agent is told in our words rather than the server's, by code and reason: what
 * the agent can do about them. A counter regression is not the agent's to investigate.
 */
const messagesByReason: Record<string, string> = {
  'security_key_rejected:counter_regression': 'This key may be a copy: ask your administrator.',
};

/** An error with the stable code the renderer branches on (server codes and ClientErrorCode). */
export class DesktopError extends Error {
  override readonly name = 'DesktopError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterSeconds: number | null = null,
    /** 429 of a lock-out (`locked: true`) rather than a short throttle. */
    readonly locked = false,
    /** Why: a session the server ended (401, the reasons of session.revoked), a key that may be a copy (security_key_rejected: counter_regression). */
    readonly reason: string | null = null,
  ) {
    super((reason && messagesByReason[`${code}:${reason}`]) || message);
  }
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SignedIn extends CurrentSession {
  token: string;
  /** This device's token: new on its first sign-in, else the one sent. Absent from older servers. */
  deviceToken?: string;
}

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

/** An enrollment's answer as the renderer gets it: never the token. */
function withoutToken(answer: MethodAdded & { token?: unknown }): MethodAdded {
  return { method: answer.method, session: answer.session, ...(answer.recoveryCodes && { recoveryCodes: answer.recoveryCodes }), ...(typeof answer.otherSessions === 'number' && { otherSessions: answer.otherSessions }) };
}

const REQUEST_TIMEOUT_MS = 30_000;

export class ServerClient {
  readonly baseUrl: string;

  /** `server` is the service's address (e.g. http://localhost:4800); the API lives under /api/v1. */
  constructor(
    server: string,
    private readonly token: () => string | null,
    private readonly hooks: ServerClientHooks = {},
  ) {
    this.baseUrl = `${new URL(server).origin}/api/v1`;
  }

  /** Sends a request whose answer may carry a new token, and takes the new token before anything else. */
  async #rotating<T extends { token?: unknown }>(method: HttpMethod, path: string, body: unknown): Promise<T> {
    const request = (async () => {
      const answer = await this.call<T>(method, path, body);
      if (typeof answer.token === 'string' && answer.token) await this.hooks.onTokenRotated?.(answer.token);
      return answer;
    })();
    this.hooks.onRotatableRequest?.(request);
    return request;
  }

  async call<T>(method: HttpMethod, path: string, body?: unknown, token = this.token()): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw new DesktopError('network_error', 'The AgentDesk server cannot be reached. Check your connection and try again.');
    }
    this.hooks.onAnswer?.();
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let payload: unknown = null;
    try {
      payload = text ? JSON.parse(text) : null;
    } catch {
      payload = null;
    }
    if (!response.ok) {
      const error = (payload as { error?: { code?: unknown; message?: unknown; retryAfterSeconds?: unknown; locked?: unknown; reason?: unknown } } | null)?.error;
      const retryHeader = Number(response.headers.get('retry-after'));
      throw new DesktopError(
        typeof error?.code === 'string' ? error.code : 'unexpected_response',
        typeof error?.message === 'string' ? error.message : `The server answered ${response.status}.`,
        response.status,
        typeof error?.retryAfterSeconds === 'number' ? error.retryAfterSeconds : Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null,
        error?.locked === true,
        typeof error?.reason === 'string' ? error.reason : null,
      );
    }
    if (payload === null) throw new DesktopError('unexpected_response', `The server answered ${response.status} without JSON.`, response.status);
    return payload as T;
  }

  /** Whether an account can be created here; asked before anyone signs in, so without a token. */
  signupStatus() {
    return this.call<SignupStatus>('GET', '/signup', undefined, null);
  }

  createAccount(input: CreateAccountInput) {
    return this.call<{ account: AccountSummary; user: User }>('POST', '/accounts', input);
  }

  /**
   * Signs in; the token is returned to the caller (main), never to the renderer. `deviceToken`
   * is sent only when the server issued one before (an older server would refuse the field).
   */
  async signIn(input: SignInInput, deviceToken?: string | null): Promise<SignedIn> {
    // Only the three fields from the renderer: the device token is main's to send, never the page's.
    const body = { account: input.account, email: input.email, password: input.password };
    const answer = await this.call<SignedIn>('POST', '/sessions', deviceToken ? { ...body, deviceToken } : body, null);
    if (typeof answer.token !== 'string') throw new DesktopError('unexpected_response', 'The server did not return a session token.');
    return answer;
  }

  /** Sign in with a security key alone, step 1: WebAuthn request options for the account (no token). */
  passkeyOptions(account: string, deviceToken?: string | null) {
    // This device's token: a desk the account signed in on asks with its own budget.
    return this.call<Record<string, unknown>>('POST', '/sessions/passkey-options', deviceToken ? { account, deviceToken } : { account }, null);
  }

  /** Step 2: the key's assertion; answers as signIn does (the token is main's, never the renderer's). */
  async signInWithPasskey(account: string, response: unknown, deviceToken?: string | null, challengeId?: unknown): Promise<SignedIn> {
    // The options' challengeId names the challenge; without one the server finds it by the signed value.
    const body = { account, response, ...(typeof challengeId === 'string' && { challengeId }) };
    const answer = await this.call<SignedIn>('POST', '/sessions/passkey', deviceToken ? { ...body, deviceToken } : body, null);
    if (typeof answer.token !== 'string') throw new DesktopError('unexpected_response', 'The server did not return a session token.');
    return answer;
  }

  /** What the account accepts (second-factor policy, passwordless sign-in). */
  securityPolicy() {
    return this.call<SecurityPolicy>('GET', '/me/security-policy');
  }

  currentSession(token?: string | null) {
    return this.call<CurrentSession>('GET', '/sessions/current', undefined, token === undefined ? this.token() : token);
  }

  async passSecondFactor(input: TypedSecondFactor): Promise<Session> {
    return (await this.#rotating<{ session: Session; token?: string }>('POST', '/sessions/current/second-factor', input)).session;
  }

  /** WebAuthn request options (PublicKeyCredentialRequestOptionsJSON) for the second step. */
  securityKeyAssertionOptions() {
    return this.call<Record<string, unknown>>('POST', '/sessions/current/security-key-options', {});
  }

  async passSecondFactorWithSecurityKey(response: unknown): Promise<Session> {
    return (await this.#rotating<{ session: Session; token?: string }>('POST', '/sessions/current/second-factor', { method: 'security_key', response })).session;
  }

  signOut(token?: string | null) {
    return this.call<void>('DELETE', '/sessions/current', undefined, token === undefined ? this.token() : token);
  }

  me() {
    return this.call<Me>('GET', '/me');
  }

  startAuthenticatorApp(name?: string) {
    return this.call<AuthenticatorAppSetup>('POST', '/me/methods/totp', name ? { name } : {});
  }

  async confirmAuthenticatorApp(id: string, code: string): Promise<MethodAdded> {
    return withoutToken(await this.#rotating<MethodAdded & { token?: string }>('POST', `/me/methods/totp/${encodeURIComponent(id)}/confirm`, { code }));
  }

  /** WebAuthn creation options (PublicKeyCredentialCreationOptionsJSON) for a new security key. */
  /** `passwordless`: for sign-in with the key alone (a discoverable credential, user verification). */
  securityKeyRegistrationOptions(passwordless?: boolean) {
    return this.call<Record<string, unknown>>('POST', '/me/methods/security-keys/options', passwordless ? { passwordless: true } : {});
  }

  async addSecurityKey(name: string, response: unknown): Promise<MethodAdded> {
    return withoutToken(await this.#rotating<MethodAdded & { token?: string }>('POST', '/me/methods/security-keys', { name, response }));
  }

  async renameMethod(id: string, name: string): Promise<Method> {
    return (await this.call<{ method: Method }>('PATCH', `/me/methods/${encodeURIComponent(id)}`, { name })).method;
  }

  setMyLanguage(language: Language | null) {
    return this.call<{ language: Language | null }>('PUT', '/me/language', { language });
  }

  removeMethod(id: string) {
    return this.call<{ otherSessions: number }>('DELETE', `/me/methods/${encodeURIComponent(id)}`);
  }

  async regenerateRecoveryCodes(): Promise<string[]> {
    return (await this.call<{ recoveryCodes: string[] }>('POST', '/me/recovery-codes', {})).recoveryCodes;
  }

  securitySettings() {
    return this.call<SecuritySettings>('GET', '/account/security-settings');
  }

  enforcementImpact(secondFactorPolicy?: SecondFactorPolicy) {
    return this.call<EnforcementImpact>('GET', `/account/security-settings/impact${secondFactorPolicy ? `?secondFactorPolicy=${secondFactorPolicy}` : ''}`);
  }

  saveSecuritySettings(input: SaveSecuritySettingsInput) {
    return this.call<SecuritySettingsSaved>('PUT', '/account/security-settings', input);
  }

  listUsers(query: UserListQuery = {}) {
    return this.call<UserPage>('GET', `/account/users${usersQuery(query)}`);
  }

  inviteUser(input: NewUserInput) {
    return this.call<InvitationSent>('POST', '/account/users', input);
  }

  updateUser(userId: string, change: UserChange) {
    return this.call<UserChanged>('PATCH', `/account/users/${encodeURIComponent(userId)}`, change);
  }

  deleteUser(userId: string) {
    return this.call<{ revokedSessions: number }>('DELETE', `/account/users/${encodeURIComponent(userId)}`);
  }

  resendInvitation(userId: string) {
    return this.call<InvitationSent>('POST', `/account/users/${encodeURIComponent(userId)}/invitation`);
  }

  sendPasswordReset(userId: string) {
    return this.call<LinkSent>('POST', `/account/users/${encodeURIComponent(userId)}/password-reset`);
  }

  async liftLockout(userId: string): Promise<void> {
    await this.call('DELETE', `/account/users/${encodeURIComponent(userId)}/lockout`);
  }

  signUserOutEverywhere(userId: string) {
    return this.call<{ revokedSessions: number }>('DELETE', `/account/users/${encodeURIComponent(userId)}/sessions`);
  }

  signEveryoneElseOut() {
    return this.call<{ revokedSessions: number; signedOutUsers: number }>('DELETE', '/account/sessions');
  }

  /** The compliance report: CSV, not JSON. */
  async exportUsers(filters: UserListQuery = {}): Promise<string> {
    const response = await this.csvRequest('GET', `/account/users/export${usersQuery(filters)}`);
    return response.text();
  }

  async importUsers(csv: string, dryRun: boolean): Promise<ImportResult> {
    const response = await this.csvRequest('POST', `/account/users/import${dryRun ? '?dryRun=true' : ''}`, csv);
    return (await response.json()) as ImportResult;
  }

  /** A request whose body or answer is CSV; errors come back as JSON like every other call's. */
  private async csvRequest(method: 'GET' | 'POST', path: string, csv?: string): Promise<Response> {
    const token = this.token();
    const headers: Record<string, string> = { accept: 'text/csv, application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (csv !== undefined) headers['content-type'] = 'text/csv';
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, { method, headers, ...(csv !== undefined && { body: csv }), redirect: 'error', signal: AbortSignal.timeout(60_000) });
    } catch {
      throw new DesktopError('network_error', 'The AgentDesk server cannot be reached. Check your connection and try again.');
    }
    this.hooks.onAnswer?.();
    if (!response.ok) {
      const payload = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
      const code = typeof payload?.error?.code === 'string' ? payload.error.code : 'unexpected_response';
      const message = typeof payload?.error?.message === 'string' ? payload.error.message : `The server answered ${response.status}.`;
      throw new DesktopError(code, message, response.status, null, false, null);
    }
    return response;
  }

  previewInvitation(token: string) {
    return this.call<InvitationPreview>('POST', '/invitations/preview', { token }, null);
  }

  acceptInvitation(token: string, password: string) {
    return this.call<{ account: { name: string; slug: string }; user: User }>('POST', '/invitations/accept', { token, password }, null);
  }

  async requestPasswordReset(account: string, email: string, deviceToken?: string | null): Promise<void> {
    // This device's token: the owner's own desk has its own budget of reset mails.
    await this.call('POST', '/password-resets', deviceToken ? { account, email, deviceToken } : { account, email }, null);
  }

  completePasswordReset(token: string, newPassword: string) {
    return this.call<{ account: string; email: string }>('POST', '/password-resets/complete', { token, newPassword }, null);
  }

  changePassword(currentPassword: string, newPassword: string) {
    return this.call<{ revokedSessions: number; otherSessions: number }>('PUT', '/me/password', { currentPassword, newPassword });
  }

  /** Re-authentication by password: answers a new token, adopted like the second step's. */
  async confirmPassword(password: string) {
    const answer = await this.#rotating<{ passwordAt: string; token?: string }>('POST', '/sessions/current/password', { password });
    return { passwordAt: answer.passwordAt };
  }

  resetUserTwoFactor(userId: string) {
    return this.call<TwoFactorReset>('DELETE', `/account/users/${encodeURIComponent(userId)}/two-factor`);
  }

  listAuditEvents(page: { limit?: number; before?: string } & AuditFilter = {}) {
    const query = auditQuery(page);
    if (page.limit) query.set('limit', String(page.limit));
    if (page.before) query.set('before', page.before);
    return this.call<AuditPage>('GET', `/account/audit-events${query.size ? `?${query}` : ''}`);
  }

  async exportAuditEvents(filter: AuditFilter = {}): Promise<string> {
    const query = auditQuery(filter);
    return (await this.csvRequest('GET', `/account/audit-events/export${query.size ? `?${query}` : ''}`)).text();
  }

  issueEnrollmentCode(userId: string, expiresInMinutes?: number) {
    return this.call<EnrollmentCode>('POST', `/account/users/${encodeURIComponent(userId)}/enrollment-code`, expiresInMinutes ? { expiresInMinutes } : {});
  }

  async redeemEnrollmentCode(code: string): Promise<void> {
    await this.call<unknown>('POST', '/sessions/current/enrollment-code', { code });
  }

  listSecurityActivity() {
    return this.call<SecurityActivityPage>('GET', '/me/security-activity');
  }

  async markSecurityActivityRead(id?: string): Promise<void> {
    await this.call<unknown>('POST', id ? `/me/security-activity/${encodeURIComponent(id)}/read` : '/me/security-activity/read', {});
  }

  reportNotMe(id: string) {
    return this.call<{ revokedSessions: number }>('POST', `/me/security-activity/${encodeURIComponent(id)}/not-me`, {});
  }

  async listSecurityAlerts(): Promise<SecurityAlert[]> {
    return (await this.call<{ alerts: SecurityAlert[] }>('GET', '/account/security-alerts')).alerts;
  }

  async resolveSecurityAlert(id: string): Promise<void> {
    await this.call<unknown>('POST', `/account/security-alerts/${encodeURIComponent(id)}/resolve`, {});
  }

  async listMySessions(): Promise<MySession[]> {
    return (await this.call<{ sessions: MySession[] }>('GET', '/me/sessions')).sessions;
  }

  endMySession(id: string) {
    return this.call<void>('DELETE', `/me/sessions/${encodeURIComponent(id)}`);
  }

  endOtherSessions() {
    return this.call<{ revokedSessions: number }>('DELETE', '/me/sessions');
  }

  /** The address of the event stream, for the SessionEvents client. */
  get eventsUrl(): string {
    return `${this.baseUrl}/events`;
  }
}
