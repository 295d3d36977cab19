// Electron glue: every window comes from windowOptions(), and every web contents passes through
// hardenWebContents(): no navigation, no new windows, no webviews, no permissions; http(s)
// links the agent clicks open in the system browser after parsing.
import { BrowserWindow, shell, type WebContents } from 'electron';
import { APP_ENTRY, externalLink } from './window-policy.js';

export function windowOptions(preloadPath: string): Electron.BrowserWindowConstructorOptions {
  return {
    width: 1120,
    height: 780,
    minWidth: 720,
    minHeight: 560,
    title: 'AgentDesk',
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

function openExternally(url: string): void {
  const link = externalLink(url);
  if (link) void shell.openExternal(link);
}

export function hardenWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  // The renderer is a single-page app: it changes screens with the History API and never
  // navigates. A link to elsewhere goes to the system browser instead.
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openExternally(url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export async function createMainWindow(preloadPath: string): Promise<BrowserWindow> {
  const window = new BrowserWindow(windowOptions(preloadPath));
  hardenWebContents(window.webContents);
  window.once('ready-to-show', () => window.show());
  await window.loadURL(APP_ENTRY);
  return window;
}
