// AgentDeskApi for the web console: same-origin fetch with the httpOnly session cookie, the
// server's event stream for revocations, and the browser's own WebAuthn for security keys.
import {
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type {
  AccountUpdated,
  AgentDeskApi,
  CurrentSession,
  Me,
  MethodAdded,
  MySession,
  SecurityKeyProgress,
  ServerConnectionChanged,
  Session,
  SessionRevoked,
} from '../../../preload/agentdesk-api';
import { ApiError } from './api-error';
import type { AuditFilter, SecurityAlert } from '../../../preload/agentdesk-api';

/** The audit log's filters as query parameters (list and CSV export). */
function auditQuery(filter: AuditFilter): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['userId', 'action', 'from', 'to'] as const) if (filter[key]) query.set(key, filter[key]!);
  return query;
}

const base = '/api/v1';

/** The users list's query string (also the export's, which ignores sort and page). */
function usersQuery(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as [string, unknown][]) if (value !== undefined && value !== '') params.set(key, String(value));
  return params.size ? `?${params}` : '';
}

/** A request whose body or answer is CSV (the export, the bulk invitation); errors are JSON as usual. */
async function csvRequest(method: 'GET' | 'POST', path: string, csv?: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      credentials: 'same-origin',
      headers: csv === undefined ? { accept: 'text/csv, application/json' } : { accept: 'application/json', 'content-type': 'text/csv' },
      body: csv,
    });
  } catch {
    throw new ApiError('network_error', 'The AgentDesk server cannot be reached. Check your connection and try again.');
  }
  if (!response.ok) {
    const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(payload?.error?.code ?? 'unexpected_response', payload?.error?.message ?? `The server answered ${response.status}.`, response.status, null, false, null);
  }
  return response;
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function call<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('network_error', 'The AgentDesk server cannot be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = (payload as { error?: { code?: string; message?: string; retryAfterSeconds?: number; locked?: boolean; reason?: string; lockedUntil?: string } } | null)?.error;
    const retryHeader = Number(response.headers.get('retry-after'));
    throw new ApiError(
      error?.code ?? 'unexpected_response',
      error?.message ?? `The server answered ${response.status}.`,
      response.status,
      error?.retryAfterSeconds ?? (Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null),
      error?.locked === true,
      typeof error?.reason === 'string' ? error.reason : null,
      typeof error?.lockedUntil === 'string' ? error.lockedUntil : null,
    );
  }
  return payload as T;
}

/** A browser reports every WebAuthn failure the same way; the user cancelling is the usual one. */
function securityKeyFailure(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const name = (error as { name?: string; code?: string } | null)?.name;
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
    return new ApiError('method_already_registered', 'That security key is already registered.');
  }
  if (code === 'ERROR_CEREMONY_ABORTED' || name === 'AbortError' || name === 'NotAllowedError') {
    return new ApiError('security_key_cancelled', 'The security key request was cancelled or timed out.');
  }
  return new ApiError('security_key_unavailable', 'This browser could not use a security key.');
}

/**
 * Recovery codes shown and not yet confirmed as saved live in this tab's sessionStorage, so a
 * reload (or a crash) on the recovery-codes screen does not lose them; they go the moment the
 * user confirms, and with the tab.
 */
const pendingCodesKey = 'agentdesk.pendingRecoveryCodes';

function keepRecoveryCodes(codes: string[] | undefined): void {
  if (!codes?.length) return;
  try {
    sessionStorage.setItem(pendingCodesKey, JSON.stringify(codes));
  } catch {
    // storage refused (private mode quota): the codes are still on screen
  }
}

function readPendingCodes(): string[] | null {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(pendingCodesKey) ?? 'null');
    return Array.isArray(parsed) && parsed.length && parsed.every((c) => typeof c === 'string') ? (parsed as string[]) : null;
  } catch {
    return null;
  }
}

function dropPendingCodes(): void {
  try {
    sessionStorage.removeItem(pendingCodesKey);
  } catch {
    // nothing kept
  }
}

/** What a method's enrollment answers, without anything that is not for the screens. */
function methodAdded(answer: MethodAdded & { token?: string }): MethodAdded {
  return { method: answer.method, session: answer.session, ...(answer.recoveryCodes && { recoveryCodes: answer.recoveryCodes }), ...(typeof answer.otherSessions === 'number' && { otherSessions: answer.otherSessions }) };
}

