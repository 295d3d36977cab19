// bench:users — the users list, its export and the bulk invitation over an account of 100,000
// users (PRODUCT.md "People (admins)": the list works at 100,000 users).
//
// Seeds one account straight into the store (as bench/enforce.ts does): 100,000 users with
// varied names, 40 % with an authenticator app, 20 % with a security key, a few admins, some
// invited or deactivated, most with a last sign-in. Then, through the real HTTP API with the
// admin's session, one request at a time:
// - the list: first page, a deep page, by last sign-in, a search, and each filter: p99 < 50 ms;
// - the CSV export of all 100,000 rows: < 3 s, with the process's peak RSS while streaming;
// - the dry run and the import of a 10,000-row CSV: < 10 s each (no password is hashed).
// SQLite always; PostgreSQL too with --postgres or when DATABASE_URL is set. --explain prints
// each list query's plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE).
//
//   npm run bench -- users        npx tsx bench/users-list.ts [--postgres] [--users 100000] [--explain]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { newId } from '../server/crypto/tokens.js';
import { startServer } from '../server/start.js';
import { filteredUsers } from '../server/people/users.js';
import { totpCode } from '../server/testing/totp-reference.js';
import type { Database, MethodsTable, SessionsTable, UsersTable } from '../server/store/schema.js';
import { below, isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { analyze, benchPasswordHash, BENCH_PASSWORD, insertMany, seedAccount, sessionRow, totpMethod, totpSecret } from './lib/seed.js';
import { freshDatabase, postgresAvailable, startPrivateCluster, type PrivateCluster } from './postgres.js';

const LIST_TARGET_MS = 50;
const EXPORT_TARGET_MS = 3000;
const IMPORT_TARGET_MS = 10_000;
const REQUESTS = 60;

const FIRST = ['Ana', 'Ben', 'Carla', 'Dev', 'Elif', 'Femi', 'Gita', 'Hugo', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Marta', 'Nikhil', 'Olu', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tomas', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zofia'];
const LAST = ['Martin', 'Okafor', 'Silva', 'Nguyen', 'Kowalski', 'Haddad', 'Johansson', 'Rossi', 'Moreau', 'Tanaka', 'Petrov', 'Garcia', 'Schmidt', 'Khan', 'Dubois', 'Murphy', 'Novak', 'Costa', 'Yilmaz', 'Larsen'];

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => undefined)) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Run {
  store: 'sqlite' | 'postgres';
  users: number;
  seedMs: number;
  list: { name: string; query: string; p50: number; p99: number; total: number }[];
  exportMs: number;
  exportRows: number;
  exportBytes: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  dryRunMs: number;
  importMs: number;
  imported: number;
}

const listQueries: { name: string; query: string }[] = [
  { name: 'first page (by name)', query: '?limit=50' },
  { name: 'deep page (offset 50,000)', query: '?limit=50&offset=50000' },
  { name: 'by last sign-in, newest first', query: '?limit=50&sort=-lastSignIn' },
  { name: 'search "okaf"', query: '?limit=50&q=okaf' },
  { name: 'search an email "agent7777"', query: '?limit=50&q=agent7777' },
  { name: 'filter 2FA none', query: '?limit=50&twoFactor=none' },
  { name: 'filter authenticator app', query: '?limit=50&twoFactor=totp' },
  { name: 'filter security key', query: '?limit=50&twoFactor=security_key' },
  { name: 'filter role admin', query: '?limit=50&role=admin' },
  { name: 'filter status invited', query: '?limit=50&status=invited' },
  { name: 'impact: no 2FA, signed in now', query: '?limit=1&twoFactor=none&signedIn=true' },
];

async function explain(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', accountId: string, log: (s: string) => void) {
  const cases: [string, Parameters<typeof filteredUsers>[2], string][] = [
    ['page by name', {}, 'u.name'],
    ['search', { q: 'okaf' }, 'u.name'],
    ['authenticator app', { twoFactor: 'totp' }, 'u.name'],
    ['last sign-in', {}, 'u.last_sign_in_at'],
    ['impact: no 2FA, signed in now', { twoFactor: 'none', signedIn: true }, 'u.name'],
  ];
  for (const [name, filters, order] of cases) {
    const q = filteredUsers(db, accountId, filters).select(['u.id', 'u.name']).orderBy(sql.ref(order), 'desc').limit(50).compile();
    const text = inline(q.sql, q.parameters);
    log(`  ${dialect} plan, ${name}:`);
    const plan = dialect === 'sqlite' ? await sql.raw<{ detail: string }>('explain query plan ' + text).execute(db) : await sql.raw<{ 'QUERY PLAN': string }>('explain analyze ' + text).execute(db);
    for (const row of plan.rows) log(`    ${'detail' in row ? row.detail : row['QUERY PLAN']}`);
  }
  // The page's total: every page of the whole list counts the account's users.
  const count = filteredUsers(db, accountId, {}).select((eb) => eb.fn.countAll().as('n')).compile();
  const countText = inline(count.sql, count.parameters);
  log(`  ${dialect} plan, the total of the whole list:`);
  const plan = dialect === 'sqlite' ? await sql.raw<{ detail: string }>('explain query plan ' + countText).execute(db) : await sql.raw<{ 'QUERY PLAN': string }>('explain analyze ' + countText).execute(db);
  for (const row of plan.rows) log(`    ${'detail' in row ? row.detail : row['QUERY PLAN']}`);
}
function inline(text: string, parameters: readonly unknown[]): string {
  let i = 0;
  const value = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  return text.replace(/\$(\d+)|\?/g, (_m, n) => value(parameters[n ? Number(n) - 1 : i++]));
}

