// An identity service that can be stopped and started again on the same port and data folder,
// as a server going away and coming back looks to its clients. Serves the built web console.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveFreePort } from '../../server/free-port.js';
import { startServer } from '../../server/start.js';

export interface RestartableServer {
  url: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and deletes its data. */
  close(): Promise<void>;
}

export async function startRestartableServer(): Promise<RestartableServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-e2e-restart-'));
  const port = await reserveFreePort();
  const url = `http://localhost:${port}`;
  const launch = () => startServer({ host: 'localhost', port, dataDir, webRoot: 'dist/renderer', rpId: 'localhost', origins: [url], logLevel: 'warn', openSignup: false });
  let server: Awaited<ReturnType<typeof launch>> | undefined = await launch();
  return {
    url,
    get running() {
      return server !== undefined;
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
    async start() {
      if (!server) server = await launch();
    },
    async close() {
      await server?.close();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
