// One identity service per test file, on its own port and data directory, serving the built
// renderer as the web console. Browsers reach it as `localhost`: WebAuthn refuses an IP as RP ID.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveFreePort } from '../../server/free-port.js';
import { startServer } from '../../server/start.js';

export interface TestServer {
  url: string;
  /** How recent a second factor a sensitive change needs (10 minutes in production). */
  setReauthenticationWindow(ms: number): void;
  close(): Promise<void>;
}

export async function startTestServer(options: { openSignup?: boolean } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-e2e-'));
  // The origin names the port, so the port is chosen before the server starts.
  const port = await reserveFreePort();
  const url = `http://localhost:${port}`;
  // Listening on both loopbacks, so `localhost` (::1 first for Node, either for Chromium) can
  // never reach some other process that holds the port on the other address family.
  const server = await startServer({ host: 'localhost', port, dataDir, webRoot: 'dist/renderer', rpId: 'localhost', origins: [url], logLevel: 'warn', openSignup: options.openSignup ?? false });
  const defaultWindow = server.context.recentSecondFactorMs;
  return {
    url,
    setReauthenticationWindow(ms) {
      server.context.recentSecondFactorMs = ms ?? defaultWindow;
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