export async function usersOnce(options: { users: number; databaseUrl?: string | undefined; explain?: boolean; log?: (s: string) => void }): Promise<Run> {
  const log = options.log ?? (() => {});
  const store = options.databaseUrl ? 'postgres' : 'sqlite';
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-users-'));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'warn', databaseUrl: options.databaseUrl });
  try {
    const { db, box } = server.context;
    const passwordHash = await benchPasswordHash();
    const seedStart = performance.now();
    const account = await seedAccount(db, box, 'bench', passwordHash);
    const now = Date.now();
    const BATCH = 10_000;
    for (let start = 0; start < options.users; start += BATCH) {
      const users: UsersTable[] = [];
      const methods: MethodsTable[] = [];
      const sessions: SessionsTable[] = [];
      for (let i = start; i < Math.min(options.users, start + BATCH); i++) {
        const app = i % 5 < 2;
        const key = i % 5 === 2;
        const user: UsersTable = {
          id: newId(),
          account_id: account.accountId,
          name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${i}`,
          email: `agent${i}@bench.test`,
          password_hash: i % 50 === 7 ? '' : passwordHash,
          role: i % 500 === 0 ? 'admin' : 'agent',
          has_two_factor: app || key ? 1 : 0,
          has_totp: app ? 1 : 0,
          has_security_key: key ? 1 : 0,
          created_at: now - i * 1000,
          locked_until: null,
          status: i % 50 === 7 ? 'invited' : i % 97 === 3 ? 'deactivated' : 'active',
          last_sign_in_at: i % 10 === 9 || i % 50 === 7 ? null : now - ((i * 7919) % 2_592_000) * 1000,
        };
        users.push(user);
        // A fifth of the floor is signed in now (half of them without 2FA, before it is required); a tenth ended a session earlier (revoked rows stay).
        if (i % 10 === 1 || i % 10 === 3) sessions.push(sessionRow(user.id, account.accountId, 'active', now).row);
        if (i % 10 === 4) sessions.push({ ...sessionRow(user.id, account.accountId, 'active', now).row, revoked_at: now - 60_000, revoked_reason: 'signed_out' });
        if (app) methods.push(totpMethod(box, user.id, account.accountId, totpSecret(), now));
        if (key) methods.push({ ...totpMethod(box, user.id, account.accountId, totpSecret(), now), type: 'security_key', totp_secret: null, credential_id: `cred-${user.id}`, public_key: 'pk', sign_count: 0 });
      }
      await db.transaction().execute(async (trx) => {
        await insertMany(trx, 'users', users);
        await insertMany(trx, 'methods', methods);
        await insertMany(trx, 'sessions', sessions);
      });
    }
    await analyze(db, server.context.store.dialect);
    const seedMs = performance.now() - seedStart;
    log(`  ${store}: seeded ${options.users.toLocaleString('en')} users in ${(seedMs / 1000).toFixed(1)} s`);
    if (options.explain) await explain(db, server.context.store.dialect, account.accountId, log);

    const base = `${server.url}/api/v1`;
    const signIn = await call(base, 'POST', '/sessions', undefined, { account: account.slug, email: account.admin.email, password: BENCH_PASSWORD });
    const passed = await call(base, 'POST', '/sessions/current/second-factor', signIn.token, { method: 'totp', code: totpCode(account.admin.totpSecret) });
    const token: string = passed.token ?? signIn.token;

    const list: Run['list'] = [];
    for (const { name, query } of listQueries) {
      let total = 0;
      for (let i = 0; i < 5; i++) await call(base, 'GET', `/account/users${query}`, token);
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const t0 = performance.now();
        const page = await call(base, 'GET', `/account/users${query}`, token);
        times.push(performance.now() - t0);
        total = page.total;
      }
      times.sort((a, b) => a - b);
      list.push({ name, query, p50: percentile(times, 50), p99: percentile(times, 99), total });
      log(`  ${store}: ${name}: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms (total ${total})`);
    }

    // The export, read as it streams (nothing kept), with the process's RSS sampled meanwhile.
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const t0 = performance.now();
    const res = await fetch(`${base}/account/users/export`, { headers: { authorization: `Bearer ${token}` } });
    let bytes = 0;
    let rows = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) rows++;
    }
    const exportMs = performance.now() - t0;
    clearInterval(sampler);
    log(`  ${store}: export ${(rows - 1).toLocaleString('en')} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${exportMs.toFixed(0)} ms, RSS ${Math.round(rssBefore / 2 ** 20)} → peak ${Math.round(rssPeak / 2 ** 20)} MB`);

    const csv = ['name,email,role', ...Array.from({ length: 10_000 }, (_, i) => `Imported Agent ${i},imported${i}@bench.test,agent`)].join('\n');
    const importCall = async (dryRun: boolean) => {
      const t = performance.now();
      const r = await fetch(`${base}/account/users/import${dryRun ? '?dryRun=true' : ''}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv });
      const body = (await r.json()) as any;
      if (!r.ok) throw new Error(`import: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
      return { ms: performance.now() - t, body };
    };
    const dry = await importCall(true);
    const real = await importCall(false);
    log(`  ${store}: import 10,000 rows: dry run ${dry.ms.toFixed(0)} ms, import ${real.ms.toFixed(0)} ms (${real.body.counts.valid} created)`);
    return {
      store,
      users: options.users,
      seedMs,
      list,
      exportMs,
      exportRows: rows - 1,
      exportBytes: bytes,
      rssBeforeMb: rssBefore / 2 ** 20,
      rssPeakMb: rssPeak / 2 ** 20,
      dryRunMs: dry.ms,
      importMs: real.ms,
      imported: real.body.counts.valid,
    };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function usersFigures(run: Run): Figure[] {
  const label = run.store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const n = run.users.toLocaleString('en');
  return [
    ...run.list.map((l) => ({
      figure: `users list, ${n} users, ${label}: ${l.name}`,
      value: l.p99,
      unit: 'ms',
      latency: { p50: l.p50, p99: l.p99 },
      target: `p99 < ${LIST_TARGET_MS} ms`,
      pass: below(l.p99, LIST_TARGET_MS),
      details: { query: l.query, total: l.total },
    })),
    { figure: `users export, ${run.exportRows.toLocaleString('en')} rows, ${label}`, value: run.exportMs, unit: 'ms', target: `< ${EXPORT_TARGET_MS} ms`, pass: below(run.exportMs, EXPORT_TARGET_MS), details: { bytes: run.exportBytes } },
    { figure: `users export, ${label}: peak RSS (before: ${Math.round(run.rssBeforeMb)} MB)`, value: run.rssPeakMb, unit: 'MB', details: { rssBeforeMb: run.rssBeforeMb } },
    { figure: `bulk invitation dry run, 10,000 rows, ${label}`, value: run.dryRunMs, unit: 'ms', target: `< ${IMPORT_TARGET_MS} ms`, pass: below(run.dryRunMs, IMPORT_TARGET_MS) },
    { figure: `bulk invitation import, 10,000 rows, ${label}`, value: run.importMs, unit: 'ms', target: `< ${IMPORT_TARGET_MS} ms`, pass: below(run.importMs, IMPORT_TARGET_MS), details: { imported: run.imported } },
  ];
}

export async function runUsers(options: { users?: number; postgres?: boolean; explain?: boolean; log?: (s: string) => void } = {}): Promise<Figure[]> {
  const users = options.users ?? 100_000;
  const log = options.log ?? ((s: string) => console.log(s));
  const figures = usersFigures(await usersOnce({ users, explain: options.explain, log }));
  if (options.postgres || process.env.DATABASE_URL) {
    let cluster: PrivateCluster | undefined;
    let adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) {
      if (!postgresAvailable()) throw new Error('PostgreSQL binaries not found (set PG_BIN or DATABASE_URL)');
      log('  starting a private PostgreSQL cluster');
      cluster = await startPrivateCluster();
      adminUrl = cluster.adminUrl;
    }
    const database = await freshDatabase(adminUrl, `agentdesk_bench_users_${process.pid}`);
    try {
      figures.push(...usersFigures(await usersOnce({ users, databaseUrl: database.url, explain: options.explain, log })));
    } finally {
      await database.drop().catch(() => {});
      await cluster?.stop();
    }
  }
  return figures;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { postgres: { type: 'boolean', default: false }, explain: { type: 'boolean', default: false }, users: { type: 'string' } } });
  const users = values.users ? Number(values.users) : 100_000;
  console.log(`bench:users — ${users.toLocaleString('en-US')} users: list, export, bulk invitation`);
  const figures = await runUsers({ users, postgres: values.postgres, explain: values.explain });
  console.log(table(figures));
  console.log(`wrote ${writeResults('users', figures)}`);
}
