// GET /account/adoption and its CSV against a real server: methods added and removed on
// different days (created_at and audit times moved into the past through the store), a 2FA
// reset by the admin, a user deactivated two days ago, a deployment day with who is still
// missing, bad input, an agent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { SoftAuthenticator } from '../testing/soft-webauthn.js';
import { DAY_MS } from './adoption.js';

describe('adoption', () => {
  let server: TestServer;
  let adminToken: string;
  let agentToken: string;
  const slug = 'adopt';
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  /** Noon UTC `n` days ago (n ≥ 1: always in the past). */
  const daysAgo = (n: number) => today - n * DAY_MS + 12 * 3_600_000;
  const date = (n: number) => new Date(today - n * DAY_MS).toISOString().slice(0, 10);

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const origin = new URL(server.url).origin;
    const db = server.db;
    const acc = await createAccount(server, slug);
    const admin = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    adminToken = admin.token;

    const addKey = async (token: string) => {
      const options = await server.call('POST', '/me/methods/security-keys/options', { token, body: {} });
      assert.equal(options.status, 200, JSON.stringify(options.body));
      const { response } = new SoftAuthenticator().createCredential(options.body, origin);
      const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Key', response } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return { token: res.body.token as string, methodId: res.body.method.id as string };
    };

    const ana = await createUser(server, adminToken, slug, 'Ana');
    const anaApp = await enrolTotp(server, (await signIn(server, slug, ana.email)).token);
    const ben = await createUser(server, adminToken, slug, 'Ben');
    const benKey = await addKey((await signIn(server, slug, ben.email)).token);
    await enrolTotp(server, benKey.token); // today: Ben has both from today
    const cal = await createUser(server, adminToken, slug, 'Cal');
    agentToken = (await signIn(server, slug, cal.email)).token;
    const dee = await createUser(server, adminToken, slug, 'Dee');
    const eve = await createUser(server, adminToken, slug, 'Eve');
    const eveApp = await enrolTotp(server, (await signIn(server, slug, eve.email)).token);
    const removed = await server.call('DELETE', `/me/methods/${eveApp.methodId}`, { token: eveApp.token });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const gus = await createUser(server, adminToken, slug, 'Gus');
    await enrolTotp(server, (await signIn(server, slug, gus.email)).token);
    const reset = await server.call('DELETE', `/account/users/${gus.id}/two-factor`, { token: adminToken });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const fay = await createUser(server, adminToken, slug, 'Fay');
    const fayApp = await enrolTotp(server, (await signIn(server, slug, fay.email)).token);
    assert.equal((await server.call('PATCH', `/account/users/${fay.id}`, { token: adminToken, body: { status: 'deactivated' } })).status, 200);

    // Into the past: everyone created 10 days ago but Dee (yesterday); the admin's and Fay's apps
    // before the window, Ana's 3 days ago, Ben's key 2 days ago, Eve's app added 5 days ago
    // (removed today), Gus's app added 4 days ago and reset by the admin yesterday, Fay
    // deactivated 2 days ago.
    await db.updateTable('users').set({ created_at: daysAgo(10) }).where('account_id', '=', acc.account.id).execute();
    await db.updateTable('users').set({ created_at: daysAgo(1) }).where('id', '=', dee.id).execute();
    await db.updateTable('methods').set({ created_at: daysAgo(10) }).where('id', 'in', [admin.methodId, fayApp.methodId]).execute();
    await db.updateTable('methods').set({ created_at: daysAgo(3) }).where('id', '=', anaApp.methodId).execute();
    await db.updateTable('methods').set({ created_at: daysAgo(2) }).where('id', '=', benKey.methodId).execute();
    await db.updateTable('audit_events').set({ at: daysAgo(5) }).where('action', '=', 'method.added').where('actor_id', '=', eve.id).execute();
    await db.updateTable('audit_events').set({ at: daysAgo(4) }).where('action', '=', 'method.added').where('actor_id', '=', gus.id).execute();
    await db.updateTable('audit_events').set({ at: daysAgo(1) }).where('action', '=', 'user.two_factor_reset').where('subject_user_id', '=', gus.id).execute();
    await db.updateTable('audit_events').set({ at: daysAgo(2) }).where('action', '=', 'user.deactivated').where('subject_user_id', '=', fay.id).execute();
  });
  after(() => server.close());

  test('the daily series replays additions, a removal, a reset and a deactivation; the split is now', async () => {
    const res = await server.call('GET', '/account/adoption?days=7', { token: adminToken });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const days = res.body.days as { date: string; users: number; withAnyMethod: number; withAuthenticatorApp: number; withSecurityKey: number; withBoth: number }[];
    assert.deepEqual(days.map((d) => d.date), [6, 5, 4, 3, 2, 1, 0].map(date));
    // Admin, Ana, Ben, Cal, Eve, Gus, Fay; Fay deactivated 2 days ago, Dee created yesterday.
    assert.deepEqual(days.map((d) => d.users), [7, 7, 7, 7, 6, 7, 7]);
    // Admin and Fay before; Eve from 5 days ago until today; Gus from 4 days ago until yesterday;
    // Ana from 3 days ago; Fay gone 2 days ago; Ben today.
    assert.deepEqual(days.map((d) => d.withAuthenticatorApp), [2, 3, 4, 5, 4, 3, 3]);
    assert.deepEqual(days.map((d) => d.withSecurityKey), [0, 0, 0, 0, 1, 1, 1]);
    assert.deepEqual(days.map((d) => d.withAnyMethod), [2, 3, 4, 5, 5, 4, 3]);
    assert.deepEqual(days.map((d) => d.withBoth), [0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(res.body.split, { authenticatorAppOnly: 2, securityKeyOnly: 0, both: 1, none: 4 });
    assert.equal(res.body.deploymentDay, null);
    assert.equal(res.body.byGroup, undefined);

    const month = await server.call('GET', '/account/adoption', { token: adminToken });
    assert.equal(month.body.days.length, 30);
    assert.deepEqual(month.body.days.at(-1), days.at(-1));
  });

  test('a deployment day shows who is still missing, by name, in pages with the total', async () => {
    const startsAt = new Date(Date.now() + 3 * DAY_MS).toISOString();
    const put = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: true, acknowledged: true, startsAt } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const first = await server.call('GET', '/account/adoption?days=7&missingLimit=2', { token: adminToken });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const day = first.body.deploymentDay;
    assert.equal(day.scheduledAt, startsAt);
    assert.equal(day.inScope, 7);
    assert.equal(day.missing.total, 4);
    assert.deepEqual(day.missing.users.map((u: { name: string }) => u.name), ['Cal', 'Dee']);
    assert.deepEqual(Object.keys(day.missing.users[0]).sort(), ['email', 'id', 'name', 'status']);
    const second = await server.call('GET', '/account/adoption?days=7&missingLimit=2&missingOffset=2', { token: adminToken });
    assert.deepEqual(second.body.deploymentDay.missing.users.map((u: { email: string }) => u.email), [`eve@${slug}.test`, `gus@${slug}.test`]);
  });

  test('the CSV has one row per day with the same figures, and a part with who is missing', async () => {
    const json = await server.call('GET', '/account/adoption?days=7', { token: adminToken });
    const res = await fetch(`${server.base}/account/adoption/export?days=7`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="adoption-adopt-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    assert.equal(lines[0], 'date,users,with_any_method,with_authenticator_app,with_security_key,with_both');
    assert.deepEqual(
      lines.slice(1),
      json.body.days.map((d: Record<string, unknown>) => [d.date, d.users, d.withAnyMethod, d.withAuthenticatorApp, d.withSecurityKey, d.withBoth].join(',')),
    );

    const missing = await fetch(`${server.base}/account/adoption/export?part=missing`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(missing.status, 200);
    assert.deepEqual((await missing.text()).trimEnd().split('\r\n'), ['name,email,status', `Cal,cal@${slug}.test,active`, `Dee,dee@${slug}.test,active`, `Eve,eve@${slug}.test,active`, `Gus,gus@${slug}.test,active`]);
  });

  test('bad input is a 400 with a stable code', async () => {
    for (const query of ['days=6', 'days=366', 'days=abc', 'days=30.5', 'days=', 'missingLimit=0', 'missingLimit=501', 'missingOffset=-1', 'colour=red']) {
      const res = await server.call('GET', `/account/adoption?${query}`, { token: adminToken });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_request', query);
    }
    for (const query of ['part=everything', 'days=0']) {
      const res = await server.call('GET', `/account/adoption/export?${query}`, { token: adminToken });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_request', query);
    }
  });

  test('an agent is refused both', async () => {
    for (const path of ['/account/adoption', '/account/adoption/export']) {
      const res = await server.call('GET', path, { token: agentToken });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'forbidden', path);
    }
  });
});
