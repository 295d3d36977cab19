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
  AgentDeskApi,
  CurrentSession,
  Me,
  MethodAdded,
  SecurityKeyProgress,
  Session,
  SessionRevoked,
} from '../../../preload/agentdesk-api';
import { ApiError } from './api-error';

const base = '/api/v1';

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
    const error = (payload as { error?: { code?: string; message?: string; retryAfterSeconds?: number } } | null)?.error;
    const retryHeader = Number(response.headers.get('retry-after'));
    throw new ApiError(
      error?.code ?? 'unexpected_response',
      error?.message ?? `The server answered ${response.status}.`,
      response.status,
      error?.retryAfterSeconds ?? (Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null),
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

export function createWebApi(): AgentDeskApi {
  const revokedListeners = new Set<(event: SessionRevoked) => void>();
  const progressListeners = new Set<(progress: SecurityKeyProgress) => void>();
  let events: EventSource | null = null;

  function emitProgress(progress: SecurityKeyProgress) {
    for (const listener of progressListeners) listener(progress);
  }

  function disconnectEvents() {
    events?.close();
    events = null;
  }

  // One stream per signed-in session; the server closes it when it revokes the session.
  function connectEvents() {
    if (events) return;
    const source = new EventSource(`${base}/events`, { withCredentials: true });
    source.addEventListener('session.revoked', (message) => {
      let reason = 'signed_out';
      try {
        const data = JSON.parse((message as MessageEvent<string>).data) as { reason?: unknown };
        if (typeof data.reason === 'string') reason = data.reason;
      } catch {
        // keep the generic reason
      }
      disconnectEvents();
      for (const listener of revokedListeners) listener({ reason });
    });
    events = source;
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

    passSecondFactor: async (input) => (await call<{ session: Session }>('POST', '/sessions/current/second-factor', input)).session,

    useSecurityKey: () =>
      withSecurityKey(async () => {
        const optionsJSON = await call<PublicKeyCredentialRequestOptionsJSON>('POST', '/sessions/current/security-key-options', {});
        const response = await startAuthentication({ optionsJSON });
        emitProgress({ step: 'processing' });
        return (await call<{ session: Session }>('POST', '/sessions/current/second-factor', { method: 'security_key', response })).session;
      }),

    signOut: async () => {
      disconnectEvents();
      try {
        await call('DELETE', '/sessions/current');
      } catch (error) {
        // Already gone is as good as signed out.
        if (!(error instanceof ApiError && error.code === 'unauthenticated')) throw error;
      }
    },

    onSessionRevoked: (callback) => {
      revokedListeners.add(callback);
      return () => revokedListeners.delete(callback);
    },

    onSecurityKeyProgress: (callback) => {
      progressListeners.add(callback);
      return () => progressListeners.delete(callback);
    },

    // The browser asks for the PIN in its own dialog; nothing to forward here.
    submitSecurityKeyPin: () => {},

    cancelSecurityKey: () => WebAuthnAbortService.cancelCeremony(),

    getMe: () => call<Me>('GET', '/me'),

    startAuthenticatorApp: (name) => call('POST', '/me/methods/totp', name ? { name } : {}),

    confirmAuthenticatorApp: (id, code) => call('POST', `/me/methods/totp/${encodeURIComponent(id)}/confirm`, { code }),

    addSecurityKey: (name) =>
      withSecurityKey(async () => {
        const optionsJSON = await call<PublicKeyCredentialCreationOptionsJSON>('POST', '/me/methods/security-keys/options', {});
        const response = await startRegistration({ optionsJSON });
        emitProgress({ step: 'processing' });
        return call<MethodAdded>('POST', '/me/methods/security-keys', { name, response });
      }),

    renameMethod: async (id, name) => (await call<{ method: MethodAdded['method'] }>('PATCH', `/me/methods/${encodeURIComponent(id)}`, { name })).method,

    removeMethod: (id) => call('DELETE', `/me/methods/${encodeURIComponent(id)}`),

    regenerateRecoveryCodes: async () => (await call<{ recoveryCodes: string[] }>('POST', '/me/recovery-codes', {})).recoveryCodes,

    getSecuritySettings: () => call('GET', '/account/security-settings'),

    getEnforcementImpact: () => call('GET', '/account/security-settings/impact'),

    saveSecuritySettings: (input) => call('PUT', '/account/security-settings', input),

    listUsers: async () => (await call<{ users: Awaited<ReturnType<AgentDeskApi['listUsers']>> }>('GET', '/account/users')).users,

    createUser: async (input) => (await call<{ user: Awaited<ReturnType<AgentDeskApi['createUser']>> }>('POST', '/account/users', input)).user,

    resetUserTwoFactor: (userId) => call('DELETE', `/account/users/${encodeURIComponent(userId)}/two-factor`),

    listAuditEvents: (page = {}) => {
      const query = new URLSearchParams();
      if (page.limit) query.set('limit', String(page.limit));
      if (page.before) query.set('before', page.before);
      const suffix = query.size ? `?${query}` : '';
      return call('GET', `/account/audit-events${suffix}`);
    },
  };
}
