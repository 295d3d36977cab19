// Audit streaming (issue 22) against a real server on a real port and a real webhook receiver of
// the test's own: events arrive signed (checked with the very example docs/audit-streaming.md
// gives) and in order; a receiver that answers 500 and then goes away loses nothing; a server
// stopped between the write and the delivery delivers after it starts again; a backlog of 10,000
// entries drains in order (its throughput printed as a figure).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordAudit } from '../audit/audit.js';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
type Verify = (secret: string, header: string, rawBody: string, nowMs?: number) => boolean;

/** The verification example of docs/audit-streaming.md, exactly as written there. */
async function documentedVerifier(): Promise<Verify> {
  const doc = readFileSync(join(root, 'docs/audit-streaming.md'), 'utf8');
  const code = /### Verifying a delivery[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(code, 'docs/audit-streaming.md has a ```js example under "Verifying a delivery"');
  assert.ok(code.trim().split('\n').length <= 10, 'the example is at most ten lines');
  const file = join(mkdtempSync(join(tmpdir(), 'agentdesk-verify-')), 'verify.mjs');
  writeFileSync(file, code);
  return ((await import(pathToFileURL(file).href)) as { verifyAgentDeskSignature: Verify }).verifyAgentDeskSignature;
}

/** Ids as received, first occurrence kept (at least once allows a batch twice). */
function firstSeen(events: Array<{ id: string }>): string[] {
  const seen = new Set<string>();
  return events.map((e) => e.id).filter((id) => (seen.has(id) ? false : (seen.add(id), true)));
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

describe('audit streams to a webhook', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let adminToken: string;
  let methodId: string;
  let accountId: string;
  let streamId: string;
  let secret: string;
  const slug = 'streamdesk';

  /** The account's entries from the stream's first one on, in id order: what the receiver must get. */
  const expectedIds = async () => {
    const rows = await server.db.selectFrom('audit_events').select('id').where('account_id', '=', accountId).orderBy('id').execute();
    const first = (await server.db.selectFrom('audit_events').select('id').where('account_id', '=', accountId).where('action', '=', 'audit_stream.added').orderBy('id').executeTakeFirstOrThrow()).id;
    return rows.map((r) => r.id).filter((id) => id >= first);
  };
  const rename = async (name: string, token = adminToken) => {
    const res = await server.call('PATCH', `/me/methods/${methodId}`, { token, body: { name } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const streamState = async () => {
    const res = await server.call('GET', '/account/audit-streams', { token: adminToken });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.streams.find((s: { id: string }) => s.id === streamId);
  };

  /** The state once the server recorded the last delivery (the receiver has it a moment before), within 5 s. */
  const deliveredState = async () => {
    let state = await streamState();
    for (let t = 0; t < 50 && (state.pending !== 0 || state.failingSince !== null); t++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await streamState();
    }
    return state;
  };

  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer({ openSignup: true, auditStreamsAllowPrivateTargets: true, auditStreamsRetryMaxMs: 1_000, auditStreamsTimeoutMs: 2_000 });
    const acc = await createAccount(server, slug);
    accountId = acc.account.id;
    const enrolled = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    adminToken = enrolled.token;
    methodId = enrolled.methodId;
    const added = await server.call('POST', '/account/audit-streams', { token: adminToken, body: { type: 'webhook', url: receiver.url } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    streamId = added.body.id;
    secret = added.body.secret;
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('events arrive signed, verified by the documented example, in order, promptly', async () => {
    const verify = await documentedVerifier();
    const lags: number[] = [];
    for (let i = 0; i < 40; i++) {
      const before = receiver.events().length;
      const written = Date.now();
      await rename(`Phone ${i}`);
      await receiver.until(() => receiver.events().length > before, 10_000);
      lags.push(Date.now() - written);
    }
    const expected = await expectedIds();
    await receiver.until(() => firstSeen(receiver.events()).length >= expected.length);
    assert.deepEqual(firstSeen(receiver.events()), expected);
    const events = receiver.events();
    assert.equal(events[0]!.action, 'audit_stream.added');
    assert.deepEqual(
      events.filter((e) => e.action === 'method.renamed').map((e) => e.details.name),
      Array.from({ length: 40 }, (_, i) => `Phone ${i}`),
    );
    assert.equal(events[1]!.accountId, accountId);
    for (const d of receiver.deliveries) {
      assert.match(d.deliveryId, /^[A-Za-z0-9_-]{16}$/);
      assert.equal(verify(secret, d.signature, d.body, d.receivedAt), true, `delivery ${d.deliveryId} verifies`);
      // The example refuses a tampered body, another secret, and a delivery replayed 6 minutes later.
      assert.equal(verify(secret, d.signature, d.body.replace('"events"', '"events" '), d.receivedAt), false);
      assert.equal(verify(`${secret}x`, d.signature, d.body, d.receivedAt), false);
      assert.equal(verify(secret, d.signature, d.body, d.receivedAt + 6 * 60_000), false);
    }
    const state = await deliveredState();
    assert.equal(state.pending, 0);
    assert.ok(state.lastDeliveredAt, 'lastDeliveredAt set');
    assert.equal(state.failing, false);
    assert.equal(state.secret, undefined, 'the secret is never shown again');
    console.log(`# audit stream webhook lag from the audited change to delivery: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms (40 changes, 250 ms poll)`);
  });

  test('the receiver answers 500, then is down, then comes back: nothing lost, order kept, the error shown meanwhile', async () => {
    receiver.setMode('error');
    for (let i = 0; i < 10; i++) await rename(`Outage A${i}`);
    let state = await streamState();
    for (let t = 0; t < 50; t++) {
      state = await streamState();
      if (state.lastError) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(state.lastError, 'HTTP 500');
    assert.ok(state.failingSince && state.lastErrorAt, JSON.stringify(state));
    assert.equal(state.failing, false, 'not yet failing for 24 hours');
    assert.ok(state.pending >= 10, JSON.stringify(state));

    await receiver.stop();
    for (let i = 0; i < 10; i++) await rename(`Outage B${i}`);
    await new Promise((r) => setTimeout(r, 1_500));
    state = await streamState();
    assert.match(state.lastError, /ECONNREFUSED/);
    assert.ok(state.pending >= 20, JSON.stringify(state));

    receiver.setMode('ok');
    await receiver.start();
    const expected = await expectedIds();
    await receiver.until(() => firstSeen(receiver.events()).length >= expected.length, 20_000);
    assert.deepEqual(firstSeen(receiver.events()), expected);
    state = await deliveredState();
    assert.equal(state.pending, 0);
    assert.equal(state.failingSince, null, `a delivery ends the run of failures: ${JSON.stringify(state)}`);
  });

  test('a stream failing for 24 hours is flagged to admins, its entries kept', async () => {
    await server.db.updateTable('audit_streams').set({ failing_since: Date.now() - 25 * 3_600_000, next_attempt_at: Date.now() + 3_600_000 }).where('id', '=', streamId).execute();
    await rename('Kept while failing');
    const state = await streamState();
    assert.equal(state.failing, true);
    assert.ok(state.pending >= 1);
    await server.db.updateTable('audit_streams').set({ next_attempt_at: null }).where('id', '=', streamId).execute();
    const expected = await expectedIds();
    await receiver.until(() => firstSeen(receiver.events()).length >= expected.length);
    assert.equal((await deliveredState()).failing, false);
  });

  test('a backlog of 10,000 entries drains in order (throughput figure)', async () => {
    // Written straight through recordAudit (the function every change calls), the receiver down
    // so the whole backlog waits, then let go at once.
    await receiver.stop();
    // Written now, not dated ahead: entries dated in the future would sort above those the next
    // tests write (ids are time-ordered, with a sequence within one millisecond).
    for (let k = 0; k < 10_000; k += 500) {
      await server.db.transaction().execute(async (trx) => {
        for (let i = k; i < k + 500; i++) await recordAudit(trx, { accountId, actorId: null, action: 'security_settings.updated', details: { n: i } });
      });
    }
    const expected = await expectedIds();
    const started = Date.now();
    await receiver.start();
    await receiver.until(() => firstSeen(receiver.events()).length >= expected.length, 120_000);
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual(firstSeen(receiver.events()), expected);
    const backlog = receiver.events().filter((e) => e.action === 'security_settings.updated').map((e) => e.details.n);
    assert.deepEqual(backlog.slice(0, 3), [0, 1, 2]);
    assert.equal(new Set(backlog).size, 10_000);
    console.log(`# audit stream backlog: 10,000 entries delivered in ${seconds.toFixed(2)} s (${Math.round(10_000 / seconds)}/s, batches of 100, SQLite or PostgreSQL as configured)`);
  });

  test('written, then the server stopped before delivering, then started again: delivered', async () => {
    await receiver.stop();
    for (let i = 0; i < 5; i++) await rename(`Before restart ${i}`);
    // server.db is the first instance's: read what must arrive before it closes.
    const expected = await expectedIds();
    await server.stop();
    await receiver.start();
    await server.start();
    await receiver.until(() => firstSeen(receiver.events()).length >= expected.length, 20_000);
    assert.deepEqual(firstSeen(receiver.events()), expected);
    assert.deepEqual(
      receiver.events().filter((e) => e.action === 'method.renamed').map((e) => e.details.name).slice(-5),
      [0, 1, 2, 3, 4].map((i) => `Before restart ${i}`),
    );
  });

  test('removing a stream is audited and stops its deliveries; an agent cannot list or add', async () => {
    const agent = await createUser(server, adminToken, slug, 'Ana');
    const agentToken = (await signIn(server, slug, agent.email)).token;
    assert.equal((await server.call('GET', '/account/audit-streams', { token: agentToken })).status, 403);
    assert.equal((await server.call('POST', '/account/audit-streams', { token: agentToken, body: { type: 'webhook', url: receiver.url } })).status, 403);
    const removed = await server.call('DELETE', `/account/audit-streams/${streamId}`, { token: adminToken });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    await rename('After removal');
    await new Promise((r) => setTimeout(r, 800));
    // Nothing recorded after the removal reaches it. (A batch already on its way when the
    // removal committed, such as Ana's entries just above, may still land: CI saw two arrive
    // after the answer to DELETE, so the test asks about the entry written after it.)
    assert.deepEqual(
      receiver.events().filter((e) => e.action === 'method.renamed' && e.details.name === 'After removal'),
      [],
    );
    assert.equal(receiver.events().filter((e) => e.action === 'audit_stream.removed').length, 0);
    const audit = await server.call('GET', '/account/audit-events?limit=20', { token: adminToken });
    const entry = audit.body.events.find((e: { action: string }) => e.action === 'audit_stream.removed');
    assert.equal(entry.details.streamId, streamId);
    assert.equal(entry.details.target, receiver.url);
    assert.equal((await server.call('DELETE', `/account/audit-streams/${streamId}`, { token: adminToken })).status, 404);
  });
});
