// bench:audit-stream — audit streaming to a webhook receiver (issue 22), on SQLite and (when its
// binaries are installed or DATABASE_URL is set) on PostgreSQL, the server in a
// process of its own (AGENTDESK_AUDIT_STREAMS_ALLOW_PRIVATE_TARGETS=1: the receiver is on
// 127.0.0.1), the receiver in this process, the load in a load-worker process.
//
// (a) Steady state: an admin's method renamed over HTTP by 8 concurrent loops for a few seconds
//     (one `method.renamed` entry each): entries delivered per second while it runs, and the lag
//     from the audited action (the entry's `at`) to its arrival at the receiver, p50 / p99.
// (b) Backlog: sign-in (POST /sessions, password step) p99 at c=8 with an empty outbox; then the
//     receiver stops, a backlog of entries is written straight into the store (audit_events and
//     their audit_outbox rows, in transactions of 1,000, as recordAudit writes them), the receiver
//     starts again, and sign-in p99 at c=8 is measured while the backlog drains; and the drain
//     time (receiver started → every backlog entry received).
//
// The receiver keeps counts and lags only, not the bodies (server/testing/webhook-receiver.ts
// keeps every body, to verify signatures afterwards: 100,000 entries' worth here).
//
//   npm run bench -- audit-stream
//   BENCH_STREAM_BACKLOG=100000 BENCH_STREAM_SECONDS=5 BENCH_STREAM_CONCURRENCY=8 npx tsx bench/audit-stream.ts
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { addStream } from '../server/audit-streams/streams.js';
import { newTimeOrderedId } from '../server/crypto/tokens.js';
import { openStore } from '../server/store/database.js';
import type { AuditEventsTable, AuditOutboxTable } from '../server/store/schema.js';
import { totpCode } from '../server/testing/totp-reference.js';
import { runLoad } from './lib/load.js';
import { isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { onEveryStore } from './postgres.js';
import { BENCH_PASSWORD, insertMany, seedAgentsAtTheirDesks } from './lib/seed.js';

const BACKLOG = Number(process.env.BENCH_STREAM_BACKLOG ?? 100_000);
const SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_STREAM_CONCURRENCY ?? 8);
const USERS = 200;
const TX_ROWS = 1_000;

