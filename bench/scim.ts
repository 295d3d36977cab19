// bench:scim — SCIM 2.0 provisioning throughput (issue 20, "Figures"), on SQLite and (when its
// binaries are installed or DATABASE_URL is set) on PostgreSQL, the server in a process of its own.
//
// An identity provider's first push of a whole contact centre: 10,000 POST /scim/v2/Users in
// Okta's body shape (userName, name, a work email, active, externalId), then a PATCH of each of
// them in Entra ID's path form ({ op: "Replace", path: "active", value: "False" }: deactivated at
// once, signed out everywhere). 8 loops, each sending a request, waiting for its answer, then the
// next, over keep-alive connections to 127.0.0.1, from this process (the client does little:
// one JSON body per request). The server lets one token have at most 8 requests in flight per
// instance (server/http/routes/scim.ts MAX_IN_FLIGHT_PER_TOKEN) and answers 429 beyond, so the
// loops share two tokens, 4 each, as two provisioning connections would; a 429 counts as an error.
//
// Sustained rate: requests answered over the phase's wall time (first sent → last answered),
// every request counted (no warm-up left out). Target (issue 20): >= 300/s with p99 < 50 ms,
// 0 errors.
//
//   npm run bench -- scim
//   BENCH_SCIM_USERS=2000 BENCH_SCIM_CONCURRENCY=8 npx tsx bench/scim.ts
import http from 'node:http';
import { hashToken, newId, newToken } from '../server/crypto/tokens.js';
import type { ScimTokensTable } from '../server/store/schema.js';
import { isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { cpuMsOf } from './lib/server-process.js';
import { benchPasswordHash, seedAccount } from './lib/seed.js';
import { onEveryStore } from './postgres.js';

const USERS = Number(process.env.BENCH_SCIM_USERS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_SCIM_CONCURRENCY ?? 8);
const TOKENS = 2;
const TARGET_PER_SECOND = 300;
const TARGET_P99_MS = 50;

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Phase {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** Of the errors, answered 429 (the per-token cap). */
  tooMany: number;
  errorSamples: string[];
  /** The rate over the first and over the last tenth of the requests: does it fall as the table grows? */
  firstTenthPerSecond: number;
  lastTenthPerSecond: number;
  /** Server process CPU time (user + system) per request, ms: steadier than the rate on a shared machine. */
  serverCpuMsPerRequest: number;
}

/** A keep-alive client to the server on 127.0.0.1: one request, its status and body. */
function scimClient(host: string, port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const send = (method: string, path: string, token: string, body: unknown) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        {
          host,
          port,
          method,
          path: `/scim/v2${path}`,
          agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}

/**
 * `count` requests by `CONCURRENCY` closed loops; loop i uses token i % tokens. `request(n)`
 * sends the n-th and says whether its answer was the one expected.
 */
async function runPhase(serverPid: number, count: number, tokens: string[], request: (n: number, token: string) => Promise<{ ok: boolean; status: number; text: string }>): Promise<Phase> {
  const latencies: number[] = [];
  const finishedAt: number[] = [];
  let next = 0;
  let errors = 0;
  let tooMany = 0;
  const errorSamples: string[] = [];
  const cpuBefore = cpuMsOf(serverPid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, loop) => {
      const token = tokens[loop % tokens.length]!;
      for (let n = next++; n < count; n = next++) {
        const t0 = performance.now();
        let answer: { ok: boolean; status: number; text: string };
        try {
          answer = await request(n, token);
        } catch (error) {
          answer = { ok: false, status: 0, text: String(error) };
        }
        finishedAt.push(performance.now());
        latencies.push(finishedAt.at(-1)! - t0);
        if (!answer.ok) {
          errors++;
          if (answer.status === 429) tooMany++;
          if (errorSamples.length < 3) errorSamples.push(`${answer.status} ${answer.text.slice(0, 200)}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const serverCpuMsPerRequest = (cpuMsOf(serverPid) - cpuBefore) / count;
  latencies.sort((a, b) => a - b);
  const tenth = Math.max(1, Math.floor(count / 10));
  const firstTenthPerSecond = tenth / ((finishedAt[tenth - 1]! - started) / 1000);
  const lastTenthPerSecond = tenth / ((finishedAt[count - 1]! - finishedAt[count - 1 - tenth]!) / 1000);
  return { firstTenthPerSecond, lastTenthPerSecond, requests: count, seconds, perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, tooMany, errorSamples, serverCpuMsPerRequest };
}

/** Both stores: SQLite, then PostgreSQL (a private cluster unless DATABASE_URL names one). */
export async function runScim(log: (s: string) => void = (s) => console.log(s)): Promise<Figure[]> {
  return onEveryStore('scim', (databaseUrl) => scimOnce(databaseUrl, log), log);
}

async function scimOnce(databaseUrl: string | undefined, log: (s: string) => void): Promise<Figure[]> {
  const label = databaseUrl ? 'PostgreSQL' : 'SQLite';
  const scenario = await withSeededServer(
    'scim',
    async (db, box) => {
      const account = await seedAccount(db, box, 'bench', await benchPasswordHash());
      // The tokens as createScimToken stores them (prefix, SHA-256), without the admin's round trip.
      const tokens: string[] = [];
      const rows: ScimTokensTable[] = [];
      for (let i = 0; i < TOKENS; i++) {
        const token = `scim_${newToken()}`;
        tokens.push(token);
        rows.push({ id: newId(), account_id: account.accountId, name: `Bench provisioning ${i + 1}`, token_hash: hashToken(token), created_at: Date.now(), created_by: account.admin.id, last_used_at: null, revoked_at: null });
      }
      await db.insertInto('scim_tokens').values(rows).execute();
      return { tokens };
    },
    { databaseUrl },
  );
  const { server, seeded } = scenario;
  const client = scimClient(server.host, server.port);
  const ids: string[] = new Array(USERS);
  try {
    // Okta's create: the body its provisioning client sends for a new user.
    const create = await runPhase(server.pid, USERS, seeded.tokens, async (n, token) => {
      const email = `agent${n}@scim-bench.test`;
      const res = await client.send('POST', '/Users', token, {
        schemas: [USER_SCHEMA],
        userName: email,
        name: { givenName: 'Agent', familyName: String(n).padStart(6, '0') },
        emails: [{ primary: true, value: email, type: 'work' }],
        displayName: `Agent ${n}`,
        locale: 'en-US',
        externalId: `00u${n.toString(36).padStart(8, '0')}`,
        groups: [],
        active: true,
      });
      if (res.status !== 201) return { ok: false, ...res };
      ids[n] = (JSON.parse(res.text) as { id: string }).id;
      return { ok: true, ...res };
    });
    log(`  create: ${create.requests} POST /Users in ${create.seconds.toFixed(1)} s, ${create.perSecond.toFixed(0)}/s (first tenth ${create.firstTenthPerSecond.toFixed(0)}/s, last ${create.lastTenthPerSecond.toFixed(0)}/s), p50 ${create.p50.toFixed(1)} ms, p99 ${create.p99.toFixed(1)} ms, server CPU ${create.serverCpuMsPerRequest.toFixed(2)} ms/request, ${create.errors} errors (${create.tooMany} × 429)${create.errorSamples.length ? `: ${create.errorSamples.join(' | ')}` : ''}`);
    // Entra ID's deactivation: a path-form PATCH, "Replace" and the string "False".
    const created = ids.filter((id) => id !== undefined);
    const patch = await runPhase(server.pid, created.length, seeded.tokens, async (n, token) => {
      const res = await client.send('PATCH', `/Users/${created[n]}`, token, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      const ok = res.status === 200 && (JSON.parse(res.text) as { active?: boolean }).active === false;
      return { ok, ...res };
    });
    log(`  patch: ${patch.requests} PATCH /Users/:id in ${patch.seconds.toFixed(1)} s, ${patch.perSecond.toFixed(0)}/s (first tenth ${patch.firstTenthPerSecond.toFixed(0)}/s, last ${patch.lastTenthPerSecond.toFixed(0)}/s), p50 ${patch.p50.toFixed(1)} ms, p99 ${patch.p99.toFixed(1)} ms, server CPU ${patch.serverCpuMsPerRequest.toFixed(2)} ms/request, ${patch.errors} errors (${patch.tooMany} × 429)${patch.errorSamples.length ? `: ${patch.errorSamples.join(' | ')}` : ''}`);
    const figures: Figure[] = [];
    for (const [what, phase] of [
      [`SCIM create ${USERS.toLocaleString('en')} users (POST /Users, Okta's body) c=${CONCURRENCY}`, create],
      [`SCIM deactivate them (PATCH active "False", Entra's path form) c=${CONCURRENCY}`, patch],
    ] as const) {
      const details = { requests: phase.requests, seconds: phase.seconds, firstTenthPerSecond: phase.firstTenthPerSecond, lastTenthPerSecond: phase.lastTenthPerSecond, errors: phase.errors, tooManyRequests: phase.tooMany, errorSamples: phase.errorSamples, concurrency: CONCURRENCY, tokens: TOKENS };
      figures.push({ figure: `${what}, ${label}: sustained rate`, value: phase.perSecond, unit: '/s', latency: { p50: phase.p50, p99: phase.p99 }, cpuPerOpMs: phase.serverCpuMsPerRequest, target: `>= ${TARGET_PER_SECOND} /s, 0 errors`, pass: phase.perSecond >= TARGET_PER_SECOND && phase.errors === 0, details });
      figures.push({ figure: `${what}, ${label}: p99`, value: phase.p99, unit: 'ms', latency: { p50: phase.p50, p99: phase.p99 }, target: `< ${TARGET_P99_MS} ms`, pass: phase.p99 < TARGET_P99_MS, details: { errors: phase.errors } });
    }
    return figures;
  } finally {
    client.close();
    await scenario.close();
  }
}

if (isMain(import.meta.url)) {
  const figures = await runScim();
  writeResults('scim', figures);
  console.log(table(figures));
}
