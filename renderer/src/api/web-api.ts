// AgentDeskApi for the web console: the contract's HTTP client (contract/http-client.ts) with the
// httpOnly session cookie, the server's event stream for revocations, and the browser's own
// WebAuthn for security keys. Every operation of the contract is the client's `request`; only
// what a browser does differently (sign-in, the event stream, key ceremonies, recovery codes kept
// in this tab) is written here.
import {
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type { AccountUpdated, AgentDeskApi, CurrentSession, SecurityKeyProgress, ServerConnectionChanged, SessionRevoked } from '../../../preload/agentdesk-api';
import { ApiError } from '../../../contract/api-error';
import { createHttpClient } from '../../../contract/http-client';
import type { AnswerOf, AnyInput, Operation } from '../../../contract/operation';
import { bridgeCalls, operations } from '../../../contract/operations';

const http = createHttpClient({ baseUrl: '/api/v1', authenticate: () => ({ credentials: 'same-origin' }) });

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
  let lastQuickReconnect = 0;

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
    const source = new EventSource(http.url(operations.events), { withCredentials: true });
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
    // An instance shutting down gracefully (a rolling restart) says `reconnect` and ends the
    // stream: a new stream is opened now, through the load balancer to another instance, rather
    // than after the browser's retry delay and an `error` that would flash the "connection lost"
    // banner. Not a sign-out: a session revoked meanwhile is refused (401) on the new stream,
    // which the error handler below asks the reason of.
    source.addEventListener('reconnect', () => {
      if (events !== source) return;
      // Once a second at most: past that the browser's own retry (and its delay) takes over.
      if (Date.now() - lastQuickReconnect < 1_000) return;
      lastQuickReconnect = Date.now();
      disconnectEvents();
      connectEvents();
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
        void http.request(operations.getCurrentSession).then(
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

  /** One operation: a rotating one with the stream closed around it; recovery codes kept until saved. */
  async function request<O extends Operation>(op: O, input?: AnyInput): Promise<AnswerOf<O>> {
    const answer = op.rotatesToken ? await rotating(() => http.request(op, input)) : await http.request(op, input);
    keepRecoveryCodes((answer as { recoveryCodes?: string[] } | undefined)?.recoveryCodes);
    return answer;
  }

  return {
    ...bridgeCalls(request),

    signIn: async (input) => {
      const answer = await http.request(operations.signIn, { body: input });
      connectEvents();
      return { session: answer.session, user: answer.user, methods: answer.methods, account: answer.account, ...(answer.grace !== undefined ? { grace: answer.grace } : {}), ...(answer.rememberDevice && { rememberDevice: answer.rememberDevice }) };
    },

    getCurrentSession: async () => {
      try {
        const current = await http.request(operations.getCurrentSession);
        connectEvents();
        return current;
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthenticated') return null;
        throw error;
      }
    },

    useSecurityKey: () =>
      withSecurityKey(async () => {
        const optionsJSON = (await http.request(operations.securityKeyOptions)) as PublicKeyCredentialRequestOptionsJSON;
        const response = await startAuthentication({ optionsJSON });
        emitProgress({ step: 'processing' });
        return (await request(operations.passSecondFactor, { body: { method: 'security_key', response } })).session;
      }),

    // A passkey: the browser lists the credentials its keys hold for us (or offers them in the
    // email field's autofill), asks for the PIN or fingerprint, and the server signs that user in.
    signInWithSecurityKey: async ({ account, autofill }) => {
      const ceremony = async () => {
        const { challengeId, ...optionsJSON } = await http.request(operations.passkeyOptions, { body: { account } });
        const response = await startAuthentication({ optionsJSON: optionsJSON as unknown as PublicKeyCredentialRequestOptionsJSON, useBrowserAutofill: autofill === true });
        emitProgress({ step: 'processing' });
        return http.request(operations.signInWithPasskey, { body: { account, challengeId, response } });
      };
      // Autofill waits quietly in the background: no "touch your key" until the agent picks one.
      const answer = autofill ? await ceremony().catch((error: unknown) => { throw securityKeyFailure(error); }) : await withSecurityKey(ceremony);
      connectEvents();
      return { session: answer.session, user: answer.user, methods: answer.methods, account: answer.account };
    },

    // The page goes to the provider; it comes back to the console signed in (the callback sets
    // the cookie) or to the sign-in screen with `sso_error`. Nothing to answer meanwhile.
    signInWithSso: async ({ account, provider }) => {
      const { authorizationUrl } = await http.request(operations.startSsoSignIn, { body: { account, provider, client: 'web' } });
      window.location.assign(authorizationUrl);
      return new Promise<never>(() => {});
    },
    // The page has gone to the provider: there is no wait here to cancel.
    cancelSignInWithSso: async () => {},

    addSecurityKey: (name, registration) =>
      withSecurityKey(async () => {
        const optionsJSON = (await http.request(operations.securityKeyRegistrationOptions, { body: registration?.passwordless ? { passwordless: true } : {} })) as unknown as PublicKeyCredentialCreationOptionsJSON;
        const response = await startRegistration({ optionsJSON });
        emitProgress({ step: 'processing' });
        return request(operations.registerSecurityKey, { body: { name, response } });
      }),

    // Throws network_error when the server cannot be reached: the session then still lives, and
    // the app must keep trying rather than show the sign-in screen.
    signOut: async () => {
      try {
        await http.request(operations.signOut);
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

    onAccountUpdated: (callback) => {
      accountListeners.add(callback);
      return () => accountListeners.delete(callback);
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

    getPendingRecoveryCodes: async () => readPendingCodes(),

    confirmRecoveryCodesSaved: async () => dropPendingCodes(),

    // A browser is no desk: the console asks at the second step ("This is my own computer").
    getDeskSharing: async () => null,
    setDeskSharing: async (shared) => {
      await request(operations.declareCurrentDevice, { body: { shared } });
    },
  };
}
