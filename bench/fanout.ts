// Sign-out fan-out: 10,000 open event streams of agents without 2FA on one server (held by two
// client processes), then the admin's enforcement save; the time from sending the save until
// each stream has received `session.revoked` (p50/p99/max, target p99 < 1 s), and the server
// process's RSS while holding the streams (target < 500 MB).
//
//   npm run bench -- fanout
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { totpCode } from '../server/testing/totp-reference.js';
import type { SessionsTable, UsersTable } from '../server/store/schema.js';
import { BENCH_DIR } from './lib/paths.js';
import { isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { BENCH_LOG_LEVEL, cpuMsOf } from './lib/server-process.js';
import { benchPasswordHash, BENCH_PASSWORD, insertMany, seedAccount, sessionRow, userRow } from './lib/seed.js';

export const FANOUT_P99_TARGET_MS = 1000;
export const FANOUT_RSS_TARGET_MB = 500;
const HOLDERS = 2;

function holder(): ChildProcess {
  return fork(join(BENCH_DIR, 'lib', 'stream-holder.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function reply<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (m?.type === type) {
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`stream holder exited (${code}) before '${type}'`)));
  });
}

async function json(res: Response) {
  const body = (await res.json()) as any;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function runFanout(options: { streams?: number; log?: (s: string) => void } = {}): Promise<Figure[]> {
  const streams = options.streams ?? 10_000;
  const log = options.log ?? ((s: string) => console.log(s));
  const scenario = await withSeededServer('fanout', async (db, box) => {
    const hash = await benchPasswordHash();
    const account = await seedAccount(db, box, 'bench', hash);
    const now = Date.now();
    const users: UsersTable[] = [];
    const sessions: SessionsTable[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < streams; i++) {
      const user = userRow(account.accountId, i, account.slug, hash, false, now);
      users.push(user);
      const s = sessionRow(user.id, account.accountId, 'active', now);
      sessions.push(s.row);
      tokens.push(s.token);
    }
    await db.transaction().execute(async (trx) => {
      await insertMany(trx, 'users', users);
      await insertMany(trx, 'sessions', sessions);
    });
    return { account, tokens };
  });
  const children: ChildProcess[] = [];
  try {
    const { server, seeded } = scenario;
    const base = `http://127.0.0.1:${server.port}/api/v1`;
    const headers = (token?: string) => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
    // The admin signs in for real and passes the second step (a recent second factor).
    const first = await json(await fetch(`${base}/sessions`, { method: 'POST', headers: headers(), body: JSON.stringify({ account: seeded.account.slug, email: seeded.account.admin.email, password: BENCH_PASSWORD }) }));
    // The second step rotates the token (session assurance): the old one no longer works.
    const passed = await json(await fetch(`${base}/sessions/current/second-factor`, { method: 'POST', headers: headers(first.token), body: JSON.stringify({ method: 'totp', code: totpCode(seeded.account.admin.totpSecret) }) }));
    const adminToken: string = passed.token ?? first.token;
    const rssBefore = server.rssMb();

    const openStart = performance.now();
    const per = Math.ceil(streams / HOLDERS);
    const ready = [];
    for (let h = 0; h < HOLDERS; h++) {
      const child = holder();
      children.push(child);
      const wait = reply<{ opened: number; failed: number }>(child, 'ready');
      child.send({ type: 'open', host: server.host, port: server.port, tokens: seeded.tokens.slice(h * per, (h + 1) * per) });
      ready.push(wait);
    }
    const readies = await Promise.all(ready);
    const opened = readies.reduce((n, r) => n + r.opened, 0);
    const failed = readies.reduce((n, r) => n + r.failed, 0);
    const openSeconds = (performance.now() - openStart) / 1000;
    log(`  ${opened.toLocaleString('en-US')} streams open in ${openSeconds.toFixed(1)} s (${failed} failed)`);
    await new Promise((r) => setTimeout(r, 2000));
    const rssHolding = server.rssMb();

    const cpuBefore = cpuMsOf(server.pid);
    const t0 = performance.timeOrigin + performance.now();
    const saved = await json(await fetch(`${base}/account/security-settings`, { method: 'PUT', headers: headers(adminToken), body: JSON.stringify({ requireTwoFactor: true, acknowledged: true }) }));
    const saveMs = performance.timeOrigin + performance.now() - t0;
    const done = await Promise.all(children.map((c) => {
      const wait = reply<{ arrivals: number[]; missing: number }>(c, 'done');
      c.send({ type: 'collect', timeoutMs: 30_000 });
      return wait;
    }));
    const serverCpuMs = cpuMsOf(server.pid) - cpuBefore;
    const latencies = done.flatMap((d) => d.arrivals.map((a) => a - t0)).sort((a, b) => a - b);
    const missing = done.reduce((n, d) => n + d.missing, 0) + failed;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const max = latencies[latencies.length - 1] ?? NaN;
    const details = { streams, opened, failed, missing, openSeconds, saveMs, signedOutUsers: saved.signedOutUsers, revokedSessions: saved.revokedSessions, rssBeforeMb: rssBefore, rssHoldingMb: rssHolding, p50, p99, max, serverCpuMs, loadAverage: loadavg()[0] };
    return [
      {
        figure: `sign-out fan-out, ${streams.toLocaleString('en-US')} streams: save → session.revoked`,
        value: p99,
        unit: 'ms (p99)',
        target: `p99 < ${FANOUT_P99_TARGET_MS} ms`,
        pass: p99 < FANOUT_P99_TARGET_MS && missing === 0,
        details,
      },
      { figure: 'sign-out fan-out: p50 / max', value: p50, unit: `ms / ${Math.round(max)} ms`, details: { p50, max } },
      { figure: 'sign-out fan-out: the save itself (PUT answered)', value: saveMs, unit: 'ms' },
      { figure: 'sign-out fan-out: server CPU from save to last event', value: serverCpuMs, unit: 'ms' },
      {
        figure: `server RSS holding ${opened.toLocaleString('en-US')} streams`,
        value: rssHolding,
        unit: 'MB',
        target: `< ${FANOUT_RSS_TARGET_MB} MB`,
        pass: rssHolding < FANOUT_RSS_TARGET_MB,
        details: { rssBeforeMb: rssBefore },
      },
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await scenario.close();
  }
}

if (isMain(import.meta.url)) {
  console.log(`server LOG_LEVEL=${BENCH_LOG_LEVEL}`);
  const figures = await runFanout({ streams: process.argv[2] ? Number(process.argv[2]) : undefined });
  writeResults('fanout', figures);
  console.log(table(figures));
}