export function createWebApi(): AgentDeskApi {
  const revokedListeners = new Set<(event: SessionRevoked) => void>();
  const connectionListeners = new Set<(event: ServerConnectionChanged) => void>();
  // The stream is the first to notice the server going away, and coming back. Every failed
  // reconnection says "dropped" again (the connection ignores it while it already knows): a
  // probe that slipped in while the server was shutting down may have called it back, and only
  // the next failure tells it otherwise. "Restored" is said once per drop.
  let streamDown = false;
  const accountListeners = new Set<(event: AccountUpdated) => void>();
  const progressListeners = new Set<(progress: SecurityKeyProgress) => void>();
  let events: EventSource | null = null;

  function streamState(state: ServerConnectionChanged['state']) {
    if (state === 'restored' && !streamDown) return;
    streamDown = state === 'dropped';
    for (const listener of connectionListeners) listener({ state });
  }

  function emitProgress(progress: SecurityKeyProgress) {
    for (const listener of progressListeners) listener(progress);
  }

  function disconnectEvents() {
    events?.close();
    events = null;
  }

  function revoked(reason: string) {
    disconnectEvents();
    for (const listener of revokedListeners) listener({ reason });
  }

  // One stream per signed-in session; the server closes it when it revokes the session. Events
  // of a stream we have since replaced (the token rotated) are ignored.
  function connectEvents() {
    if (events) return;
    const source = new EventSource(`${base}/events`, { withCredentials: true });
    source.addEventListener('session.revoked', (message) => {
      if (events !== source) return;
      let reason = 'signed_out';
      try {
        const data = JSON.parse((message as MessageEvent<string>).data) as { reason?: unknown };
        if (typeof data.reason === 'string') reason = data.reason;
      } catch {
        // keep the generic reason
      }
      revoked(reason);
    });
    source.addEventListener('account.updated', (message) => {
      if (events !== source) return;
      try {
        const data = JSON.parse((message as MessageEvent<string>).data) as { requireTwoFactor?: unknown };
        if (typeof data.requireTwoFactor !== 'boolean') return;
        for (const listener of accountListeners) listener({ requireTwoFactor: data.requireTwoFactor });
      } catch {
        // not ours to read
      }
    });
    source.addEventListener('open', () => {
      if (events === source) streamState('restored');
    });
    source.addEventListener('error', () => {
      if (events !== source) return;
      streamState('dropped');
      // The browser reconnects on its own unless the server refused the stream (401: the
      // session ended while we were away); then ask why, as a pushed revocation would say.
      if (source.readyState === EventSource.CLOSED) {
        disconnectEvents();
        void call<CurrentSession>('GET', '/sessions/current').then(
          () => connectEvents(),
          (error: unknown) => {
            if (error instanceof ApiError && error.code === 'unauthenticated') revoked(error.reason ?? 'expired');
          },
        );
      }
    });
    events = source;
  }

  /**
   * Passing a second factor (and the first method's enrollment) gives the session a new token:
   * the server swaps the cookie and ends the old session, and with it the old stream. The stream
   * is closed before and opened again after, so the old one's end is not taken for a sign-out.
   */
  async function rotating<T>(request: () => Promise<T>): Promise<T> {
    const hadStream = events !== null;
    disconnectEvents();
    try {
      return await request();
    } finally {
      if (hadStream) connectEvents();
    }
  }

  async function withSecurityKey<T>(ceremony: () => Promise<T>): Promise<T> {
    emitProgress({ step: 'touch_needed' });
    try {
      const result = await ceremony();
      emitProgress({ step: 'done' });
      return result;
    } catch (error) {
      const failure = securityKeyFailure(error);
      emitProgress({ step: 'cancelled' });
      throw failure;
    }
  }

  return {
    getSignupStatus: () => call('GET', '/signup'),

    createAccount: (input) => call('POST', '/accounts', input),

    signIn: async (input) => {
      const answer = await call<CurrentSession & { token?: string }>('POST', '/sessions', input);
      connectEvents();
      return { session: answer.session, user: answer.user, methods: answer.methods, account: answer.account };
    },

    getCurrentSession: async () => {
      try {
        const current = await call<CurrentSession>('GET', '/sessions/current');
        connectEvents();
        return current;
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthenticated') return null;
        throw error;
      }
    },

    passSecondFactor: async (input) => (await rotating(() => call<{ session: Session }>('POST', '/sessions/current/second-factor', input))).session,

    useSecurityKey: () =>
      withSecurityKey(async () => {
        const optionsJSON = await call<PublicKeyCredentialRequestOptionsJSON>('POST', '/sessions/current/security-key-options', {});
        const response = await startAuthentication({ optionsJSON });
        emitProgress({ step: 'processing' });
        return (await rotating(() => call<{ session: Session }>('POST', '/sessions/current/second-factor', { method: 'security_key', response }))).session;
      }),

    // A passkey: the browser lists the credentials its keys hold for us (or offers them in the
    // email field's autofill), asks for the PIN or fingerprint, and the server signs that user in.
    signInWithSecurityKey: async ({ account, autofill }) => {
      const ceremony = async () => {
        const { challengeId, ...optionsJSON } = await call<PublicKeyCredentialRequestOptionsJSON & { challengeId: string }>('POST', '/sessions/passkey-options', { account });
        const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill === true });
        emitProgress({ step: 'processing' });
        return call<CurrentSession & { token?: string; deviceToken?: string }>('POST', '/sessions/passkey', { account, challengeId, response });
      };
      // Autofill waits quietly in the background: no "touch your key" until the agent picks one.
      const answer = autofill ? await ceremony().catch((error: unknown) => { throw securityKeyFailure(error); }) : await withSecurityKey(ceremony);
      connectEvents();
      return { session: answer.session, user: answer.user, methods: answer.methods, account: answer.account };
    },

    getSecurityPolicy: () => call('GET', '/me/security-policy'),

    // Throws network_error when the server cannot be reached: the session then still lives, and
    // the app must keep trying rather than show the sign-in screen.
    signOut: async () => {
      try {
        await call('DELETE', '/sessions/current');
      } catch (error) {
        // Already gone is as good as signed out.
        if (!(error instanceof ApiError && error.code === 'unauthenticated')) throw error;
      }
      disconnectEvents();
      dropPendingCodes();
    },

    onSessionRevoked: (callback) => {
      revokedListeners.add(callback);
      return () => revokedListeners.delete(callback);
    },

    onServerConnection: (callback) => {
      connectionListeners.add(callback);
      return () => connectionListeners.delete(callback);
    },

    onSecurityKeyProgress: (callback) => {
      progressListeners.add(callback);
      return () => progressListeners.delete(callback);
    },

    // The browser asks for the PIN in its own dialog; nothing to forward here.
    submitSecurityKeyPin: () => {},
    // The browser shows its own account chooser.
    chooseSecurityKeyAccount: () => {},

    cancelSecurityKey: () => WebAuthnAbortService.cancelCeremony(),

    getMe: () => call<Me>('GET', '/me'),

    startAuthenticatorApp: (name) => call('POST', '/me/methods/totp', name ? { name } : {}),

    confirmAuthenticatorApp: async (id, code) => {
      const added = await rotating(() => call<MethodAdded & { token?: string }>('POST', `/me/methods/totp/${encodeURIComponent(id)}/confirm`, { code }));
      keepRecoveryCodes(added.recoveryCodes);
      return methodAdded(added);
    },

    addSecurityKey: (name, registration) =>
      withSecurityKey(async () => {
        const optionsJSON = await call<PublicKeyCredentialCreationOptionsJSON>('POST', '/me/methods/security-keys/options', registration?.passwordless ? { passwordless: true } : {});
        const response = await startRegistration({ optionsJSON });
        emitProgress({ step: 'processing' });
        const added = await rotating(() => call<MethodAdded & { token?: string }>('POST', '/me/methods/security-keys', { name, response }));
        keepRecoveryCodes(added.recoveryCodes);
        return methodAdded(added);
      }),

    renameMethod: async (id, name) => (await call<{ method: MethodAdded['method'] }>('PATCH', `/me/methods/${encodeURIComponent(id)}`, { name })).method,

    setMyLanguage: (language) => call('PUT', '/me/language', { language }),

    removeMethod: (id) => call('DELETE', `/me/methods/${encodeURIComponent(id)}`),

    regenerateRecoveryCodes: async () => {
      const { recoveryCodes } = await call<{ recoveryCodes: string[] }>('POST', '/me/recovery-codes', {});
      keepRecoveryCodes(recoveryCodes);
      return recoveryCodes;
    },

    getPendingRecoveryCodes: async () => readPendingCodes(),

    confirmRecoveryCodesSaved: async () => dropPendingCodes(),

    onAccountUpdated: (callback) => {
      accountListeners.add(callback);
      return () => accountListeners.delete(callback);
    },

    listMySessions: async () => (await call<{ sessions: MySession[] }>('GET', '/me/sessions')).sessions,

    endMySession: (id) => call('DELETE', `/me/sessions/${encodeURIComponent(id)}`),

    endOtherSessions: () => call('DELETE', '/me/sessions'),

    getSecuritySettings: () => call('GET', '/account/security-settings'),

    getEnforcementImpact: (secondFactorPolicy) => call('GET', `/account/security-settings/impact${secondFactorPolicy ? `?secondFactorPolicy=${secondFactorPolicy}` : ''}`),

    saveSecuritySettings: (input) => call('PUT', '/account/security-settings', input),

    listUsers: (query = {}) => call('GET', `/account/users${usersQuery(query)}`),

    inviteUser: (input) => call('POST', '/account/users', input),

    updateUser: (userId, change) => call('PATCH', `/account/users/${encodeURIComponent(userId)}`, change),

    deleteUser: (userId) => call('DELETE', `/account/users/${encodeURIComponent(userId)}`),

    resendInvitation: (userId) => call('POST', `/account/users/${encodeURIComponent(userId)}/invitation`),

    sendPasswordReset: (userId) => call('POST', `/account/users/${encodeURIComponent(userId)}/password-reset`),

    liftLockout: async (userId) => {
      await call('DELETE', `/account/users/${encodeURIComponent(userId)}/lockout`);
    },

    signUserOutEverywhere: (userId) => call('DELETE', `/account/users/${encodeURIComponent(userId)}/sessions`),

    signEveryoneElseOut: () => call('DELETE', '/account/sessions'),

    exportUsers: async (filters = {}) => (await csvRequest('GET', `/account/users/export${usersQuery(filters)}`)).text(),

    importUsers: async (csv, dryRun) => (await csvRequest('POST', `/account/users/import${dryRun ? '?dryRun=true' : ''}`, csv)).json(),

    previewInvitation: (token) => call('POST', '/invitations/preview', { token }),

    acceptInvitation: (token, password) => call('POST', '/invitations/accept', { token, password }),

    requestPasswordReset: async (account, email) => {
      await call('POST', '/password-resets', { account, email });
    },

    completePasswordReset: (token, newPassword) => call('POST', '/password-resets/complete', { token, newPassword }),

    changePassword: (currentPassword, newPassword) => call('PUT', '/me/password', { currentPassword, newPassword }),
    confirmPassword: async (password) => ({ passwordAt: (await rotating(() => call<{ passwordAt: string }>('POST', '/sessions/current/password', { password }))).passwordAt }),

    resetUserTwoFactor: (userId) => call('DELETE', `/account/users/${encodeURIComponent(userId)}/two-factor`),

    listAuditEvents: (page = {}) => {
      const query = auditQuery(page);
      if (page.limit) query.set('limit', String(page.limit));
      if (page.before) query.set('before', page.before);
      const suffix = query.size ? `?${query}` : '';
      return call('GET', `/account/audit-events${suffix}`);
    },

    exportAuditEvents: async (filter = {}) => {
      const query = auditQuery(filter);
      return (await csvRequest('GET', `/account/audit-events/export${query.size ? `?${query}` : ''}`)).text();
    },

    issueEnrollmentCode: (userId, expiresInMinutes) =>
      call('POST', `/account/users/${encodeURIComponent(userId)}/enrollment-code`, expiresInMinutes ? { expiresInMinutes } : {}),

    redeemEnrollmentCode: async (code) => {
      await call('POST', '/sessions/current/enrollment-code', { code });
    },

    listSecurityActivity: () => call('GET', '/me/security-activity'),

    markSecurityActivityRead: async (id) => {
      await call('POST', id ? `/me/security-activity/${encodeURIComponent(id)}/read` : '/me/security-activity/read', {});
    },

    reportNotMe: (id) => call('POST', `/me/security-activity/${encodeURIComponent(id)}/not-me`, {}),

    listSecurityAlerts: async () => (await call<{ alerts: SecurityAlert[] }>('GET', '/account/security-alerts')).alerts,

    resolveSecurityAlert: async (id) => {
      await call('POST', `/account/security-alerts/${encodeURIComponent(id)}/resolve`, {});
    },
  };
}
