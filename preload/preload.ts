// The desktop preload (sandboxed, bundled to CommonJS by npm run build:desktop). It gives the
// renderer `window.agentdesk`: one named function per IPC message, `onX(callback)` returning an
// unsubscribe, and nothing else — no ipcRenderer, no channel names, no Electron event objects.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { invokeChannels, pushChannels, type InvokeName, type IpcResult } from '../main/ipc-channels.js';
import type { AccountUpdated, AgentDeskApi, SecurityKeyProgress, ServerConnectionChanged, SessionRevoked, Unsubscribe } from './agentdesk-api.js';

type Answer<K extends InvokeName> = Awaited<ReturnType<AgentDeskApi[K]>>;

async function call<K extends InvokeName>(name: K, ...args: Parameters<AgentDeskApi[K]>): Promise<Answer<K>> {
  // An argument left out stays out, so main's schema sees the call as written.
  while (args.length && args[args.length - 1] === undefined) args.pop();
  const result = (await ipcRenderer.invoke(invokeChannels[name], ...args)) as IpcResult<Answer<K>>;
  if (result.ok) return result.value;
  // contextBridge keeps only the message of an Error; a plain object keeps the code, and the
  // renderer's bridge module rebuilds its ApiError from it.
  throw { ...result.error };
}

function subscribe<T>(channel: (typeof pushChannels)[keyof typeof pushChannels], callback: (payload: T) => void): Unsubscribe {
  const listener = (_event: IpcRendererEvent, payload: T) => callback(payload);
  ipcRenderer.on(channel, listener);
  return () => {
    ipcRenderer.removeListener(channel, listener);
  };
}

const api = {
  getSignupStatus: () => call('getSignupStatus'),
  createAccount: (input) => call('createAccount', input),
  signIn: (input) => call('signIn', input),
  getCurrentSession: () => call('getCurrentSession'),
  passSecondFactor: (input) => call('passSecondFactor', input),
  useSecurityKey: () => call('useSecurityKey'),
  signInWithSecurityKey: (input) => call('signInWithSecurityKey', input),
  getSecurityPolicy: () => call('getSecurityPolicy'),
  signOut: () => call('signOut'),
  onSessionRevoked: (callback) => subscribe<SessionRevoked>(pushChannels.sessionRevoked, callback),
  onServerConnection: (callback) => subscribe<ServerConnectionChanged>(pushChannels.serverConnection, callback),
  onSecurityKeyProgress: (callback) => subscribe<SecurityKeyProgress>(pushChannels.securityKeyProgress, callback),
  submitSecurityKeyPin: (pin) => void call('submitSecurityKeyPin', pin).catch(() => {}),
  chooseSecurityKeyAccount: (index) => void call('chooseSecurityKeyAccount', index).catch(() => {}),
  cancelSecurityKey: () => void call('cancelSecurityKey').catch(() => {}),
  getMe: () => call('getMe'),
  startAuthenticatorApp: (name) => call('startAuthenticatorApp', name),
  confirmAuthenticatorApp: (id, code) => call('confirmAuthenticatorApp', id, code),
  addSecurityKey: (name, options) => call('addSecurityKey', name, options),
  renameMethod: (id, name) => call('renameMethod', id, name),
  setMyLanguage: (language) => call('setMyLanguage', language),
  removeMethod: (id) => call('removeMethod', id),
  regenerateRecoveryCodes: () => call('regenerateRecoveryCodes'),
  getSecuritySettings: () => call('getSecuritySettings'),
  getEnforcementImpact: (secondFactorPolicy) => call('getEnforcementImpact', secondFactorPolicy),
  saveSecuritySettings: (input) => call('saveSecuritySettings', input),
  listUsers: (query) => call('listUsers', query),
  inviteUser: (input) => call('inviteUser', input),
  updateUser: (userId, change) => call('updateUser', userId, change),
  deleteUser: (userId) => call('deleteUser', userId),
  resendInvitation: (userId) => call('resendInvitation', userId),
  sendPasswordReset: (userId) => call('sendPasswordReset', userId),
  liftLockout: (userId) => call('liftLockout', userId),
  signUserOutEverywhere: (userId) => call('signUserOutEverywhere', userId),
  signEveryoneElseOut: () => call('signEveryoneElseOut'),
  exportUsers: (filters) => call('exportUsers', filters),
  importUsers: (csv, dryRun) => call('importUsers', csv, dryRun),
  previewInvitation: (token) => call('previewInvitation', token),
  acceptInvitation: (token, password) => call('acceptInvitation', token, password),
  requestPasswordReset: (account, email) => call('requestPasswordReset', account, email),
  completePasswordReset: (token, newPassword) => call('completePasswordReset', token, newPassword),
  changePassword: (currentPassword, newPassword) => call('changePassword', currentPassword, newPassword),
  confirmPassword: (password) => call('confirmPassword', password),
  resetUserTwoFactor: (userId) => call('resetUserTwoFactor', userId),
  listAuditEvents: (page) => call('listAuditEvents', page),
  exportAuditEvents: (filter) => call('exportAuditEvents', filter),
  issueEnrollmentCode: (userId, expiresInMinutes) => call('issueEnrollmentCode', userId, expiresInMinutes),
  redeemEnrollmentCode: (code) => call('redeemEnrollmentCode', code),
  listSecurityActivity: () => call('listSecurityActivity'),
  markSecurityActivityRead: (id) => call('markSecurityActivityRead', id),
  reportNotMe: (id) => call('reportNotMe', id),
  listSecurityAlerts: () => call('listSecurityAlerts'),
  resolveSecurityAlert: (id) => call('resolveSecurityAlert', id),
  getPendingRecoveryCodes: () => call('getPendingRecoveryCodes'),
  confirmRecoveryCodesSaved: () => call('confirmRecoveryCodesSaved'),
  onAccountUpdated: (callback) => subscribe<AccountUpdated>(pushChannels.accountUpdated, callback),
  listMySessions: () => call('listMySessions'),
  endMySession: (id) => call('endMySession', id),
  endOtherSessions: () => call('endOtherSessions'),
} satisfies AgentDeskApi;

contextBridge.exposeInMainWorld('agentdesk', api);
