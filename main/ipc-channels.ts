// The names of every IPC message between the preload and main: one per AgentDeskApi function
// (renderer → main, answered) and one per pushed event (main → renderer). Names only, no
// imports, so the sandboxed preload bundles it without pulling anything else in.

export const invokeChannels = {
  getSignupStatus: 'agentdesk:get-signup-status',
  createAccount: 'agentdesk:create-account',
  signIn: 'agentdesk:sign-in',
  getCurrentSession: 'agentdesk:get-current-session',
  passSecondFactor: 'agentdesk:pass-second-factor',
  useSecurityKey: 'agentdesk:use-security-key',
  signInWithSecurityKey: 'agentdesk:sign-in-with-security-key',
  getSecurityPolicy: 'agentdesk:get-security-policy',
  signOut: 'agentdesk:sign-out',
  submitSecurityKeyPin: 'agentdesk:submit-security-key-pin',
  chooseSecurityKeyAccount: 'agentdesk:choose-security-key-account',
  cancelSecurityKey: 'agentdesk:cancel-security-key',
  getMe: 'agentdesk:get-me',
  startAuthenticatorApp: 'agentdesk:start-authenticator-app',
  confirmAuthenticatorApp: 'agentdesk:confirm-authenticator-app',
  addSecurityKey: 'agentdesk:add-security-key',
  renameMethod: 'agentdesk:rename-method',
  setMyLanguage: 'agentdesk:set-my-language',
  removeMethod: 'agentdesk:remove-method',
  regenerateRecoveryCodes: 'agentdesk:regenerate-recovery-codes',
  getSecuritySettings: 'agentdesk:get-security-settings',
  getEnforcementImpact: 'agentdesk:get-enforcement-impact',
  saveSecuritySettings: 'agentdesk:save-security-settings',
  listUsers: 'agentdesk:list-users',
  inviteUser: 'agentdesk:invite-user',
  resetUserTwoFactor: 'agentdesk:reset-user-two-factor',
  updateUser: 'agentdesk:update-user',
  deleteUser: 'agentdesk:delete-user',
  resendInvitation: 'agentdesk:resend-invitation',
  sendPasswordReset: 'agentdesk:send-password-reset',
  liftLockout: 'agentdesk:lift-lockout',
  signUserOutEverywhere: 'agentdesk:sign-user-out-everywhere',
  signEveryoneElseOut: 'agentdesk:sign-everyone-else-out',
  exportUsers: 'agentdesk:export-users',
  importUsers: 'agentdesk:import-users',
  previewInvitation: 'agentdesk:preview-invitation',
  acceptInvitation: 'agentdesk:accept-invitation',
  requestPasswordReset: 'agentdesk:request-password-reset',
  completePasswordReset: 'agentdesk:complete-password-reset',
  changePassword: 'agentdesk:change-password',
  confirmPassword: 'agentdesk:confirm-password',
  listAuditEvents: 'agentdesk:list-audit-events',
  exportAuditEvents: 'agentdesk:export-audit-events',
  issueEnrollmentCode: 'agentdesk:issue-enrollment-code',
  redeemEnrollmentCode: 'agentdesk:redeem-enrollment-code',
  listSecurityActivity: 'agentdesk:list-security-activity',
  markSecurityActivityRead: 'agentdesk:mark-security-activity-read',
  reportNotMe: 'agentdesk:report-not-me',
  listSecurityAlerts: 'agentdesk:list-security-alerts',
  resolveSecurityAlert: 'agentdesk:resolve-security-alert',
  getPendingRecoveryCodes: 'agentdesk:get-pending-recovery-codes',
  confirmRecoveryCodesSaved: 'agentdesk:confirm-recovery-codes-saved',
  listMySessions: 'agentdesk:list-my-sessions',
  endMySession: 'agentdesk:end-my-session',
  endOtherSessions: 'agentdesk:end-other-sessions',
} as const;

export const pushChannels = {
  sessionRevoked: 'agentdesk:session-revoked',
  securityKeyProgress: 'agentdesk:security-key-progress',
  accountUpdated: 'agentdesk:account-updated',
  serverConnection: 'agentdesk:server-connection',
} as const;

/** Every AgentDeskApi function but the push subscriptions is one invoke message. */
export type InvokeName = keyof typeof invokeChannels;

/** How every answer crosses IPC: Electron would keep only an Error's message, and the renderer needs its code. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export interface IpcError {
  code: string;
  message: string;
  status: number | null;
  retryAfterSeconds: number | null;
  /** A lock-out rather than a short throttle. */
  locked?: boolean;
  /** Why the server ended the session (on unauthenticated). */
  reason?: string;
}