/** A webhook receiver that counts: every entry's arrival time minus its `at`, per action. */
async function startCountingReceiver() {
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const state = { received: 0, lags: [] as number[], arrivals: [] as number[], lagAction: 'method.renamed', onEvents: (_n: number) => {} };
  async function listen() {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const now = Date.now();
        const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: Array<{ action: string; at: string }> };
        for (const e of events) {
          if (e.action !== state.lagAction) continue;
          state.lags.push(now - Date.parse(e.at));
          state.arrivals.push(now);
        }
        state.received += events.length;
        response.writeHead(204).end();
        state.onEvents(events.length);
      });
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }
  await listen();
  return {
    state,
    url: `http://127.0.0.1:${port}/siem/agentdesk`,
    start: listen,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server!.listening ? server!.close(() => resolve()) : resolve()));
    },
  };
}

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const until = async (done: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Both stores: SQLite, then PostgreSQL (a private cluster unless DATABASE_URL names one). */
export async function runAuditStream(log: (s: string) => void = (s) => console.log(s)): Promise<Figure[]> {
  return onEveryStore('stream', (databaseUrl) => auditStreamOnce(databaseUrl, log), log);
}

async function auditStreamOnce(databaseUrl: string | undefined, log: (s: string) => void): Promise<Figure[]> {
  const label = databaseUrl ? 'PostgreSQL' : 'SQLite';
  const receiver = await startCountingReceiver();
  const scenario = await withSeededServer(
    'audit-stream',
    async (db, box) => {
      const { account, emails, deviceTokens } = await seedAgentsAtTheirDesks(db, box, USERS);
      // The stream as the admin adds it (the server's own code), to the receiver in this process.
      const stream = await addStream(db, box, { allowPrivateTargets: true }, {
        accountId: account.accountId, actorId: account.admin.id, type: 'webhook', url: receiver.url, request: { address: null, userAgent: null, deviceId: null },
      });
      const adminMethod = await db.selectFrom('methods').select('id').where('user_id', '=', account.admin.id).executeTakeFirstOrThrow();
      return { account, streamId: stream.id, adminMethodId: adminMethod.id, emails, deviceTokens };
    },
    // Back-off capped at 1 s: the drain starts within a second of the receiver coming back.
    { env: { AGENTDESK_AUDIT_STREAMS_ALLOW_PRIVATE_TARGETS: '1', AGENTDESK_AUDIT_STREAMS_RETRY_MAX_SECONDS: '1' }, databaseUrl },
  );
  const figures: Figure[] = [];
  try {
    const { server, seeded, dataDir } = scenario;
    const base = `http://127.0.0.1:${server.port}/api/v1`;
    const where = { host: server.host, port: server.port, origin: server.origin, serverPid: server.pid };
    const outboxDepth = async () => {
      const store = await openStore({ dataDir, databaseUrl });
      try {
        return Number((await store.db.selectFrom('audit_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      } finally {
        await store.close();
      }
    };
    // The admin, signed in with both steps.
    const first = await call(base, 'POST', '/sessions', undefined, { account: seeded.account.slug, email: seeded.account.admin.email, password: BENCH_PASSWORD });
    const second = await call(base, 'POST', '/sessions/current/second-factor', first.token, { method: 'totp', code: totpCode(seeded.account.admin.totpSecret) });
    const token: string = second.token ?? first.token;
    await until(() => receiver.state.received >= 1, 10_000);

    // (a) Steady state.
    receiver.state.lags = [];
    receiver.state.arrivals = [];
    const [renames] = await runLoad({ ...where, kind: 'rename', reuse: true, levels: [{ concurrency: CONCURRENCY, warmupMs: 0, durationMs: SECONDS * 1000 }], ops: [{ token, methodId: seeded.adminMethodId }] }, dataDir);
    // Then everything written is delivered (the renames, and the admin's sign-in entries if any).
    await until(() => receiver.state.lags.length >= renames!.ops, 30_000).catch(() => undefined);
    const lags = [...receiver.state.lags].sort((a, b) => a - b);
    const lagP50 = percentile(lags, 50);
    const lagP99 = percentile(lags, 99);
    // Delivered per second: the renames' arrivals over the span from the first to the last.
    const arrivals = receiver.state.arrivals;
    const deliveredPerSecond = (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
    log(`  steady state: ${renames!.ops} renames (${renames!.throughput.toFixed(0)}/s, p99 ${renames!.p99.toFixed(0)} ms, ${renames!.errors} errors); ${deliveredPerSecond.toFixed(0)} entries/s delivered; lag p50 ${lagP50} ms, p99 ${lagP99} ms over ${lags.length} entries`);
    figures.push({ figure: `audit entries delivered per second, steady state (renames at c=${CONCURRENCY}), ${label}`, value: deliveredPerSecond, unit: '/s', details: { written: renames!.ops, writtenPerSecond: renames!.throughput, renameLatency: { p50: renames!.p50, p99: renames!.p99 }, errors: renames!.errors } });
    figures.push({ figure: `audit entry lag, action to receiver, ${label}`, value: lagP99, unit: 'ms', latency: { p50: lagP50, p99: lagP99 }, details: { entries: lags.length } });

    // (b) Sign-in with an empty outbox.
    const signInJob = { ...where, kind: 'sign_in' as const, reuse: true, ops: seeded.emails.map((email, i) => ({ account: seeded.account.slug, email, password: BENCH_PASSWORD, deviceToken: seeded.deviceTokens[i] })) };
    const [idle] = await runLoad({ ...signInJob, levels: [{ concurrency: 8, warmupMs: 1000, durationMs: SECONDS * 1000 }] }, dataDir);
    log(`  sign-in, empty outbox: ${idle!.throughput.toFixed(1)}/s, p50 ${idle!.p50.toFixed(0)} ms, p99 ${idle!.p99.toFixed(0)} ms`);

    // The receiver goes down; the backlog is written straight into the store.
    await receiver.stop();
    const backlogStart = performance.now();
    const store = await openStore({ dataDir, databaseUrl });
    try {
      const at = Date.now();
      for (let start = 0; start < BACKLOG; start += TX_ROWS) {
        const entries: AuditEventsTable[] = [];
        const outbox: AuditOutboxTable[] = [];
        for (let i = start; i < Math.min(BACKLOG, start + TX_ROWS); i++) {
          const id = newTimeOrderedId(at);
          entries.push({
            id, account_id: seeded.account.accountId, actor_id: seeded.account.admin.id, action: 'method.renamed', details: JSON.stringify({ methodId: seeded.adminMethodId, name: `Backlog ${i}` }), at,
            subject_user_id: null, actor_name: 'Bench Admin', actor_email: seeded.account.admin.email, subject_name: null, subject_email: null, address: '127.0.0.1', user_agent: 'bench', device_id: null,
          });
          outbox.push({ stream_id: seeded.streamId, event_id: id, created_at: at });
        }
        await store.db.transaction().execute(async (trx) => {
          await insertMany(trx, 'audit_events', entries);
          await insertMany(trx, 'audit_outbox', outbox);
        });
      }
    } finally {
      await store.close();
    }
    const depth = await outboxDepth();
    log(`  backlog: ${BACKLOG.toLocaleString('en')} entries written in ${((performance.now() - backlogStart) / 1000).toFixed(1)} s; outbox depth ${depth.toLocaleString('en')}`);

    // The receiver comes back: sign-in under load while the backlog drains.
    receiver.state.lagAction = 'none';
    const target = receiver.state.received + depth;
    let drainedAt: number | undefined;
    receiver.state.onEvents = () => {
      if (drainedAt === undefined && receiver.state.received >= target) drainedAt = performance.now();
    };
    const drainStart = performance.now();
    await receiver.start();
    const [draining] = await runLoad({ ...signInJob, levels: [{ concurrency: 8, warmupMs: 0, durationMs: SECONDS * 1000 }] }, dataDir);
    const loadEndedAt = performance.now();
    const receivedDuringLoad = receiver.state.received - (target - depth);
    await until(() => drainedAt !== undefined, 300_000);
    const drainS = (drainedAt! - drainStart) / 1000;
    const overlap = Math.min(1, (drainedAt! - drainStart) / (loadEndedAt - drainStart));
    log(`  sign-in while draining: ${draining!.throughput.toFixed(1)}/s, p50 ${draining!.p50.toFixed(0)} ms, p99 ${draining!.p99.toFixed(0)} ms (${receivedDuringLoad.toLocaleString('en')} entries delivered during the load); drained in ${drainS.toFixed(1)} s (${(depth / drainS).toFixed(0)} entries/s)`);
    figures.push({ figure: `sign-in (password step) c=8, empty outbox, ${label}`, value: idle!.p99, unit: 'ms', latency: { p50: idle!.p50, p99: idle!.p99 }, details: { throughput: idle!.throughput, errors: idle!.errors } });
    figures.push({
      figure: `sign-in (password step) c=8, draining ${depth.toLocaleString('en')} entries, ${label}`,
      value: draining!.p99,
      unit: 'ms',
      latency: { p50: draining!.p50, p99: draining!.p99 },
      details: { throughput: draining!.throughput, errors: draining!.errors, errorSamples: draining!.errorSamples, entriesDeliveredDuringLoad: receivedDuringLoad, loadWindowInsideDrain: overlap },
    });
    figures.push({ figure: `drain of ${depth.toLocaleString('en')} entries (under the sign-in load, then idle), ${label}`, value: drainS, unit: 's', details: { entriesPerSecond: depth / drainS } });
  } finally {
    await scenario.close();
    await receiver.stop();
  }
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runAuditStream();
  writeResults('audit-stream', figures);
  console.log(table(figures));
}
