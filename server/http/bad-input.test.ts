// Bad input on every route gets a 4xx with a stable error code and changes nothing in the store:
// malformed JSON, a body that is not JSON, wrong types, missing and unknown fields, oversized
// bodies and invalid ids, a NUL character in any string, an invalid Host header. A call whose
// fields are all optional also takes a POST with no body at all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, PASSWORD, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { expectIdsRejected, expectRejected as expectRejectedBy, type BadRequest, type RouteUnderTest } from '../testing/bad-input.js';
import { buildRequest, rawRequest } from '../testing/raw-http.js';
import { totpCode } from '../testing/totp-reference.js';

interface Route {
  method: string;
  path: string;
  valid?: Record<string, unknown>;
  /** Fields that may be left out. */
  optional?: string[];
}

const routes: Route[] = [
  { method: 'POST', path: '/accounts', valid: { name: 'X', slug: 'xx', admin: { name: 'X', email: 'x@x.test', password: PASSWORD } } },
  { method: 'POST', path: '/sessions', valid: { account: 'bad', email: 'admin@bad.test', password: PASSWORD } },
  { method: 'POST', path: '/sessions/current/security-key-options', valid: {} },
  { method: 'POST', path: '/sessions/current/second-factor', valid: { method: 'totp', code: '000000' } },
  { method: 'POST', path: '/me/methods/totp', valid: { name: 'Phone' }, optional: ['name'] },
  { method: 'POST', path: '/me/methods/totp/{id}/confirm', valid: { code: '000000' } },
  { method: 'POST', path: '/me/methods/security-keys/options', valid: {} },
  { method: 'POST', path: '/me/methods/security-keys', valid: { name: 'Key', response: {} } },
  { method: 'PATCH', path: '/me/methods/{id}', valid: { name: 'New' } },
  { method: 'POST', path: '/me/recovery-codes', valid: {} },
  { method: 'PUT', path: '/account/security-settings', valid: { requireTwoFactor: true, acknowledged: true } },
  { method: 'POST', path: '/account/users', valid: { name: 'N', email: 'n@bad.test', role: 'agent' } },
  { method: 'POST', path: '/account/audit-streams', valid: { type: 'syslog', url: 'tls://siem.invalid:6514' } },
];

const idRoutes = [
  { method: 'DELETE', path: '/me/methods/{id}' },
  { method: 'PATCH', path: '/me/methods/{id}', body: { name: 'x' } },
  { method: 'POST', path: '/me/methods/totp/{id}/confirm', body: { code: '123456' } },
  { method: 'DELETE', path: '/account/users/{id}/two-factor' },
  { method: 'DELETE', path: '/account/users/{id}/sessions' },
  { method: 'DELETE', path: '/account/audit-streams/{id}' },
];

