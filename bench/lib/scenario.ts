// A benchmark scenario's life: an empty data directory seeded straight into the store (with the
// server's own migrations, secret box and hashing), then the server started in its own process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { SecretBox } from '../../server/crypto/secret-box.js';
import { openStore } from '../../server/store/database.js';
import type { Database } from '../../server/store/schema.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

export interface Scenario {
  dataDir: string;
  server: ServerProcess;
  close(): Promise<void>;
}

export async function withSeededServer<T>(
  name: string,
  seed: (db: Kysely<Database>, box: SecretBox) => Promise<T>,
  options: { nodeArgs?: string[]; env?: Record<string, string>; databaseUrl?: string } = {},
): Promise<Scenario & { seeded: T; seedMs: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), `agentdesk-bench-${name}-`));
  const t0 = performance.now();
  // With `databaseUrl` (an empty PostgreSQL database) the store is there; the data directory
  // still holds the key file and the server's log.
  const store = await openStore({ dataDir, databaseUrl: options.databaseUrl });
  // The key file the server will read from the same data directory.
  const box = SecretBox.fromDataDir(dataDir);
  let seeded: T;
  try {
    seeded = await seed(store.db, box);
  } finally {
    await store.close();
  }
  const seedMs = performance.now() - t0;
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const env = { ...options.env, ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}) };
  const server = await startServerProcess({ dataDir, env, nodeArgs: [...profile, ...(options.nodeArgs ?? [])] });
  return {
    dataDir,
    server,
    seeded,
    seedMs,
    async close() {
      await server.stop();
      if (!process.env.BENCH_KEEP) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
