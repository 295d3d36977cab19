// A private PostgreSQL cluster for the benchmarks: initdb into a temporary directory and pg_ctl
// start on a free loopback port (and a unix socket in the same directory), as user `postgres`
// (initdb refuses to run as root). Used only when DATABASE_URL is not set.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { reserveFreePort } from '../server/free-port.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivateCluster {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  stop(): Promise<void>;
}

function asPostgres(cmd: string, args: string[]): string {
  const root = userInfo().uid === 0;
  const file = root ? 'runuser' : cmd;
  const argv = root ? ['-u', 'postgres', '--', cmd, ...args] : args;
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-pg-'));
  const data = join(dir, 'data');
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await reserveFreePort('127.0.0.1');
  // Stock settings apart from where it listens: the figure is what a default install gives.
  asPostgres(join(PG_BIN, 'pg_ctl'), [
    '-D', data,
    '-l', join(dir, 'postgres.log'),
    '-w', '-t', '60',
    '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
    'start',
  ]);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    adminUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh database on the cluster (or the server at DATABASE_URL), dropped by `drop()`. */
export async function freshDatabase(adminUrl: string, name = `agentdesk_bench_${process.pid}`) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
