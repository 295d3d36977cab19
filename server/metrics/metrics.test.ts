// /metrics on a real server: off (404) without AGENTDESK_METRICS_TOKEN, 401 without the right
// bearer token, and with it a Prometheus text exposition (read by a strict parser of the format)
// whose counters move with real sign-ins, second steps, lock-outs and pushed sign-outs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { parsePrometheusText } from '../testing/prometheus-text.js';
import { totpCode } from '../testing/totp-reference.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';

const TOKEN = 'metrics-token-for-the-scraper-0123456789';

async function scrape(server: TestServer, authorization?: string) {
  const res = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
  return { status: res.status, type: res.headers.get('content-type'), challenge: res.headers.get('www-authenticate'), text: await res.text() };
}

async function metrics(server: TestServer) {
  const res = await scrape(server, `Bearer ${TOKEN}`);
  assert.equal(res.status, 200, res.text);
  return parsePrometheusText(res.text);
}

test('/metrics is off (404) when AGENTDESK_METRICS_TOKEN is not set', async () => {
  const server = await startTestServer();
  try {
    assert.equal((await scrape(server)).status, 404);
    assert.equal((await scrape(server, `Bearer ${TOKEN}`)).status, 404);
  } finally {
    await server.close();
  }
});

describe('/metrics with a token', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ metricsToken: TOKEN, openSignup: true });
  });
  after(() => server.close());

  test('answers 401 without the bearer token, with a wrong one, or with it in another scheme', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const res = await scrape(server, authorization);
      assert.equal(res.status, 401, `${authorization}: ${res.status}`);
      assert.equal(JSON.parse(res.text).error.code, 'unauthenticated');
      assert.equal(res.challenge, 'Bearer realm="metrics"');
      assert.doesNotMatch(res.text, /agentdesk_/);
    }
  });

  test('the exposition is the Prometheus text format, every series declared', async () => {
    const res = await scrape(server, `Bearer ${TOKEN}`);
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^text\/plain; version=0\.0\.4/);
    const m = parsePrometheusText(res.text);
    assert.equal(m.types.get('agentdesk_sign_ins_total'), 'counter');
    assert.equal(m.types.get('agentdesk_second_steps_total'), 'counter');
    assert.equal(m.types.get('agentdesk_lockouts_total'), 'counter');
    assert.equal(m.types.get('agentdesk_pushed_sign_outs_total'), 'counter');
    assert.equal(m.types.get('agentdesk_pushed_sign_out_delay_seconds'), 'histogram');
    assert.equal(m.types.get('agentdesk_event_streams_open'), 'gauge');
    assert.equal(m.types.get('agentdesk_http_request_duration_seconds'), 'histogram');
    assert.equal(m.types.get('agentdesk_audit_outbox_depth'), 'gauge');
    assert.equal(m.value('agentdesk_audit_outbox_depth'), 0);
    // Pool state where there is a pool (PostgreSQL), and not invented for SQLite.
    assert.equal(m.types.has('agentdesk_db_pool_connections'), server.context.store.dialect === 'postgres');
    // Every method and outcome from 0, before any sign-in.
    assert.ok(m.samples.some((s) => s.name === 'agentdesk_second_steps_total' && s.labels.method === 'recovery_code' && s.labels.outcome === 'locked'));
  });

  test('sign-ins, second steps and lock-outs are counted by method and outcome', async () => {
    const { account, user } = await createAccount(server, 'metrics');
    const before = await metrics(server);
    const count = (m: typeof before, name: string, labels: Record<string, string>) => m.value(name, labels) - before.value(name, labels);

    const wrong = await server.call('POST', '/sessions', { body: { account: account.slug, email: user.email, password: 'not the right password' } });
    assert.equal(wrong.status, 401);
    let m = await metrics(server);
    assert.equal(count(m, 'agentdesk_sign_ins_total', { method: 'password', outcome: 'failed' }), 1);
    assert.equal(count(m, 'agentdesk_sign_ins_total', { method: 'password', outcome: 'succeeded' }), 0);

    const admin = await signIn(server, account.slug, user.email, PASSWORD);
    const { secret } = await enrolTotp(server, admin.token);
    m = await metrics(server);
    assert.equal(count(m, 'agentdesk_sign_ins_total', { method: 'password', outcome: 'succeeded' }), 1);
    // The failed sign-in's request is in the latency histogram under its route's pattern.
    assert.ok(count(m, 'agentdesk_http_request_duration_seconds_count', { route: '/api/v1/sessions', method: 'POST', status_class: '4xx' }) >= 1);
    assert.ok(count(m, 'agentdesk_http_request_duration_seconds_count', { route: '/api/v1/sessions', method: 'POST', status_class: '2xx' }) >= 1);

    // A wrong code, then the right one.
    const pending = await signIn(server, account.slug, user.email);
    const step = (code: string) => server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'totp', code } });
    const wrongCode = totpCode(secret, Date.now() - 10 * 60_000);
    const refused = await step(wrongCode);
    assert.equal(refused.body.error.code, 'invalid_code', JSON.stringify(refused.body));
    assert.equal((await step(totpCode(secret, Date.now() + 30_000))).status, 200);
    m = await metrics(server);
    assert.equal(count(m, 'agentdesk_second_steps_total', { method: 'totp', outcome: 'failed' }), 1);
    assert.equal(count(m, 'agentdesk_second_steps_total', { method: 'totp', outcome: 'succeeded' }), 1);

    // Five wrong codes lock the user's second step; the sixth attempt is refused unread.
    const again = await signIn(server, account.slug, user.email);
    const stepAgain = (code: string) => server.call('POST', '/sessions/current/second-factor', { token: again.token, body: { method: 'totp', code } });
    for (let i = 0; i < 5; i++) assert.equal((await stepAgain(wrongCode)).body.error.code, 'invalid_code');
    assert.equal((await stepAgain(totpCode(secret, Date.now()))).status, 429);
    m = await metrics(server);
    assert.equal(count(m, 'agentdesk_lockouts_total', { kind: 'secondFactorUser' }), 1);
    assert.equal(count(m, 'agentdesk_second_steps_total', { method: 'totp', outcome: 'failed' }), 6);
    assert.equal(count(m, 'agentdesk_second_steps_total', { method: 'totp', outcome: 'locked' }), 1);
  });

  test('open event streams are a gauge; a pushed sign-out is counted with its delay', async () => {
    const { account, user } = await createAccount(server, 'metrics-push');
    const session = await signIn(server, account.slug, user.email);
    const before = await metrics(server);
    const stream = openEvents(server.base, session.token);
    await stream.ready;
    let m = await metrics(server);
    assert.equal(m.value('agentdesk_event_streams_open') - before.value('agentdesk_event_streams_open'), 1);

    assert.equal((await server.call('DELETE', '/sessions/current', { token: session.token })).status, 204);
    assert.equal((await stream.next('session.revoked')).data.reason, 'signed_out');
    m = await metrics(server);
    assert.equal(m.value('agentdesk_pushed_sign_outs_total', { reason: 'signed_out' }) - before.value('agentdesk_pushed_sign_outs_total', { reason: 'signed_out' }), 1);
    assert.equal(m.value('agentdesk_pushed_sign_out_delay_seconds_count') - before.value('agentdesk_pushed_sign_out_delay_seconds_count'), 1);
    // Pushed within a second of the revocation, on an idle test server.
    assert.equal(m.value('agentdesk_pushed_sign_out_delay_seconds_bucket', { le: '1' }) - before.value('agentdesk_pushed_sign_out_delay_seconds_bucket', { le: '1' }), 1);
    assert.equal(m.value('agentdesk_event_streams_open'), before.value('agentdesk_event_streams_open'));
    stream.close();
  });

  test('each server counts into its own registry', async () => {
    const other = await startTestServer({ metricsToken: TOKEN, openSignup: true });
    try {
      const { account, user } = await createAccount(other, 'metrics-other');
      await signIn(other, account.slug, user.email);
      // The first server has signed people in all along: none of that shows here.
      const theirs = await metrics(other);
      assert.equal(theirs.value('agentdesk_sign_ins_total', { method: 'password', outcome: 'succeeded' }), 1);
      assert.equal(theirs.value('agentdesk_second_steps_total', { method: 'totp', outcome: 'failed' }), 0);
    } finally {
      await other.close();
    }
  });

  test('the audit outbox depth is a gauge: entries wait while the receiver is down, 0 once delivered', async () => {
    const receiver = await startWebhookReceiver();
    const streaming = await startTestServer({ metricsToken: TOKEN, openSignup: true, auditStreamsAllowPrivateTargets: true, auditStreamsRetryMaxMs: 500 });
    try {
      const { account, user } = await createAccount(streaming, 'metrics-outbox');
      const { token, methodId } = await enrolTotp(streaming, (await signIn(streaming, account.slug, user.email)).token);
      await receiver.stop();
      const added = await streaming.call('POST', '/account/audit-streams', { token, body: { type: 'webhook', url: receiver.url } });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      for (const name of ['Phone', 'Work phone', 'Old phone']) {
        assert.equal((await streaming.call('PATCH', `/me/methods/${methodId}`, { token, body: { name } })).status, 200);
      }
      // The stream's own addition and the three renames, at least: nothing can be delivered.
      const waiting = await metrics(streaming);
      assert.ok(waiting.value('agentdesk_audit_outbox_depth') >= 4, `depth ${waiting.value('agentdesk_audit_outbox_depth')}`);
      const rows = await streaming.db.selectFrom('audit_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(waiting.value('agentdesk_audit_outbox_depth'), Number(rows.n));

      await receiver.start();
      await receiver.until(() => receiver.events().some((e) => e.action === 'method.renamed' && e.details.name === 'Old phone'));
      let depth = -1;
      for (let t = 0; t < 50 && depth !== 0; t++) {
        depth = (await metrics(streaming)).value('agentdesk_audit_outbox_depth');
        if (depth !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(depth, 0);
    } finally {
      await streaming.close();
      await receiver.close();
    }
  });
});
