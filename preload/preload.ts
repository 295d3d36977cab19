// The desktop preload (sandboxed, bundled to CommonJS by npm run build:desktop). It gives the
// renderer `window.agentdesk`: one named function per IPC message, `onX(callback)` returning an
// unsubscribe, and nothing else — no ipcRenderer, no channel names, no Electron event objects.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { invokeChannel, invokeNames, pushChannels, type InvokeName, type IpcResult } from '../main/ipc-channels.js';
import type { AccountUpdated, AgentDeskApi, SecurityKeyProgress, ServerConnectionChanged, SessionRevoked, Unsubscribe } from './agentdesk-api.js';

async function call(name: InvokeName, ...args: unknown[]): Promise<unknown> {
  // An argument left out stays out, so main's schema sees the call as written.
  while (args.length && args[args.length - 1] === undefined) args.pop();
  const result = (await ipcRenderer.invoke(invokeChannel(name), ...args)) as IpcResult<unknown>;
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

// One function per answered message (the contract's operations and the client's own), under
// its name; the key-ceremony answers are fire-and-forget; the pushed events are subscriptions.
const invoked = Object.fromEntries(invokeNames.map((name) => [name, (...args: unknown[]) => call(name, ...args)]));

const api = {
  ...invoked,
  submitSecurityKeyPin: (pin: string) => void call('submitSecurityKeyPin', pin).catch(() => {}),
  chooseSecurityKeyAccount: (index: number) => void call('chooseSecurityKeyAccount', index).catch(() => {}),
  cancelSecurityKey: () => void call('cancelSecurityKey').catch(() => {}),
  onSessionRevoked: (callback: (event: SessionRevoked) => void) => subscribe<SessionRevoked>(pushChannels.sessionRevoked, callback),
  onServerConnection: (callback: (event: ServerConnectionChanged) => void) => subscribe<ServerConnectionChanged>(pushChannels.serverConnection, callback),
  onSecurityKeyProgress: (callback: (progress: SecurityKeyProgress) => void) => subscribe<SecurityKeyProgress>(pushChannels.securityKeyProgress, callback),
  onAccountUpdated: (callback: (event: AccountUpdated) => void) => subscribe<AccountUpdated>(pushChannels.accountUpdated, callback),
} as unknown as AgentDeskApi;

contextBridge.exposeInMainWorld('agentdesk', api);
