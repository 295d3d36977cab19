// What main does for each IPC message, as plain functions over the session and the security-key
// ceremonies. The Electron glue (ipc.ts) only checks the sender and hands over; everything here
// runs, and is tested, on plain Node.
import { ApiError } from '../contract/api-error.js';
import { bridgeCalls } from '../contract/operations.js';
import type { AgentDeskApi } from '../preload/agentdesk-api.js';
import type { DesktopSession } from './desktop-session.js';
import { checkArguments } from './ipc-contract.js';
import type { InvokeName, IpcResult } from './ipc-channels.js';
import type { SecurityKeyCeremonies } from './security-key-ceremony.js';
import { externalLink } from './window-policy.js';

export type DesktopHandlers = {
  [K in InvokeName]: (...args: Parameters<AgentDeskApi[K]>) => Promise<Awaited<ReturnType<AgentDeskApi[K]>>> | Awaited<ReturnType<AgentDeskApi[K]>>;
};

export function createDesktopHandlers(deps: {
  session: DesktopSession;
  securityKeys: SecurityKeyCeremonies;
  /** Opens a URL in the system browser (Electron's shell.openExternal): single sign-on. */
  openExternal?: (url: string) => Promise<unknown> | void;
}): DesktopHandlers {
  const { session, securityKeys } = deps;
  const api = session.client;
  // Every operation of the contract goes to the server as it is, with the session's token;
  // recovery codes in an answer are kept until the user says they are saved.
  const operations = bridgeCalls(async (op, input) => {
    const answer = await api.request(op, input);
    const codes = (answer as { recoveryCodes?: unknown } | undefined)?.recoveryCodes;
    if (Array.isArray(codes)) session.keepRecoveryCodes(codes as string[]);
    return answer;
  });
  return {
    ...operations,
    // This device's token goes with it (main's to send, never the page's).
    requestPasswordReset: async (input) => {
      await session.requestPasswordReset(input.body.account, input.body.email);
      return { accepted: true };
    },
    signIn: (input) => session.signIn(input),
    getCurrentSession: () => session.current(),
    useSecurityKey: () => securityKeys.authenticate(api),
    // The browser's passkey autofill has no desktop counterpart: the key is asked at once.
    signInWithSecurityKey: (input) => session.signInWithPasskey(input.account, (server) => securityKeys.signInWithPasskey(server, input.account)),
    signInWithSso: (input) =>
      session.signInWithSso(input, (url) => {
        // Only a web address goes to the system browser, checked as every external link is
        // (http or https, no credentials): never another scheme, whatever the server answered.
        const link = externalLink(url);
        if (!link) throw new ApiError('unexpected_response', 'The server answered an address that is not a web page.');
        if (!deps.openExternal) throw new ApiError('sso_unavailable', 'Single sign-on needs the system browser.');
        return deps.openExternal(link);
      }),
    cancelSignInWithSso: async () => session.cancelSso(),
    addSecurityKey: async (name, options) => session.keepRecoveryCodes(await securityKeys.register(api, name, options)),
    signOut: () => session.signOut(),
    submitSecurityKeyPin: (pin) => securityKeys.submitPin(pin),
    chooseSecurityKeyAccount: (index) => securityKeys.chooseAccount(index),
    cancelSecurityKey: () => securityKeys.cancel(),
    getPendingRecoveryCodes: () => session.pendingRecoveryCodes(),
    confirmRecoveryCodesSaved: () => session.recoveryCodesSaved(),
    getDeskSharing: () => session.deskSharing(),
    setDeskSharing: (shared) => session.setDeskSharing(shared),
  };
}

/**
 * Runs one message: arguments checked against the schema first, then the handler; the answer
 * or the error (as plain data with its code) comes back as an IpcResult. Errors that are not
 * ours are logged and reach the renderer without their details.
 */
export async function dispatch<K extends InvokeName>(handlers: DesktopHandlers, name: K, args: unknown, log: (line: string) => void = console.error): Promise<IpcResult<unknown>> {
  try {
    const checked = checkArguments(name, args);
    const handler = handlers[name] as (...a: unknown[]) => unknown;
    return { ok: true, value: (await handler(...(checked as unknown[]))) ?? null };
  } catch (error) {
    if (error instanceof ApiError) {
      return {
        ok: false,
        error: {
          code: error.code,
          message: error.message,
          status: error.status,
          retryAfterSeconds: error.retryAfterSeconds,
          ...(error.locked && { locked: true }),
          ...(error.reason && { reason: error.reason }),
          ...(error.lockedUntil && { lockedUntil: error.lockedUntil }),
        },
      };
    }
    log(`AgentDesk: ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { ok: false, error: { code: 'unexpected_response', message: 'Something went wrong in AgentDesk. Try again.', status: null, retryAfterSeconds: null } };
  }
}
