// Session lifetimes per account (issue 21, PRODUCT.md "Authentication policies"): idle 15 minutes
// to 12 hours, absolute 1 to 24 hours, applied to live sessions at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openEvents } from '../testing/event-stream.js';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';

describe('session lifetimes per account', () => {
  let server: TestServer;
  let adminToken: string;
  let agentEmail: string;
  const slug = 'lifetimes';
  const MINUTE = 60_000;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const account = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, account.user.email)).token)).token;
    agentEmail = (await createUser(server, adminToken, slug, 'Ida')).email;
  });
  after(() => server.close());

  const policy = async () => (await server.call('GET', '/account/session-policy', { token: adminToken })).body;
  const save = (body: unknown) => server.call('PUT', '/account/session-policy', { token: adminToken, body });
  const sessionOf = async (token: string) => {
    const me = await server.call('GET', '/me/sessions', { token });
    return me.body.sessions.find((s: { current: boolean }) => s.current);
  };
  const expiresOf = async (token: string) =>
    Number((await server.db.selectFrom('sessions').select('expires_at').where('id', '=', (await sessionOf(token)).id).executeTakeFirstOrThrow()).expires_at);
  /** Moves a session back in time as if it had been opened, or last used, that long ago. */
  const age = (token: string, field: 'created_at' | 'last_seen_at', ms: number) =>
    sessionOf(token).then((s) => server.db.updateTable('sessions').set({ [field]: Date.now() - ms }).where('id', '=', s.id).execute());

  test("an account that set nothing has the server's lifetimes", async () => {
    assert.deepEqual(await policy(), { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 0 });
  });

  test('lifetimes outside 15 minutes to 12 hours idle and 1 to 24 hours absolute, and remembering outside 0 to 30 days, are refused, and nothing changes', async () => {
    for (const bad of [{ idleMinutes: 14, absoluteHours: 8 }, { idleMinutes: 721, absoluteHours: 8 }, { idleMinutes: 60, absoluteHours: 0 }, { idleMinutes: 60, absoluteHours: 25 }, { idleMinutes: 30.5, absoluteHours: 8 }, { idleMinutes: 60 }, { idleMinutes: 60, absoluteHours: 8, rememberDeviceDays: 31 }, { idleMinutes: 60, absoluteHours: 8, rememberDeviceDays: -1 }, { idleMinutes: 60, absoluteHours: 8, rememberDeviceDays: 1.5 }]) {
      const res = await save(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.ok(typeof res.body.error.code === 'string');
    }
    assert.deepEqual(await policy(), { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 0 });
  });

  test('shorter lifetimes end, at once, the live sessions already past them, and tell their streams', async () => {
    // An agent who left a desk 20 minutes ago, and one signed in 3 hours ago still working.
    const idle = (await signIn(server, slug, agentEmail)).token;
    const old = (await signIn(server, slug, agentEmail)).token;
    const fresh = (await signIn(server, slug, agentEmail)).token;
    await age(idle, 'last_seen_at', 20 * MINUTE);
    await age(old, 'created_at', 3 * 60 * MINUTE);
    const stream = openEvents(server.base, old);
    await stream.ready;
    assert.equal((await server.call('GET', '/me', { token: old })).status, 200, 'under the defaults the old session lives');

    const res = await save({ idleMinutes: 15, absoluteHours: 2 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.endedSessions, 2);
    const pushed = await stream.next('session.revoked', 2000);
    assert.equal(pushed.data.reason, 'expired');
    stream.close();
    for (const token of [idle, old]) {
      const me = await server.call('GET', '/me', { token });
      assert.equal(me.status, 401);
    }
    assert.equal((await server.call('GET', '/me', { token: fresh })).status, 200, 'a session within the new lifetimes goes on');
    assert.equal((await server.call('GET', '/me', { token: adminToken })).status, 200, 'the saving admin goes on');
    assert.deepEqual(await policy(), { idleMinutes: 15, absoluteHours: 2, rememberDeviceDays: 0 });
    const entry = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'account.session_policy_changed').executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(entry.details), { before: { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 0 }, after: { idleMinutes: 15, absoluteHours: 2, rememberDeviceDays: 0 }, endedSessions: 2 });
  });

  test("a new session gets the account's deadline, and the idle one moves with use", async () => {
    const signedIn = await signIn(server, slug, agentEmail);
    const expiresAt = Date.parse((signedIn.session as { state: string; expiresAt?: string }).expiresAt ?? "");
    assert.ok(Math.abs(expiresAt - (Date.now() + 15 * MINUTE)) < 5_000, `expires ${new Date(expiresAt).toISOString()}: 15 minutes from now`);
    // Idle 14 minutes: still alive, and a request moves the deadline 15 minutes on.
    await age(signedIn.token, 'last_seen_at', 14 * MINUTE);
    assert.equal((await server.call('GET', '/me', { token: signedIn.token })).status, 200);
    const moved = await expiresOf(signedIn.token);
    assert.ok(moved > Date.now() + 14 * MINUTE, 'the deadline moved with the request');
  });

  test('longer lifetimes than the server default apply too, and lengthen live sessions', async () => {
    const token = (await signIn(server, slug, agentEmail)).token;
    const res = await save({ idleMinutes: 720, absoluteHours: 24 });
    assert.equal(res.status, 200);
    assert.equal(res.body.endedSessions, 0);
    const expiresAt = await expiresOf(token);
    assert.ok(expiresAt > Date.now() + 11 * 60 * MINUTE, 'a live session now lives 12 idle hours');
    await age(token, 'last_seen_at', 9 * 60 * MINUTE);
    assert.equal((await server.call('GET', '/me', { token })).status, 200, '9 idle hours: alive under 12');
  });

  test('an agent cannot read or change the lifetimes', async () => {
    const token = (await signIn(server, slug, agentEmail)).token;
    assert.equal((await server.call('GET', '/account/session-policy', { token })).status, 403);
    assert.equal((await server.call('PUT', '/account/session-policy', { token, body: { idleMinutes: 15, absoluteHours: 1 } })).status, 403);
  });
});
