// Deployment day across two instances: 10,000 open event streams of agents without 2FA, half
// held on each of two server processes sharing one PostgreSQL database; the admin schedules the
// requirement a few seconds ahead; at that time one instance wins the claim, revokes every
// session in one transaction and the relay tells the other instance. Figures: the delay from
// `startsAt` to each stream's `session.revoked` (p50/p99/max: the max is the last pushed
// sign-out), and that it was applied once.
//
//   npx tsx bench/deployment-day.ts [streams]      (DATABASE_URL, or a private cluster)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from '../server/crypto/secret-box.js';
import { openStore } from '../server/store/database.js';
import type { SessionsTable, UsersTable } from '../server/store/schema.js';
import { freshPostgresDatabase } from '../server/testing/postgres.js';
import { totpCode } from '../server/testing/totp-reference.js';
import { BENCH_DIR } from './lib/paths.js';
import { isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { analyze, benchPasswordHash, BENCH_PASSWORD, insertMany, seedAccount, sessionRow, userRow } from './lib/seed.js';
import { startPrivateCluster, type PrivateCluster } from './postgres.js';

export const DEPLOYMENT_DAY_TARGET_MS = 1000;
/** Ahead of now: long enough for both instances' polls (every 5 s) to have armed a timer. */
const LEAD_MS = 7_000;

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

export async function runDeploymentDay(options: { streams?: number; log?: (s: string) => void; /** Compare: an admin's save upon the same setup instead of a schedule. */ now?: boolean } = {}): Promise<Figure[]> {
  const streams = options.streams ?? 10_000;
  const log = options.log ?? ((s: string) => console.log(s));
  let cluster: PrivateCluster | undefined;
  const adminUrl = process.env.DATABASE_URL ?? (cluster = await startPrivateCluster()).adminUrl;
  const database = await freshPostgresDatabase(adminUrl);
  const secretKey = randomBytes(32).toString('hex');
  const box = SecretBox.fromKey(secretKey);
  const dataDirs: string[] = [];
  const servers: ServerProcess[] = [];
  const children: ChildProcess[] = [];
  try {
    const store = await openStore({ dataDir: tmpdir(), databaseUrl: database.url });
    const hash = await benchPasswordHash();
    const account = await seedAccount(store.db, box, 'bench', hash);
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
    await store.db.transaction().execute(async (trx) => {
      await insertMany(trx, 'users', users);
      await insertMany(trx, 'sessions', sessions);
    });
    await analyze(store.db, 'postgres');
    await store.close();

    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-day-'));
      dataDirs.push(dataDir);
      // One address holds every stream here: the per-address connection cap is for the internet.
      servers.push(await startServerProcess({ dataDir, env: { DATABASE_URL: database.url, AGENTDESK_SECRET_KEY: secretKey, AGENTDESK_MAX_CONNECTIONS_PER_ADDRESS: '0' } }));
    }
    const base = `http://127.0.0.1:${servers[0]!.port}/api/v1`;
    const headers = (token?: string) => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
    const first = await json(await fetch(`${base}/sessions`, { method: 'POST', headers: headers(), body: JSON.stringify({ account: account.slug, email: account.admin.email, password: BENCH_PASSWORD }) }));
    const passed = await json(await fetch(`${base}/sessions/current/second-factor`, { method: 'POST', headers: headers(first.token), body: JSON.stringify({ method: 'totp', code: totpCode(account.admin.totpSecret) }) }));
    const adminToken = passed.token ?? first.token;

    const per = Math.ceil(streams / 2);
    const ready = servers.map((server, h) => {
      const child = holder();
      children.push(child);
      const wait = reply<{ opened: number; failed: number }>(child, 'ready');
      child.send({ type: 'open', host: server.host, port: server.port, tokens: tokens.slice(h * per, (h + 1) * per) });
      return wait;
    });
    const readies = await Promise.all(ready);
    const opened = readies.reduce((n, r) => n + r.opened, 0);
    const failed = readies.reduce((n, r) => n + r.failed, 0);
    log(`  ${opened.toLocaleString('en-US')} streams open on two instances (${failed} failed)`);

    const startsAt = options.now ? Date.now() : Date.now() + LEAD_MS;
    await json(await fetch(`${base}/account/security-settings`, { method: 'PUT', headers: headers(adminToken), body: JSON.stringify({ requireTwoFactor: true, acknowledged: true, ...(options.now ? {} : { startsAt: new Date(startsAt).toISOString() }) }) }));
    const done = await Promise.all(children.map((c) => {
      const wait = reply<{ arrivals: number[]; missing: number }>(c, 'done');
      c.send({ type: 'collect', timeoutMs: LEAD_MS + 30_000 });
      return wait;
    }));
    done.forEach((d, h) => {
      const own = d.arrivals.map((a) => a - startsAt).sort((a, b) => a - b);
      log(`  instance ${h + 1}: ${own.length.toLocaleString('en-US')} sign-outs pushed, first ${Math.round(own[0] ?? NaN)} ms, p50 ${Math.round(percentile(own, 50))} ms, last ${Math.round(own[own.length - 1] ?? NaN)} ms after startsAt`);
    });
    const delays = done.flatMap((d) => d.arrivals.map((a) => a - startsAt)).sort((a, b) => a - b);
    const missing = done.reduce((n, d) => n + d.missing, 0) + failed;
    const audit = await json(await fetch(`http://127.0.0.1:${servers[1]!.port}/api/v1/account/audit-events?action=security_settings.updated&limit=50`, { headers: headers(adminToken) }).catch(() => new Response('{"events":[]}')));
    const applications = (audit.events ?? []).filter((e: any) => e.details?.deploymentDay || (options.now && e.details?.requireTwoFactor?.to)).length;
    const p50 = percentile(delays, 50);
    const p99 = percentile(delays, 99);
    const max = delays[delays.length - 1] ?? NaN;
    const details = { streams, opened, failed, missing, p50, p99, max, applications, earliest: delays[0], loadAverage: loadavg()[0] };
    return [
      {
        figure: options.now
          ? `immediate save (for comparison), ${streams.toLocaleString('en-US')} streams on 2 instances: save → last session.revoked`
          : `deployment day, ${streams.toLocaleString('en-US')} streams on 2 instances: startsAt → last session.revoked`,
        value: max,
        unit: 'ms (max)',
        target: `< ${DEPLOYMENT_DAY_TARGET_MS} ms, applied once`,
        pass: max < DEPLOYMENT_DAY_TARGET_MS && missing === 0 && applications <= 1,
        details,
      },
      { figure: 'deployment day: p50 / p99', value: p50, unit: `ms / ${Math.round(p99)} ms`, details: { p50, p99 } },
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of dataDirs) {
      // What each instance said about the deployment day (which one applied it, how late).
      try {
        for (const line of readFileSync(join(d, 'server.log'), 'utf8').split('\n')) if (line.includes('deployment day')) log(`  ${line.slice(0, 300)}`);
      } catch {
        /* no log */
      }
      rmSync(d, { recursive: true, force: true });
    }
    await database.drop();
    await cluster?.stop();
  }
}

if (isMain(import.meta.url)) {
  const count = process.argv.slice(2).find((a) => /^\d+$/.test(a));
  const now = process.argv.includes('--now');
  const figures = await runDeploymentDay({ streams: count ? Number(count) : undefined, now });
  writeResults(now ? 'deployment-day-vs-save' : 'deployment-day', figures, { loadAverage: loadavg() });
  console.log(table(figures));
}
