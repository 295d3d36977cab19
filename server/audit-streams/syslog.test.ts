// Syslog delivery to Debian's rsyslog, started by the test with its own config (imtcp on a
// loopback port, octet-counted framing): each audit entry arrives as one RFC 5424 message that
// rsyslog parses into its fields (facility and severity, app name, MSGID, structured data), in
// order, including entries written while the collector was down. Plus a collector that accepts
// the connection and never reads: the attempt ends at its deadline and the rest goes on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { createAccount, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { rsyslogdPath, startRsyslog } from '../testing/rsyslog.js';
import { octetCounted, sendBatch, syslogMessage } from './syslog.js';

const missing = rsyslogdPath() ? false : 'rsyslogd is not installed (apt-get install -y rsyslog): the syslog collector tests need it';

describe('audit streams to syslog (rsyslog)', { skip: missing }, () => {
  let server: TestServer;
  let collector: NonNullable<Awaited<ReturnType<typeof startRsyslog>>>;
  let adminToken: string;
  let methodId: string;
  let accountId: string;
  const slug = 'syslogdesk';

  before(async () => {
    collector = (await startRsyslog())!;
    server = await startTestServer({ openSignup: true, auditStreamsAllowPrivateTargets: true, auditStreamsRetryMaxMs: 1_000, auditStreamsTimeoutMs: 2_000 });
    const acc = await createAccount(server, slug);
    accountId = acc.account.id;
    const enrolled = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    adminToken = enrolled.token;
    methodId = enrolled.methodId;
  });
  after(async () => {
    await server?.close();
    await collector?.close();
  });

  const until = async (done: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!done()) {
      if (Date.now() > end) throw new Error(`rsyslog: not arrived in ${ms} ms; file has ${collector.messages().length} messages\n${collector.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  test('each entry is an RFC 5424 message rsyslog parses, in order, with the entry in structured data', async () => {
    const added = await server.call('POST', '/account/audit-streams', { token: adminToken, body: { type: 'syslog', url: collector.url } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.secret, undefined);
    for (let i = 0; i < 5; i++) {
      const res = await server.call('PATCH', `/me/methods/${methodId}`, { token: adminToken, body: { name: `Desk "${i}" ] \\ é` } });
      assert.equal(res.status, 200);
    }
    const ids = (await server.db.selectFrom('audit_events').select('id').where('account_id', '=', accountId).orderBy('id').execute()).map((r) => r.id);
    const expected = ids.slice(ids.length - 6);
    await until(() => collector.messages().length >= 6);
    const messages = collector.messages();
    // rsyslog's own parse of the RFC 5424 header: facility 13 (log audit) × 8 + notice (5).
    for (const m of messages) {
      assert.equal(m.pri, '109');
      assert.equal(m.appName, 'agentdesk');
    }
    assert.deepEqual(messages.map((m) => m.msgId), ['audit_stream.added', ...Array(5).fill('method.renamed')]);
    assert.deepEqual(messages.map((m) => /\bid="([^"]+)"/.exec(m.structuredData)?.[1]), expected);
    assert.match(messages[0]!.structuredData, /^\[agentdesk@32473 id="[^"]+" account="[^"]+" action="audit_stream\.added" actorId=/);
    // The name survives its escaping: ", ] and \ take a backslash in a PARAM-VALUE (RFC 5424 6.3.3).
    const raw = /\bdetails="((?:[^"\\]|\\.)*)"/.exec(messages[1]!.structuredData)?.[1];
    assert.ok(raw, messages[1]!.structuredData);
    assert.deepEqual(JSON.parse(raw.replace(/\\(["\\\]])/g, '$1')), { methodId, name: 'Desk "0" ] \\ é' });
    const body = JSON.parse(messages[1]!.msg.replace(/^\ufeff/, '').trim()) as { id: string; details: { name: string } };
    assert.equal(body.id, expected[1]);
    assert.equal(body.details.name, 'Desk "0" ] \\ é');
  });

  test('entries written while the collector is down arrive once it is back, in order', async () => {
    const port = Number(new URL(collector.url).port);
    await collector.close();
    for (let i = 0; i < 3; i++) assert.equal((await server.call('PATCH', `/me/methods/${methodId}`, { token: adminToken, body: { name: `Offline ${i}` } })).status, 200);
    await new Promise((r) => setTimeout(r, 700));
    const state = (await server.call('GET', '/account/audit-streams', { token: adminToken })).body.streams[0];
    assert.match(state.lastError, /ECONNREFUSED/);
    assert.equal(state.pending, 3);
    collector = (await startRsyslog({ port }))!;
    await until(() => collector.messages().length >= 3);
    assert.deepEqual(
      collector.messages().map((m) => (JSON.parse(m.msg.replace(/^\ufeff/, '').trim()) as { details: { name: string } }).details.name),
      ['Offline 0', 'Offline 1', 'Offline 2'],
    );
  });
});

describe('a syslog collector that accepts and never reads', () => {
  let sink: Server;
  const held = new Set<Socket>();
  before(async () => {
    // Accepts, then never reads: the kernel's buffers fill and writes stall.
    sink = createServer((s) => {
      s.pause();
      held.add(s);
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  });
  after(() => {
    for (const s of held) s.destroy();
    sink.close();
  });

  test("a 20 MB batch the collector never reads fails at the attempt's deadline instead of hanging", async () => {
    const port = (sink.address() as { port: number }).port;
    const big = Array.from({ length: 100 }, (_, i) => ({
      id: `e${i}`,
      accountId: 'a',
      at: new Date().toISOString(),
      action: 'security_settings.updated',
      actor: null,
      subject: null,
      details: { padding: 'x'.repeat(200_000) },
      address: null,
      userAgent: null,
      deviceId: null,
    }));
    const started = Date.now();
    await assert.rejects(sendBatch(new URL(`tcp://127.0.0.1:${port}`), big, { allowPrivateTargets: true }, 1_000), /did not take the batch within 1 s/);
    // Building the 20 MB batch takes a moment on a busy machine; hanging would take for ever.
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  });

  test('octet-counting frames count bytes, not characters', () => {
    const message = syslogMessage({ id: 'x', accountId: 'a', at: '2026-12-07T00:00:00.000Z', action: 'user.created', actor: null, subject: null, details: { name: 'Zoë' }, address: null, userAgent: null, deviceId: null });
    const frame = octetCounted(message).toString('utf8');
    const [length, ...rest] = frame.split(' ');
    assert.equal(Number(length), Buffer.byteLength(rest.join(' ')));
    assert.ok(Number(length) > rest.join(' ').length);
  });
});
