// bench:adoption — GET /account/adoption and its CSV over an account of 100,000 users (issue 22:
// adoption is computed in a few grouped queries, never one per user).
//
// Seeds one account straight into the store: users created over the last 400 days, 40 % with an
// authenticator app and 20 % with a security key added on days spread over the year, 1 % of
// users deactivated (with their `user.deactivated` entry) and 2 % who removed a method (a
// `method.added` and a `method.removed` entry each: these are replayed from the audit log). Then,
// through the real HTTP API with the admin's session, one request at a time: the 30-day and the
// 365-day series, with a deployment day scheduled (so the missing list's count and first page
// too), and the CSV of 365 days.
//
//   npm run bench -- adoption        npx tsx bench/adoption.ts [--users 100000] [--database-url postgres://…/empty_db]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newId, newTimeOrderedId } from '../server/crypto/tokens.js';
import { startServer } from '../server/start.js';
import { totpCode } from '../server/testing/totp-reference.js';
import type { AuditEventsTable, MethodsTable, UsersTable } from '../server/store/schema.js';
import { below, isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { analyze, benchPasswordHash, BENCH_PASSWORD, insertMany, seedAccount, totpMethod, totpSecret } from './lib/seed.js';

const TARGET_MS = 1000;
const REQUESTS = 10;
const DAY = 86_400_000;

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
}

export async function runAdoption(options: { users?: number; databaseUrl?: string | undefined; log?: (s: string) => void } = {}): Promise<Figure[]> {
  const count = options.users ?? 100_000;
  const log = options.log ?? ((s: string) => console.log(s));
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-adoption-'));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'warn', databaseUrl: options.databaseUrl });
  const label = options.databaseUrl ? 'PostgreSQL' : 'SQLite';
  try {
    const { db, box } = server.context;
    const passwordHash = await benchPasswordHash();
    const seedStart = performance.now();
    const account = await seedAccount(db, box, 'bench', passwordHash);
    const now = Date.now();
    const BATCH = 10_000;
    for (let start = 0; start < count; start += BATCH) {
      const users: UsersTable[] = [];
      const methods: MethodsTable[] = [];
      const audit: AuditEventsTable[] = [];
      const entry = (actor: string, subject: string | null, action: string, details: object, at: number): AuditEventsTable => ({
        id: newTimeOrderedId(at), account_id: account.accountId, actor_id: actor, action, details: JSON.stringify(details), at, subject_user_id: subject,
        actor_name: null, actor_email: null, subject_name: null, subject_email: null, address: null, user_agent: null, device_id: null,
      });
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const created = now - ((i * 7919) % 400) * DAY - (i % 86_400) * 1000;
        const app = i % 5 < 2;
        const key = i % 5 === 2 || i % 25 === 0;
        const deactivated = i % 100 === 42;
        const id = newId();
        users.push({
          id, account_id: account.accountId, name: `Agent ${String(i).padStart(6, '0')}`, email: `agent${i}@bench.test`, password_hash: passwordHash, role: 'agent',
          has_two_factor: app || key ? 1 : 0, has_totp: app ? 1 : 0, has_security_key: key ? 1 : 0, created_at: created, locked_until: null, status: deactivated ? 'deactivated' : 'active',
        });
        const addedAt = (k: number) => created + Math.floor((now - created) * ((((i + k) * 2654435761) % 1000) / 1000));
        if (app) methods.push(totpMethod(box, id, account.accountId, totpSecret(), addedAt(1)));
        if (key) methods.push({ ...totpMethod(box, id, account.accountId, totpSecret(), addedAt(2)), type: 'security_key', totp_secret: null, credential_id: `cred-${id}`, public_key: 'pk', sign_count: 0 });
        if (deactivated) audit.push(entry(account.admin.id, id, 'user.deactivated', { userId: id }, created + Math.floor((now - created) / 2)));
        if (i % 50 === 17) {
          const gone = newId();
          const at = addedAt(3);
          audit.push(entry(id, null, 'method.added', { methodId: gone, type: 'totp', name: 'Old phone' }, at));
          audit.push(entry(id, null, 'method.removed', { methodId: gone, type: 'totp', name: 'Old phone', remaining: 0 }, at + Math.floor((now - at) / 2)));
        }
      }
      await db.transaction().execute(async (trx) => {
        await insertMany(trx, 'users', users);
        await insertMany(trx, 'methods', methods);
        await insertMany(trx, 'audit_events', audit);
      });
    }
    await analyze(db, server.context.store.dialect);
    const seedMs = performance.now() - seedStart;
    log(`  seeded ${count.toLocaleString('en')} users in ${(seedMs / 1000).toFixed(1)} s`);

    const base = `${server.url}/api/v1`;
    const signIn = await call(base, 'POST', '/sessions', undefined, { account: account.slug, email: account.admin.email, password: BENCH_PASSWORD });
    const passed = await call(base, 'POST', '/sessions/current/second-factor', signIn.token, { method: 'totp', code: totpCode(account.admin.totpSecret) });
    const token: string = passed.token ?? signIn.token;
    await call(base, 'PUT', '/account/security-settings', token, { requireTwoFactor: true, acknowledged: true, startsAt: new Date(now + 7 * DAY).toISOString() });

    const figures: Figure[] = [];
    for (const [name, path] of [
      ['adoption, 30 days', '/account/adoption'],
      ['adoption, 365 days', '/account/adoption?days=365'],
      ['adoption CSV, 365 days', '/account/adoption/export?days=365'],
    ] as const) {
      await call(base, 'GET', path, token);
      const times: number[] = [];
      let last: string | { days: unknown[] } = "";
      for (let i = 0; i < REQUESTS; i++) {
        const t0 = performance.now();
        last = await call(base, 'GET', path, token);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const p50 = percentile(times, 50);
      const p99 = percentile(times, 99);
      const lastDay = typeof last === 'string' ? last.trimEnd().split('\r\n').at(-1) : last.days.at(-1);
      log(`  ${name}: p50 ${p50.toFixed(0)} ms, max ${p99.toFixed(0)} ms; last day ${JSON.stringify(lastDay)}`);
      figures.push({ figure: `${name}, ${count.toLocaleString('en')} users, ${label}`, value: p99, unit: 'ms', latency: { p50, p99 }, target: `< ${TARGET_MS} ms`, pass: below(p99, TARGET_MS) });
    }
    return figures;
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  // --database-url: an empty PostgreSQL database to seed (e.g. from scripts/postgres-cluster.sh), else SQLite.
  const { values } = parseArgs({ options: { users: { type: 'string' }, 'database-url': { type: 'string' } } });
  const figures = await runAdoption({ users: values.users ? Number(values.users) : 100_000, databaseUrl: values['database-url'] });
  console.log(table(figures));
  console.log(`wrote ${writeResults('adoption', figures)}`);
}
