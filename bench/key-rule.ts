// bench:key-rule — a security-key rule saved over an account of 100,000 agents whose keys it
// refuses (issue 21: "existing keys that fall outside a new rule ... must be replaced").
//
// Seeds one account straight into the store: 100,000 agents, each with one security key
// registered before any rule (never attested: outside every rule), half of them also with an
// authenticator app; each with one live session; 2FA required. Then the admin signs in for real
// and times, through the HTTP API, the preview (POST /account/security-key-policy/preview) and
// the save (PUT /account/security-key-policy, own roots): 100,000 keys marked outside, 50,000
// users (those with only the key) signed out, every key owner's method flags recomputed, in one
// transaction. Target: the enforcement save's (bench/enforce.ts: < 2 s on SQLite, < 3 s on
// PostgreSQL), since the rule signs users out as requiring 2FA does. SQLite, then PostgreSQL
// when its binaries are installed or DATABASE_URL is set (bench/postgres.ts onEveryStore).
//
//   npm run bench -- key-rule            (in the table of every benchmark)
//   npx tsx bench/key-rule.ts [--agents 100000]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newId } from '../server/crypto/tokens.js';
import { startServer } from '../server/start.js';
import { makeRoot } from '../server/testing/fido-metadata.js';
import { totpCode } from '../server/testing/totp-reference.js';
import type { MethodsTable, SessionsTable, UsersTable } from '../server/store/schema.js';
import { ENFORCE_TARGET_MS } from './enforce.js';
import { below, isMain, table, writeResults, type Figure } from './lib/report.js';
import { onEveryStore } from './postgres.js';
import { analyze, benchPasswordHash, BENCH_PASSWORD, insertMany, seedAccount, sessionRow, totpMethod, totpSecret, userRow } from './lib/seed.js';

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => undefined)) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function keyMethod(userId: string, accountId: string, now: number): MethodsTable {
  return {
    id: newId(),
    user_id: userId,
    account_id: accountId,
    type: 'security_key',
    name: 'Desk key',
    confirmed: 1,
    created_at: now,
    last_used_at: null,
    totp_secret: null,
    totp_last_step: null,
    credential_id: randomBytes(16).toString('base64url'),
    public_key: randomBytes(32).toString('base64url'),
    sign_count: 0,
    transports: null,
    clone_warning_at: null,
    session_id: null,
    aaguid: null,
  };
}

export async function keyRuleOnce(agents: number, databaseUrl?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-key-rule-'));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'warn', databaseUrl });
  try {
    const { db, box } = server.context;
    const passwordHash = await benchPasswordHash();
    const seedStart = performance.now();
    const account = await seedAccount(db, box, 'bench', passwordHash);
    const now = Date.now();
    const BATCH = 10_000;
    for (let start = 0; start < agents; start += BATCH) {
      const users: UsersTable[] = [];
      const methods: MethodsTable[] = [];
      const sessions: SessionsTable[] = [];
      for (let i = start; i < Math.min(agents, start + BATCH); i++) {
        const withApp = i % 2 === 0;
        const user = { ...userRow(account.accountId, i, account.slug, passwordHash, true, now), has_totp: withApp ? 1 : 0, has_security_key: 1 };
        users.push(user);
        methods.push(keyMethod(user.id, account.accountId, now));
        if (withApp) methods.push(totpMethod(box, user.id, account.accountId, totpSecret(), now));
        sessions.push(sessionRow(user.id, account.accountId, 'active', now).row);
      }
      await db.transaction().execute(async (trx) => {
        await insertMany(trx, 'users', users);
        await insertMany(trx, 'methods', methods);
        await insertMany(trx, 'sessions', sessions);
      });
    }
    await db.updateTable('accounts').set({ require_two_factor: 1, two_factor_required_since: now }).where('id', '=', account.accountId).execute();
    await analyze(db, server.context.store.dialect);
    const seedMs = performance.now() - seedStart;

    const base = `${server.url}/api/v1`;
    const signIn = await call(base, 'POST', '/sessions', undefined, { account: account.slug, email: account.admin.email, password: BENCH_PASSWORD });
    const passed = await call(base, 'POST', '/sessions/current/second-factor', signIn.token as string, { method: 'totp', code: totpCode(account.admin.totpSecret) });
    const token = passed.token as string;
    const root = await makeRoot('Bench Keys Root');
    const rule = { allowedAaguids: [], metadata: 'own_roots', trustedRoots: [root.pem] };

    const p0 = performance.now();
    const preview = await call(base, 'POST', '/account/security-key-policy/preview', token, rule);
    const previewMs = performance.now() - p0;
    const s0 = performance.now();
    const saved = await call(base, 'PUT', '/account/security-key-policy', token, { ...rule, acknowledged: true });
    const saveMs = performance.now() - s0;
    const expected = Math.floor(agents / 2);
    if (saved.keysOutsideRule !== agents || saved.signedOutUsers !== expected) {
      throw new Error(`expected ${agents} keys outside and ${expected} users signed out, the server says ${JSON.stringify(saved)}`);
    }
    return { store: (databaseUrl ? 'postgres' : 'sqlite') as 'sqlite' | 'postgres', agents, seedMs, previewMs, saveMs, preview, saved };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The save's figure (target as enforcement's) and the preview's (context). */
function keyRuleFigures(run: Awaited<ReturnType<typeof keyRuleOnce>>): Figure[] {
  const store = run.store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const target = ENFORCE_TARGET_MS[run.store];
  const agents = `${run.agents.toLocaleString('en-US')} agents`;
  const details = { seedMs: run.seedMs, keysOutsideRule: run.saved.keysOutsideRule, signedOutUsers: run.saved.signedOutUsers, revokedSessions: run.saved.revokedSessions };
  return [
    { figure: `key-model rule preview, ${agents}, ${store}`, value: run.previewMs, unit: 'ms', details },
    { figure: `key-model rule save, ${agents}, ${store}`, value: run.saveMs, unit: 'ms', target: `< ${target} ms`, pass: below(run.saveMs, target), details },
  ];
}

/** SQLite, then PostgreSQL (a private cluster unless DATABASE_URL names one) when available. */
export async function runKeyRule(options: { agents?: number; log?: (s: string) => void } = {}): Promise<Figure[]> {
  const agents = options.agents ?? 100_000;
  const log = options.log ?? ((s: string) => console.log(s));
  return onEveryStore('key_rule', async (databaseUrl) => {
    const run = await keyRuleOnce(agents, databaseUrl);
    log(
      `  ${run.store}: ${run.agents.toLocaleString('en-US')} agents (seeded in ${(run.seedMs / 1000).toFixed(1)} s): preview ${run.previewMs.toFixed(0)} ms; ` +
        `save ${run.saveMs.toFixed(0)} ms — ${String(run.saved.keysOutsideRule)} keys outside, ${String(run.saved.signedOutUsers)} users signed out, ${String(run.saved.revokedSessions)} sessions ended`,
    );
    return keyRuleFigures(run);
  }, log);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { agents: { type: 'string', default: '100000' } } });
  const figures = await runKeyRule({ agents: Number(values.agents) });
  console.log(table(figures));
  console.log(`wrote ${writeResults('key-rule', figures)}`);
}
