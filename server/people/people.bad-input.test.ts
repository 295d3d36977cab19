// Bad input on every people route gets a 4xx with a stable error code and changes nothing:
// malformed JSON, a body that is not JSON, wrong types, missing and unknown fields, oversized
// bodies, invalid ids and query strings, and CSV files that are not what the import reads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { expectIdsRejected, expectRejected as expectRejectedBy, type BadRequest, type RouteUnderTest } from '../testing/bad-input.js';

const TOKEN = 'A'.repeat(43);

const routes: { method: string; path: string; valid: Record<string, unknown>; optional?: string[] }[] = [
  { method: 'PATCH', path: '/account/users/{id}', valid: { role: 'agent', status: 'active' }, optional: ['role', 'status'] },
  { method: 'POST', path: '/invitations/preview', valid: { token: TOKEN } },
  { method: 'POST', path: '/invitations/accept', valid: { token: TOKEN, password: PASSWORD } },
  { method: 'POST', path: '/password-resets', valid: { account: 'bad', email: 'x@bad.test' } },
  { method: 'POST', path: '/password-resets/complete', valid: { token: TOKEN, newPassword: PASSWORD } },
  { method: 'PUT', path: '/me/password', valid: { currentPassword: PASSWORD, newPassword: 'another good password' } },
];

const idRoutes: { method: string; path: string; body?: unknown }[] = [
  { method: 'PATCH', path: '/account/users/{id}', body: { status: 'deactivated' } },
  { method: 'DELETE', path: '/account/users/{id}' },
  { method: 'POST', path: '/account/users/{id}/invitation' },
  { method: 'DELETE', path: '/account/users/{id}/invitation' },
  { method: 'POST', path: '/account/users/{id}/password-reset' },
];

describe('bad input on people routes changes nothing', () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, 'bad');
    const s = await signIn(server, 'bad', acc.user.email);
    token = (await enrolTotp(server, s.token)).token ?? s.token;
  });
  after(() => server.close());

  const expectRejected = (route: RouteUnderTest, init: BadRequest, status: number[], code: string[]) => expectRejectedBy(server, token, route, init, status, code);

  for (const route of routes) {
    test(`${route.method} ${route.path}`, async () => {
      const json = { 'content-type': 'application/json' };
      await expectRejected(route, { raw: '{"broken": ', headers: json }, [400], ['invalid_request']);
      await expectRejected(route, { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, [415], ['unsupported_media_type']);
      await expectRejected(route, { body: [] }, [400], ['invalid_request']);
      await expectRejected(route, { body: 'a string' }, [400], ['invalid_request']);
      await expectRejected(route, { body: { ...route.valid, unexpected: true } }, [400], ['invalid_request']);
      await expectRejected(route, { raw: JSON.stringify({ ...route.valid, padding: 'x'.repeat(70 * 1024) }), headers: json }, [413], ['payload_too_large']);
      for (const key of Object.keys(route.valid)) {
        const missing = { ...route.valid };
        delete missing[key];
        if (!route.optional?.includes(key)) await expectRejected(route, { body: missing }, [400], ['invalid_request']);
        await expectRejected(route, { body: { ...route.valid, [key]: 12345 } }, [400], ['invalid_request']);
        await expectRejected(route, { body: { ...route.valid, [key]: null } }, [400], ['invalid_request']);
        await expectRejected(route, { body: { ...route.valid, [key]: 'x'.repeat(300) } }, [400], ['invalid_request']);
      }
    });
  }

  test('PATCH with nothing to change, or an unknown role or status', async () => {
    for (const body of [{}, { role: 'owner' }, { status: 'invited' }, { status: 'deleted' }]) {
      await expectRejected({ method: 'PATCH', path: '/account/users/{id}' }, { body }, [400], ['invalid_request']);
    }
  });

  test('invalid and unknown ids', async () => {
    await expectIdsRejected(server, token, idRoutes);
  });

  test('invalid query strings on the list, the export and the import', async () => {
    for (const q of ['?twoFactor=sms', '?role=owner', '?status=gone', '?sort=password', '?sort=--name', `?q=${'x'.repeat(121)}`, '?limit=1001', '?unknown=1']) {
      const res = await server.call('GET', `/account/users${q}`, { token });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.code, 'invalid_request');
    }
    for (const q of ['?twoFactor=sms', '?limit=10', '?sort=name']) {
      const res = await server.call('GET', `/account/users/export${q}`, { token });
      assert.equal(res.status, 400, q);
    }
    for (const q of ['?dryRun=yes', '?dryRun=1', '?x=1']) {
      await expectRejected({ method: 'POST', path: `/account/users/import${q}` }, { raw: 'name,email,role\nA,a@bad.test,agent', headers: { 'content-type': 'text/csv' } }, [400], ['invalid_request']);
    }
  });

  test('import files: too large, too many rows, wrong media type, broken CSV', async () => {
    const csv = { 'content-type': 'text/csv' };
    await expectRejected({ method: 'POST', path: '/account/users/import' }, { raw: 'name,email,role\n' + 'x'.repeat(5 * 1024 * 1024), headers: csv }, [413], ['payload_too_large']);
    const many = ['name,email,role', ...Array.from({ length: 10_001 }, (_, i) => `U${i},u${i}@bad.test,agent`)].join('\n');
    await expectRejected({ method: 'POST', path: '/account/users/import' }, { raw: many, headers: csv }, [400], ['invalid_csv']);
    await expectRejected({ method: 'POST', path: '/account/users/import' }, { raw: '<users/>', headers: { 'content-type': 'application/xml' } }, [415], ['unsupported_media_type']);
    for (const raw of ['', 'name;email;role\nA;a@bad.test;agent', 'name,email,role\n"A,a@bad.test,agent', '\u0000name,email,role\nA,a@bad.test,agent']) {
      await expectRejected({ method: 'POST', path: '/account/users/import?dryRun=true' }, { raw, headers: csv }, [400], ['invalid_csv', 'invalid_request']);
    }
  });
});
