// Which identity service the desktop talks to: the one named by AGENTDESK_SERVER_URL, or else
// its own, embedded in main, listening on 127.0.0.1 with its data in the app's user-data folder.
import { join } from 'node:path';
import { startServer } from '../server/start.js';

export interface ServerConnection {
  /** Base address of the service, e.g. http://localhost:53124. */
  url: string;
  /** The WebAuthn origin main writes into clientDataJSON: the server's own, as the web console sends. */
  origin: string;
  /** Name the keychain files this server's sessions under (stable across restarts). */
  storeKey: string;
  embedded: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  env?: NodeJS.ProcessEnv;
  /** Electron's app.getPath('userData'). */
  userDataDir: string;
  log?(line: string): void;
}

/** Parses AGENTDESK_SERVER_URL: only http(s), and only the origin is used. */
export function parseServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`AGENTDESK_SERVER_URL is not a URL: "${text}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`AGENTDESK_SERVER_URL must be http(s), got "${url.protocol}"`);
  if (url.username || url.password) throw new Error('AGENTDESK_SERVER_URL must not carry credentials');
  return url;
}

export async function connectServer(options: ConnectOptions): Promise<ServerConnection> {
  const env = options.env ?? process.env;
  const log = options.log ?? console.log;
  const configured = env.AGENTDESK_SERVER_URL?.trim();
  if (configured) {
    const url = parseServerUrl(configured);
    if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      log(`AgentDesk: warning: ${url.origin} is plain HTTP; use https for any server not on this machine.`);
    }
    return { url: url.origin, origin: url.origin, storeKey: url.origin, embedded: false, close: async () => {} };
  }
  const dataDir = join(options.userDataDir, 'server');
  // The port changes each start; the RP ID is the host name ("localhost"), so keys enrolled
  // earlier keep working, and the origin the server expects follows the port.
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: env.AGENTDESK_SERVER_LOG_LEVEL ?? 'warn' });
  log(`AgentDesk: embedded identity service on ${server.url} (data: ${dataDir})`);
  return { url: server.url, origin: new URL(server.url).origin, storeKey: `embedded:${dataDir}`, embedded: true, close: () => server.close() };
}
