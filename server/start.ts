// Starts the identity service: opens the store, builds the app, listens.
import { buildApp, createContext } from './http/app.js';
import { defaultConfig, type Config } from './config.js';
import { openStore } from './store/database.js';
import { reserveFreePort } from './free-port.js';
import type { ServerContext } from './context.js';
import { warmBreachedList } from './people/passwords.js';
import { repairMemberFlags } from './groups/member-flags.js';

export interface RunningServer {
  url: string;
  port: number;
  /**
   * Graceful: /api/v1/health answers 503, event streams are sent `reconnect` and ended, the
   * listener closes (no new connection is accepted), idle kept-alive sockets are closed and
   * every request in flight finishes (its socket closed after its answer). Connections still
   * open after `graceMs` (default: the config's shutdownGraceMs) are cut. Then the store closes.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** `onStatement`: see StoreOptions (store/database.ts); the benchmarks count statements with it. */
export async function startServer(options: Partial<Config> = {}, hooks: { onStatement?: (sql: string) => void } = {}): Promise<RunningServer & { context: ServerContext }> {
  const config = defaultConfig(options);
  // The relying party's origin names the port, so a random port is chosen before the app is built.
  const port = config.port === 0 ? await reserveFreePort(config.host) : config.port;
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, onStatement: hooks.onStatement });
  let context: ServerContext;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    // Refuses to start on a bad secret key (AGENTDESK_SECRET_KEY_FILE readable by others).
    context = createContext({ ...config, port }, store, port);
    app = await buildApp(context);
    // The breached-password list is read now (under a second), not by the first request that sets a password.
    warmBreachedList();
    await app.listen({ host: config.host, port });
  } catch (error) {
    await app?.close().catch(() => {});
    await store.close();
    throw error;
  }
  // Ended sessions, spent challenges and stale throttle windows are forgotten hourly, and any
  // group membership's copy of its user's method flags that a race left behind is repaired.
  const housekeeping = setInterval(() => {
    context.sessions.purgeEnded().catch((error: unknown) => app.log.warn({ err: error }, 'housekeeping failed'));
    repairMemberFlags(context.db)
      .then((repaired) => {
        if (repaired > 0) app.log.warn({ repaired }, 'group memberships had stale method flags: repaired');
      })
      .catch((error: unknown) => app.log.warn({ err: error }, 'housekeeping failed'));
  }, 3_600_000);
  housekeeping.unref();
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host === '127.0.0.1' ? 'localhost' : config.host}:${port}`;
  let closed = false;
  return {
    url,
    port,
    context,
    async close(options = {}) {
      if (closed) return;
      closed = true;
      clearInterval(housekeeping);
      context.lifecycle.draining = true;
      // Still serving, health answering 503, until the balancer's health check has taken this
      // instance out: a connection it sends in the moment the listener closes would be reset
      // (the kernel resets connections queued but not yet accepted).
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      const graceMs = options.graceMs ?? config.shutdownGraceMs;
      const cut = setTimeout(() => {
        app.log.warn({ graceMs }, 'shutdown: requests still in flight after the grace period; closing their connections');
        app.server.closeAllConnections();
      }, graceMs);
      cut.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      await store.close();
    },
  };
}
