// Electron glue: the one way an IPC handler is registered. Each message is answered only for our
// own document in the top-level frame of one of our windows (checked with new URL in
// window-policy.ts), and its arguments are checked against its schema (ipc-contract.ts) inside
// dispatch(). Nothing else reaches main.
import { BrowserWindow, ipcMain, webContents, type IpcMainInvokeEvent } from 'electron';
import { dispatch, type DesktopHandlers } from './desktop-handlers.js';
import { invokeChannel, invokeNames, pushChannels, type IpcResult } from './ipc-channels.js';
import { isOwnTopFrame } from './window-policy.js';

function senderIsOurs(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || BrowserWindow.fromWebContents(event.sender) === null) return false;
  return isOwnTopFrame({ url: frame.url, isTopFrame: frame.parent === null });
}

export function registerIpcHandlers(handlers: DesktopHandlers, log: (line: string) => void): void {
  for (const name of invokeNames) {
    ipcMain.handle(invokeChannel(name), async (event, ...args: unknown[]): Promise<IpcResult<unknown>> => {
      if (!senderIsOurs(event)) {
        log(`AgentDesk: refused ${name} from ${event.senderFrame?.url ?? 'a gone frame'}`);
        return { ok: false, error: { code: 'forbidden', message: 'Refused.', status: null, retryAfterSeconds: null } };
      }
      return dispatch(handlers, name, args, log);
    });
  }
}

/** Pushes an event to every window showing our document. */
export function pushToRenderers(channel: (typeof pushChannels)[keyof typeof pushChannels], payload: unknown): void {
  for (const contents of webContents.getAllWebContents()) {
    if (isOwnTopFrame({ url: contents.getURL(), isTopFrame: true })) contents.send(channel, payload);
  }
}
