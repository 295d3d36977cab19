// What main does for each IPC message, as plain functions over the session and the security-key
// ceremonies. The Electron glue (ipc.ts) only checks the sender and hands over; everything here
// runs, and is tested, on plain Node.
import type { AgentDeskApi } from '../preload/agentdesk-api.js';
import type { DesktopSession } from './desktop-session.js';
import { checkArguments } from './ipc-contract.js';
import type { InvokeName, IpcResult } from './ipc-channels.js';
import type { SecurityKeyCeremonies } from './security-key-ceremony.js';
import { DesktopError } from './server-client.js';

export type DesktopHandlers = {
  [K in InvokeName]: (...args: Parameters<AgentDeskApi[K]>) => Promise<Awaited<ReturnType<AgentDeskApi[K]>>> | Awaited<ReturnType<AgentDeskApi[K]>>;
};

export function createDesktopHandlers(deps: { session: DesktopSession; securityKeys: SecurityKeyCeremonies }): DesktopHandlers {
  const { session, securityKeys } = deps;
  const api = session.client;
  return {
    getSignupStatus: () => api.signupStatus(),
    createAccount: (input) => api.createAccount(input),
    signIn: (input) => session.signIn(input),
    getCurrentSession: () => session.current(),
    passSecondFactor: (input) => api.passSecondFactor(input),
    useSecurityKey: () => securityKeys.authenticate(api),
    // The browser's passkey autofill has no desktop counterpart: the key is asked at once.
    signInWithSecurityKey: (input) => session.signInWithPasskey(input.account, (server) => securityKeys.signInWithPasskey(server, input.account)),
    getSecurityPolicy: () => api.securityPolicy(),
    signOut: () => session.signOut(),
    submitSecurityKeyPin: (pin) => securityKeys.submitPin(pin),
    chooseSecurityKeyAccount: (index) => securityKeys.chooseAccount(index),
    cancelSecurityKey: () => securityKeys.cancel(),
    getMe: () => api.me(),
    startAuthenticatorApp: (name) => api.startAuthenticatorApp(name),
    confirmAuthenticatorApp: async (id, code) => session.keepRecoveryCodes(await api.confirmAuthenticatorApp(id, code)),
    addSecurityKey: async (name, options) => session.keepRecoveryCodes(await securityKeys.register(api, name, options)),
    renameMethod: (id, name) => api.renameMethod(id, name),
    setMyLanguage: (language) => api.setMyLanguage(language),
    removeMethod: (id) => api.removeMethod(id),
    regenerateRecoveryCodes: async () => session.keepRecoveryCodes(await api.regenerateRecoveryCodes()),
    getPendingRecoveryCodes: () => session.pendingRecoveryCodes(),
    confirmRecoveryCodesSaved: () => session.recoveryCodesSaved(),
    listMySessions: () => api.listMySessions(),
    endMySession: (id) => api.endMySession(id),
    endOtherSessions: () => api.endOtherSessions(),
    getSecuritySettings: () => api.securitySettings(),
    getEnforcementImpact: (secondFactorPolicy) => api.enforcementImpact(secondFactorPolicy),
    saveSecuritySettings: (input) => api.saveSecuritySettings(input),
    listUsers: (query) => api.listUsers(query),
    inviteUser: (input) => api.inviteUser(input),
    resetUserTwoFactor: (userId) => api.resetUserTwoFactor(userId),
    updateUser: (userId, change) => api.updateUser(userId, change),
    deleteUser: (userId) => api.deleteUser(userId),
    resendInvitation: (userId) => api.resendInvitation(userId),
    sendPasswordReset: (userId) => api.sendPasswordReset(userId),
    liftLockout: (userId) => api.liftLockout(userId),
    signUserOutEverywhere: (userId) => api.signUserOutEverywhere(userId),
    signEveryoneElseOut: () => api.signEveryoneElseOut(),
    exportUsers: (filters) => api.exportUsers(filters),
    importUsers: (csv, dryRun) => api.importUsers(csv, dryRun),
    previewInvitation: (token) => api.previewInvitation(token),
    acceptInvitation: (token, password) => api.acceptInvitation(token, password),
    requestPasswordReset: (account, email) => session.requestPasswordReset(account, email),
    completePasswordReset: (token, newPassword) => api.completePasswordReset(token, newPassword),
    changePassword: (currentPassword, newPassword) => api.changePassword(currentPassword, newPassword),
    confirmPassword: (password) => api.confirmPassword(password),
    listAuditEvents: (page) => api.listAuditEvents(page),
    exportAuditEvents: (filter) => api.exportAuditEvents(filter),
    issueEnrollmentCode: (userId, expiresInMinutes) => api.issueEnrollmentCode(userId, expiresInMinutes),
    redeemEnrollmentCode: (code) => api.redeemEnrollmentCode(code),
    listSecurityActivity: () => api.listSecurityActivity(),
    markSecurityActivityRead: (id) => api.markSecurityActivityRead(id),
    reportNotMe: (id) => api.reportNotMe(id),
    listSecurityAlerts: () => api.listSecurityAlerts(),
    resolveSecurityAlert: (id) => api.resolveSecurityAlert(id),
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
    if (error instanceof DesktopError) {
      return {
        ok: false,
        error: {
          code: error.code,
          message: error.message,
          status: error.status,
          retryAfterSeconds: error.retryAfterSeconds,
          ...(error.locked && { locked: true }),
          ...(error.reason && { reason: error.reason }),
        },
      };
    }
    log(`AgentDesk: ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { ok: false, error: { code: 'unexpected_response', message: 'Something went wrong in AgentDesk. Try again.', status: null, retryAfterSeconds: null } };
  }
}
