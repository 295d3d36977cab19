// Where an audit stream may send (server-side request forgery), and the refusals of bad input:
// a real server with the default policy (no private targets), over HTTP; plus the checks made
// at every connection, on the address actually connected to.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createAccount, enrolTotp, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { isSpecialAddress } from './targets.js';
import { postBatch } from './webhook.js';
import { sendBatch } from './syslog.js';

describe('audit stream targets', () => {
  let server: TestServer;
  let adminToken: string;
  let twoFactorPending: string;
  const slug = 'ssrfdesk';

  before(async () => {
    server = await startTestServer({ openSignup: true, auditStreamsTimeoutMs: 1_000 });
    const acc = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token)).token;
    twoFactorPending = (await signIn(server, slug, acc.user.email)).token;
  });
  after(() => server.close());

  const refusedWith = async (body: unknown, status: number, code: string, token = adminToken) => {
    const before = await tableCounts(server);
    const res = await server.call('POST', '/account/audit-streams', { token, body });
    assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, JSON.stringify(body));
    assert.equal(typeof res.body.error.message, 'string');
    assert.deepEqual(await tableCounts(server), before, `${JSON.stringify(body)} changed the store`);
  };

  test('an admin cannot point a stream into the server\'s own network', async () => {
    // Attack: server-side request forgery. An admin (or a stolen admin session) adds a webhook at
    // the cloud metadata service, the server's own port or a database inside the network: the
    // server would post signed audit batches there, from inside, every few seconds, and show the
    // answer's status as lastError: a port scanner and a way in.
    const port = new URL(server.url).port;
    for (const url of [
      'https://169.254.169.254/latest/meta-data/',
      `https://127.0.0.1:${port}/api/v1/health`,
      `http://127.0.0.1:${port}/api/v1/health`,
      'https://localhost/',
      'https://[::1]/',
      'https://[::ffff:10.0.0.1]/',
      'https://[fd00::1]/',
      'https://10.1.2.3/',
      'https://172.16.0.9/',
      'https://192.168.1.1/',
      'https://100.64.0.1/',
      'https://0.0.0.0/',
    ]) {
      await refusedWith({ type: 'webhook', url }, 400, 'audit_stream_target_refused');
    }
    for (const url of ['tcp://10.0.0.5:514', 'tls://127.0.0.1:6514', 'tcp://[fe80::1]:514', 'tcp://localhost:514']) {
      await refusedWith({ type: 'syslog', url }, 400, 'audit_stream_target_refused');
    }
  });

  test('a name that resolves into the network later is refused at the connection, not only when added', async () => {
    // Attack: DNS rebinding. The name resolved to a public address when the stream was added and
    // now resolves to 127.0.0.1; the check at add time alone would let the server post inside.
    let hits = 0;
    const inside: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => inside.listen(0, '127.0.0.1', r));
    const port = (inside.address() as { port: number }).port;
    try {
      const policy = { allowPrivateTargets: false };
      await assert.rejects(postBatch(new URL(`https://localhost:${port}/`), 'whsec_x', [], policy, 1_000), /cannot receive audit events/);
      await assert.rejects(postBatch(new URL(`http://127.0.0.1:${port}/`), 'whsec_x', [], policy, 1_000), /127\.0\.0\.1 is a private, loopback or reserved address/);
      await assert.rejects(sendBatch(new URL(`tcp://localhost:${port}`), [], policy, 1_000), /cannot receive audit events/);
      assert.equal(hits, 0, 'nothing reached the inside server');
      // The operator's switch lets the same connection through.
      await postBatch(new URL(`http://localhost:${port}/`), 'whsec_x', [], { allowPrivateTargets: true }, 1_000);
      assert.equal(hits, 1);
    } finally {
      inside.close();
    }
  });

  test('special addresses, IPv4 written as IPv6 included', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::ffff:192.168.0.1', 'fe80::1', 'fc00::1', '100.64.1.1', '224.0.0.1', 'not an ip']) assert.equal(isSpecialAddress(a), true, a);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isSpecialAddress(a), false, a);
  });

  test('bad targets and bodies: 4xx with a stable code, nothing changed', async () => {
    const refused = 'audit_stream_target_refused';
    await refusedWith({ type: 'webhook', url: 'http://siem.example.com/in' }, 400, refused);
    await refusedWith({ type: 'webhook', url: 'not a url' }, 400, refused);
    await refusedWith({ type: 'webhook', url: 'https://user:pass@siem.example.com/' }, 400, refused);
    await refusedWith({ type: 'webhook', url: 'ftp://siem.example.com/' }, 400, refused);
    await refusedWith({ type: 'syslog', url: 'udp://siem.example.com:514' }, 400, refused);
    await refusedWith({ type: 'syslog', url: 'tcp://siem.example.com' }, 400, refused);
    await refusedWith({ type: 'syslog', url: 'tls://siem.example.com:6514/path' }, 400, refused);
    await refusedWith({ type: 'syslog', url: 'https://siem.example.com/' }, 400, refused);
    await refusedWith({ type: 'kafka', url: 'https://siem.example.com/' }, 400, 'invalid_request');
    await refusedWith({ type: 'webhook' }, 400, 'invalid_request');
    await refusedWith({ type: 'webhook', url: `https://siem.example.com/${'a'.repeat(2100)}` }, 400, 'invalid_request');
    await refusedWith({ type: 'webhook', url: 'https://siem.invalid/', secret: 'mine' }, 400, 'invalid_request');
    // A session that has not passed its second step cannot add one.
    await refusedWith({ type: 'webhook', url: 'https://siem.invalid/' }, 403, 'second_factor_required', twoFactorPending);
    const unknown = await server.call('DELETE', '/account/audit-streams/doesNotExist1', { token: adminToken });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
  });

  test('at most five streams per account', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await server.call('POST', '/account/audit-streams', { token: adminToken, body: { type: 'syslog', url: `tls://siem${i}.invalid:6514` } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.secret, undefined, 'syslog has no secret');
      ids.push(res.body.id);
    }
    await refusedWith({ type: 'webhook', url: 'https://siem.invalid/' }, 409, 'audit_stream_limit');
    const list = await server.call('GET', '/account/audit-streams', { token: adminToken });
    assert.deepEqual(list.body.streams.map((s: { id: string }) => s.id), ids);
    for (const id of ids) assert.equal((await server.call('DELETE', `/account/audit-streams/${id}`, { token: adminToken })).status, 200);
  });
});
