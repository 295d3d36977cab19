// Bad input on every route gets a 4xx with a stable error code and changes nothing in the store:
// malformed JSON, a body that is not JSON, wrong types, missing and unknown fields, oversized
// bodies and invalid ids.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, enrolTotp, PASSWORD, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';

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
  { method: 'POST', path: '/account/users', valid: { name: 'N', email: 'n@bad.test', password: PASSWORD, role: 'agent' } },
];

const idRoutes = [
  { method: 'DELETE', path: '/me/methods/{id}' },
  { method: 'PATCH', path: '/me/methods/{id}', body: { name: 'x' } },
  { method: 'POST', path: '/me/methods/totp/{id}/confirm', body: { code: '123456' } },
  { method: 'DELETE', path: '/account/users/{id}/two-factor' },
];

describe('bad input changes nothing', () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, 'bad');
    const s = await signIn(server, 'bad', acc.user.email);
    await enrolTotp(server, s.token);
    token = s.token;
  });
  after(() => server.close());

  async function expectRejected(route: { method: string; path: string }, init: { raw?: string; body?: unknown; headers?: Record<string, string> }, status: number[], code: string[]) {
    const before = await tableCounts(server);
    const path = route.path.replace('{id}', 'abcdefghijkl');
    const res = await server.call(route.method, path, { token, ...init });
    assert.ok(status.includes(res.status), `${route.method} ${route.path} ${JSON.stringify(init).slice(0, 80)}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    assert.ok(code.includes(res.body?.error?.code), `${route.method} ${route.path}: code ${res.body?.error?.code}`);
    assert.equal(typeof res.body.error.message, 'string');
    assert.deepEqual(await tableCounts(server), before, `${route.method} ${route.path} changed the store`);
  }

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
    for (const route of idRoutes) {
      for (const id of ['%00', 'a'.repeat(65), '..%2F..', 'x y', 'abc$']) {
        const before = await tableCounts(server);
        const res = await server.call(route.method, route.path.replace('{id}', id), { token, ...(route.body ? { body: route.body } : {}) });
        assert.ok([400, 404].includes(res.status), `${route.method} ${route.path} ${id}: ${res.status}`);
        assert.ok(['invalid_request', 'not_found'].includes(res.body.error.code));
        assert.deepEqual(await tableCounts(server), before);
      }
      const res = await server.call(route.method, route.path.replace('{id}', 'doesNotExist1'), { token, ...(route.body ? { body: route.body } : {}) });
      assert.equal(res.status, 404, `${route.method} ${route.path}`);
      assert.equal(res.body.error.code, 'not_found');
    }
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
});