describe('bad input changes nothing', () => {
  let server: TestServer;
  let token: string;
  const webRoot = mkdtempSync(join(tmpdir(), 'agentdesk-webroot-'));

  before(async () => {
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>AgentDesk</title>');
    server = await startTestServer({ openSignup: true, webRoot });
    const acc = await createAccount(server, 'bad');
    const s = await signIn(server, 'bad', acc.user.email);
    // Confirming the first method answers a new token (passing a second factor); the old one ends.
    const start = await server.call('POST', '/me/methods/totp', { token: s.token, body: {} });
    const confirm = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token: s.token, body: { code: totpCode(start.body.secret) } });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    token = confirm.body.token ?? s.token;
  });
  after(async () => {
    await server.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  const expectRejected = (route: RouteUnderTest, init: BadRequest, status: number[], code: string[]) => expectRejectedBy(server, token, route, init, status, code);

  for (const route of routes) {
    test(`${route.method} ${route.path}`, async () => {
      const json = { 'content-type': 'application/json' };
      await expectRejected(route, { raw: '{"broken": ', headers: json }, [400], ['invalid_request']);
      await expectRejected(route, { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, [415], ['unsupported_media_type']);
      await expectRejected(route, { raw: '', headers: json }, [400], ['invalid_request']);
      await expectRejected(route, { body: [] }, [400], ['invalid_request']);
      await expectRejected(route, { body: 'a string' }, [400], ['invalid_request']);
      await expectRejected(route, { body: { ...route.valid, unexpected: true } }, [400], ['invalid_request']);
      await expectRejected(route, { raw: JSON.stringify({ ...route.valid, padding: 'x'.repeat(70 * 1024) }), headers: json }, [413], ['payload_too_large']);
      for (const key of Object.keys(route.valid ?? {})) {
        const missing = { ...route.valid };
        delete missing[key];
        if (!route.optional?.includes(key)) await expectRejected(route, { body: missing }, [400], ['invalid_request']);
        await expectRejected(route, { body: { ...route.valid, [key]: 12345 } }, [400], ['invalid_request']);
        await expectRejected(route, { body: { ...route.valid, [key]: { nested: ['x'] } } }, [400], ['invalid_request']);
        await expectRejected(route, { body: { ...route.valid, [key]: null } }, [400], ['invalid_request']);
      }
    });
  }

  test('invalid and unknown ids', async () => {
    await expectIdsRejected(server, token, idRoutes);
  });

  test('invalid query strings', async () => {
    for (const q of ['?limit=0', '?limit=abc', '?limit=-1', '?limit=100000', '?offset=x', '?unknown=1']) {
      const res = await server.call('GET', `/account/users${q}`, { token });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.code, 'invalid_request');
    }
    for (const q of ['?limit=0', '?limit=201', '?before=%27%3B--', '?x=1']) {
      const res = await server.call('GET', `/account/audit-events${q}`, { token });
      assert.equal(res.status, 400, q);
    }
  });

  test('malformed authorization gets 401, never 500', async () => {
    for (const header of ['Bearer', 'Bearer x', 'Basic abc', `Bearer ${'a'.repeat(5000)}`, 'Bearer ../../etc/passwd']) {
      const res = await server.call('GET', '/me', { headers: { authorization: header } });
      assert.equal(res.status, 401, header);
      assert.equal(res.body.error.code, 'unauthenticated');
    }
  });

  test('unknown routes answer not_found in the error shape', async () => {
    const res = await server.call('GET', '/nope');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });

  // Attack: a NUL character in any string reached PostgreSQL, which refuses it inside the query:
  // a 500 and a stack trace in the log, from an unauthenticated sign-in too. One check before
  // every schema refuses it, on both stores.
  test('a NUL character in any string is refused before the store sees it', async () => {
    const nul = '\u0000';
    const cases: { method: string; path: string; body?: unknown; auth?: boolean }[] = [
      { method: 'POST', path: '/sessions', body: { account: `bad${nul}`, email: 'admin@bad.test', password: PASSWORD } },
      { method: 'POST', path: '/sessions', body: { account: 'bad', email: `admin@bad.test${nul}`, password: PASSWORD } },
      { method: 'POST', path: '/sessions', body: { account: 'bad', email: 'admin@bad.test', password: `${PASSWORD}${nul}` } },
      { method: 'POST', path: '/accounts', body: { name: `N${nul}ul Ltd`, slug: 'nul', admin: { name: 'Nul', email: 'nul@nul.test', password: PASSWORD } } },
      { method: 'POST', path: '/accounts', body: { name: 'Nul Ltd', slug: 'nul', admin: { name: `A${nul}`, email: 'nul@nul.test', password: PASSWORD } } },
      { method: 'POST', path: '/account/users', auth: true, body: { name: `Nul${nul}`, email: 'nul@bad.test', role: 'agent' } },
      { method: 'POST', path: '/me/methods/totp', auth: true, body: { name: `Phone${nul}` } },
      { method: 'POST', path: '/sessions/current/second-factor', auth: true, body: { method: 'totp', code: `12345${nul}` } },
      { method: 'POST', path: '/sessions', body: { account: 'bad', email: 'admin@bad.test', password: PASSWORD, [`x${nul}`]: 1 } },
      { method: 'GET', path: '/account/users?q=%00', auth: true },
      { method: 'GET', path: '/account/users?q=a%00b', auth: true },
      { method: 'GET', path: '/account/audit-events?before=%00', auth: true },
      { method: 'PATCH', path: '/me/methods/abc%00def', auth: true, body: { name: 'x' } },
    ];
    for (const c of cases) {
      const before = await tableCounts(server);
      const res = await server.call(c.method, c.path, { ...(c.auth ? { token } : {}), ...(c.body ? { body: c.body } : {}) });
      assert.equal(res.status, 400, `${c.method} ${c.path} ${JSON.stringify(c.body)}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.deepEqual(await tableCounts(server), before, `${c.method} ${c.path} changed the store`);
    }
  });

  // Attack: a Host header that is not a host (an out-of-range port, a lone bracket, a space, a
  // bare percent sign) made the web console's redirect throw: a 500 for anyone who sends one.
  test('an invalid Host header gets 400 invalid_request, on the console and the API', async () => {
    for (const host of ['127.0.0.1:99999', '[', 'a b', '%', 'localhost:port', '[::1', 'a/b', 'a@b', '']) {
      for (const path of ['/', '/security', '/api/v1/health', '/api/v1/signup']) {
        const res = await rawRequest(server.port, buildRequest('GET', path, [['Host', host], ['Connection', 'close']]));
        assert.equal(res.status, 400, `Host ${JSON.stringify(host)} ${path}: ${res.status} ${res.body.slice(0, 200)}`);
        assert.equal(JSON.parse(res.body).error.code, 'invalid_request', `Host ${JSON.stringify(host)} ${path}`);
      }
    }
    // Valid ones still work: a name, an IPv6 loopback, a port.
    for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`, 'agentdesk.example.com']) {
      const res = await rawRequest(server.port, buildRequest('GET', '/api/v1/health', [['Host', host], ['Connection', 'close']]));
      assert.equal(res.status, 200, `Host ${host}`);
    }
  });

  test('a URL that does not decode gets invalid_request in the error shape', async () => {
    const res = await rawRequest(server.port, buildRequest('GET', '/api/v1/me/methods/%zz', [['Host', 'localhost'], ['Connection', 'close']]));
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).error.code, 'invalid_request');
  });

  // A call listed without a body takes a POST with no body at all (no content type, no length),
  // as valid HTTP allows; a call with required fields still refuses one, and a malformed body is
  // still a 400.
  test('a POST with no body at all is {} where every field is optional', async () => {
    const bodyless = async (path: string, extra: [string, string][] = []) => {
      const res = await rawRequest(server.port, buildRequest('POST', `/api/v1${path}`, [['Host', 'localhost'], ['Authorization', `Bearer ${token}`], ['Connection', 'close'], ...extra]));
      return { status: res.status, body: JSON.parse(res.body || 'null') };
    };
    const totp = await bodyless('/me/methods/totp');
    assert.equal(totp.status, 201, JSON.stringify(totp.body));
    assert.match(totp.body.otpauthUri, /^otpauth:\/\/totp\//);
    const codes = await bodyless('/me/recovery-codes', [['Content-Length', '0']]);
    assert.equal(codes.status, 200, JSON.stringify(codes.body));
    assert.equal(codes.body.recoveryCodes.length, 10);
    const keyOptions = await bodyless('/me/methods/security-keys/options');
    assert.equal(keyOptions.status, 200, JSON.stringify(keyOptions.body));
    assert.equal(typeof keyOptions.body.challenge, 'string');
    const stepOptions = await bodyless('/sessions/current/security-key-options');
    assert.notEqual(stepOptions.status, 400, JSON.stringify(stepOptions.body));
    assert.ok(stepOptions.status < 500);

    const before = await tableCounts(server);
    for (const path of ['/sessions', '/accounts', '/account/users', '/sessions/current/second-factor']) {
      const res = await bodyless(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.code, 'invalid_request', path);
    }
    const malformed = await rawRequest(server.port, buildRequest('POST', '/api/v1/me/recovery-codes', [['Host', 'localhost'], ['Authorization', `Bearer ${token}`], ['Content-Type', 'application/json'], ['Content-Length', '1'], ['Connection', 'close']], '{'));
    assert.equal(malformed.status, 400);
    assert.equal(JSON.parse(malformed.body).error.code, 'invalid_request');
    assert.deepEqual(await tableCounts(server), before);
  });
});
