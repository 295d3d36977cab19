// A private PostgreSQL cluster for the benchmarks: scripts/postgres-cluster.sh (the same script
// CI starts the test database with) initdb's into a temporary directory and starts it on a free
// loopback port (and a unix socket in the same directory), as user `postgres` when run as root
// (initdb refuses root). Stock settings. Used only when DATABASE_URL is not set.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshPostgresDatabase } from '../server/testing/postgres.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const CLUSTER_SCRIPT = fileURLToPath(new URL('../scripts/postgres-cluster.sh', import.meta.url));

export interface PrivateCluster {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  stop(): Promise<void>;
}

function cluster(command: 'start' | 'stop', dir: string): string {
  return execFileSync(CLUSTER_SCRIPT, [command, dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PG_BIN, PG_FAST: '' },
  }).trim();
}

export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-pg-'));
  const adminUrl = cluster('start', dir);
  let stopped = false;
  return {
    adminUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster('stop', dir);
    },
  };
}

/** A fresh database on the cluster (or the server at DATABASE_URL), dropped by `drop()`. */
export function freshDatabase(adminUrl: string, name = `agentdesk_bench_${process.pid}`) {
  return freshPostgresDatabase(adminUrl, name);
}

/**
 * A benchmark on both stores: `once` on SQLite (no database URL), then on a fresh PostgreSQL
 * database when PostgreSQL is there (a private cluster unless DATABASE_URL names one).
 */
export async function onEveryStore<T>(name: string, once: (databaseUrl: string | undefined) => Promise<T[]>, log: (s: string) => void): Promise<T[]> {
  log('  SQLite');
  const results = await once(undefined);
  if (!postgresAvailable() && !process.env.DATABASE_URL) return results;
  let cluster: PrivateCluster | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    log('  starting a private PostgreSQL cluster');
    cluster = await startPrivateCluster();
    adminUrl = cluster.adminUrl;
  }
  const database = await freshDatabase(adminUrl, `agentdesk_bench_${name}_${process.pid}`);
  try {
    log('  PostgreSQL');
    results.push(...(await once(database.url)));
  } finally {
    await database.drop().catch(() => {});
    await cluster?.stop();
  }
  return results;
}
