// The desktop app's entry (Electron main process). It assembles what is tested on plain Node —
// the embedded or configured server, the keychain session, the security-key ceremonies, the
// IPC handlers — and adds the Electron glue: one hardened window on app://agentdesk, the menu,
// the single-instance lock.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, session as electronSession, shell } from 'electron';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { createDesktopHandlers } from './desktop-handlers.js';
import { DesktopSession } from './desktop-session.js';
import { pushChannels } from './ipc-channels.js';
import { pushToRenderers, registerIpcHandlers } from './ipc.js';
import { installMenu } from './menu.js';
import { SecurityKeyCeremonies, securityKeyAuthenticatorFromEnvironment } from './security-key-ceremony.js';
import { connectServer, type ServerConnection } from './server-connection.js';
import { openSessionStore } from './session-store.js';
import { DESK_SETTINGS_FILE, DeskSettings } from './desk-settings.js';
import { createMainWindow, hardenWebContents } from './window.js';

// Built layout (npm run build:desktop): dist/desktop/{electron-main.mjs,preload.cjs}, dist/renderer/.
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const rendererRoot = fileURLToPath(new URL('../renderer/', import.meta.url));
const log = (line: string) => console.log(line);

// A separate profile (tests, a second account side by side) without touching the default one.
if (process.env.AGENTDESK_USER_DATA_DIR) app.setPath('userData', process.env.AGENTDESK_USER_DATA_DIR);

registerAppScheme();
app.enableSandbox();

let mainWindow: BrowserWindow | undefined;
let connection: ServerConnection | undefined;
let desktopSession: DesktopSession | undefined;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    desktopSession?.close();
    void connection?.close();
  });
  app.whenReady().then(start, (error: unknown) => fail(error));
}

async function start(): Promise<void> {
  try {
    connection = await connectServer({ userDataDir: app.getPath('userData'), log });
    const store = await openSessionStore({ log });
    const session = new DesktopSession({
      server: connection.url,
      storeKey: connection.storeKey,
      store,
      desk: new DeskSettings(join(app.getPath('userData'), DESK_SETTINGS_FILE)),
      log,
      onRevoked: (event) => pushToRenderers(pushChannels.sessionRevoked, event),
      onAccountUpdated: (event) => pushToRenderers(pushChannels.accountUpdated, event),
      onServerConnection: (event) => pushToRenderers(pushChannels.serverConnection, event),
    });
    desktopSession = session;
    const securityKeys = new SecurityKeyCeremonies({
      authenticator: securityKeyAuthenticatorFromEnvironment(),
      origin: connection.origin,
      onProgress: (progress) => pushToRenderers(pushChannels.securityKeyProgress, progress),
    });
    registerIpcHandlers(createDesktopHandlers({ session, securityKeys, openExternal: (url) => shell.openExternal(url) }), log);
    serveRenderer(electronSession.defaultSession, rendererRoot);
    installMenu();
    mainWindow = await createMainWindow(preloadPath);
    mainWindow.on('closed', () => (mainWindow = undefined));
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`AgentDesk could not start: ${message}`);
  dialog.showErrorBox('AgentDesk could not start', message);
  app.exit(1);
}
