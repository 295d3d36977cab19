// The rules of "Require two-factor authentication" (PRODUCT.md), one test each, against a real
// server on a real port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, signIn, signInWithTotp, startTestServer, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';
import { openEvents as openStream } from '../testing/event-stream.js';

const openEvents = (server: TestServer, token: string) => openStream(server.base, token);

describe('Require two-factor authentication', () => {
  let server: TestServer;
  let adminToken: string;
  let adminSecret: string;
  const slug = 'acme';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    const enrolled = await enrolTotp(server, first.token);
    adminSecret = enrolled.secret;
    adminToken = enrolled.token;
  });
  after(() => server.close());

  async function setEnforcement(on: boolean, acknowledged = true) {
    return server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: on, acknowledged } });
  }

  test('turning it on requires the "I understand" acknowledgement and changes nothing without it', async () => {
    const res = await setEnforcement(true, false);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'acknowledgement_required');
    const settings = await server.call('GET', '/account/security-settings', { token: adminToken });
    assert.equal(settings.body.requireTwoFactor, false);
  });

  test('the admin must have a method of their own before requiring it', async () => {
    const other = await createUser(server, adminToken, slug, 'Noma', 'admin');
    const s = await signIn(server, slug, other.email);
    const res = await server.call('PUT', '/account/security-settings', { token: s.token, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'admin_method_required');
  });

  test('agents cannot read or change the setting', async () => {
    const agent = await createUser(server, adminToken, slug, 'Petra');
    const s = await signIn(server, slug, agent.email);
    assert.equal((await server.call('GET', '/account/security-settings', { token: s.token })).body.error.code, 'forbidden');
    const res = await server.call('PUT', '/account/security-settings', { token: s.token, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
  });

  test('enforcement signs out only users without 2FA, on every device, and their event streams receive session.revoked', async () => {
    const noTwoFactor = await createUser(server, adminToken, slug, 'Bob');
    const withTwoFactor = await createUser(server, adminToken, slug, 'Carol');
    const bobDesk = await signIn(server, slug, noTwoFactor.email);
    const bobLaptop = await signIn(server, slug, noTwoFactor.email);
    assert.equal(bobDesk.session.state, 'active');
    const carolFirst = await signIn(server, slug, withTwoFactor.email);
    const carolSecret = (await enrolTotp(server, carolFirst.token)).secret;
    const carol = await signInWithTotp(server, slug, withTwoFactor.email, carolSecret);

    const impact = await server.call('GET', '/account/security-settings/impact', { token: adminToken });
    assert.equal(impact.status, 200);
    const names = impact.body.users.map((u: { name: string }) => u.name);
    assert.ok(names.includes('Bob'));
    assert.ok(!names.includes('Carol'));
    assert.ok(impact.body.sessionsToRevoke >= 2);

    const deskStream = openEvents(server, bobDesk.token);
    const laptopStream = openEvents(server, bobLaptop.token);
    const carolStream = openEvents(server, carol);
    await Promise.all([deskStream.ready, laptopStream.ready, carolStream.ready]);

    const started = Date.now();
    const res = await setEnforcement(true);
    assert.equal(res.status, 200);
    assert.equal(res.body.requireTwoFactor, true);
    assert.equal(res.body.revokedSessions, impact.body.sessionsToRevoke);
    assert.ok(res.body.signedOutUsers >= 1);

    assert.deepEqual((await deskStream.next('session.revoked')).data, { reason: 'two_factor_required' });
    assert.deepEqual((await laptopStream.next('session.revoked')).data, { reason: 'two_factor_required' });
    assert.ok(Date.now() - started < 1000);

    for (const token of [bobDesk.token, bobLaptop.token]) {
      const me = await server.call('GET', '/me', { token });
      assert.equal(me.status, 401);
      assert.equal(me.body.error.code, 'unauthenticated');
      assert.equal(me.body.error.reason, 'two_factor_required');
    }
    // Users with 2FA keep their sessions, and hear nothing.
    assert.equal((await server.call('GET', '/me', { token: carol })).status, 200);
    assert.equal((await server.call('GET', '/me', { token: adminToken })).status, 200);
    assert.equal(carolStream.events.some((e) => e.event === 'session.revoked'), false);
    deskStream.close();
    laptopStream.close();
    carolStream.close();

    // Their next sign-in is enrollment_required, which reaches only enrollment.
    const next = await signIn(server, slug, noTwoFactor.email);
    assert.equal(next.session.state, 'enrollment_required');
    assert.equal((await server.call('GET', '/account/users', { token: next.token })).body.error.code, 'enrollment_required');
    assert.equal((await server.call('POST', '/me/recovery-codes', { token: next.token, body: {} })).body.error.code, 'enrollment_required');
    const enrolled = await enrolTotp(server, next.token);
    assert.equal(enrolled.recoveryCodes.length, 10);
    const me = await server.call('GET', '/me', { token: enrolled.token });
    assert.equal(me.body.session.state, 'active');
    assert.equal(me.body.recoveryCodesLeft, 10);

    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    const entry = audit.body.events.find((e: { action: string }) => e.action === 'security_settings.updated');
    assert.equal(entry.details.revokedSessions, res.body.revokedSessions);
    assert.equal(entry.details.signedOutUsers, res.body.signedOutUsers);
    assert.equal(entry.actor.email, 'admin@acme.test');
  });

  test('users created while it is on must set up a method at first sign-in', async () => {
    const dan = await createUser(server, adminToken, slug, 'Dan');
    const s = await signIn(server, slug, dan.email);
    assert.equal(s.session.state, 'enrollment_required');
  });

  test('saving again while it is on needs no new acknowledgement and signs nobody out', async () => {
    const res = await setEnforcement(true, false);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { requireTwoFactor: true, signedOutUsers: 0, revokedSessions: 0, scheduledAt: null });
  });

  test('while it is on, a user cannot remove their last method', async () => {
    const erin = await createUser(server, adminToken, slug, 'Erin');
    const s = await signIn(server, slug, erin.email);
    const { methodId, token } = await enrolTotp(server, s.token);
    const res = await server.call('DELETE', `/me/methods/${methodId}`, { token });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'last_method_required');
    assert.equal((await server.call('GET', '/me', { token })).body.methods.length, 1);
  });

  test('turning it off signs out nobody, keeps methods, and lets users remove them', async () => {
    const frank = await createUser(server, adminToken, slug, 'Frank');
    const s = await signIn(server, slug, frank.email);
    const { methodId, token } = await enrolTotp(server, s.token);
    const res = await setEnforcement(false, false);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { requireTwoFactor: false, signedOutUsers: 0, revokedSessions: 0, scheduledAt: null });
    const me = await server.call('GET', '/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.body.methods.length, 1);
    assert.equal(me.body.account.requireTwoFactor, false);
    const removed = await server.call('DELETE', `/me/methods/${methodId}`, { token });
    assert.equal(removed.status, 200);
    const after = await server.call('GET', '/me', { token });
    assert.equal(after.body.methods.length, 0);
    assert.equal(after.body.recoveryCodesLeft, 0);
    const list = await server.call('GET', '/account/users', { token: adminToken });
    assert.equal(list.body.users.find((u: { name: string }) => u.name === 'Frank').twoFactorEnabled, false);
  });

  test('users created while it is off are not asked to set up a method', async () => {
    const gus = await createUser(server, adminToken, slug, 'Gus');
    const s = await signIn(server, slug, gus.email);
    assert.equal(s.session.state, 'active');
  });

  test('a sensitive change needs a second factor from the last 10 minutes', async () => {
    // Age the admin's last second factor past the window.
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', (await server.call('GET', '/me', { token: adminToken })).body.user.id).execute();
    const res = await setEnforcement(true);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.equal((await server.call('GET', '/account/security-settings', { token: adminToken })).body.requireTwoFactor, false);
    const reauth = await server.call('POST', '/sessions/current/second-factor', {
      token: adminToken,
      body: { method: 'totp', code: totpCode(adminSecret, Date.now() + 30_000) },
    });
    assert.equal(reauth.status, 200);
    // Re-authenticating passed a second factor: the session goes on under the new token.
    adminToken = reauth.body.token;
    assert.equal((await setEnforcement(true)).status, 200);
    assert.equal((await setEnforcement(false)).status, 200);
  });

  test('an admin reset removes the user\'s methods and recovery codes and signs them out', async () => {
    const hal = await createUser(server, adminToken, slug, 'Hal');
    const s = await signIn(server, slug, hal.email);
    const { token } = await enrolTotp(server, s.token);
    const stream = openEvents(server, token);
    await stream.ready;
    const res = await server.call('DELETE', `/account/users/${hal.id}/two-factor`, { token: adminToken });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { removedMethods: 1, revokedSessions: 1 });
    assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'two_factor_reset' });
    stream.close();
    const again = await signIn(server, slug, hal.email);
    assert.equal(again.session.state, 'active');
    const me = await server.call('GET', '/me', { token: again.token });
    assert.equal(me.body.methods.length, 0);
    assert.equal(me.body.recoveryCodesLeft, 0);
  });

  test('a last-method removal racing the enforcement save never leaves a user without 2FA signed in', async () => {
    for (let round = 0; round < 4; round++) {
      const u = await createUser(server, adminToken, slug, `Race${round}`);
      const s = await signIn(server, slug, u.email);
      const { methodId, token } = await enrolTotp(server, s.token);
      const [removal] = await Promise.all([
        server.call('DELETE', `/me/methods/${methodId}`, { token }),
        setEnforcement(true),
      ]);
      const me = await server.call('GET', '/me', { token });
      if (removal.status === 200) {
        // Removed first: the save then found the user without a method and signed them out.
        assert.equal(me.status, 401, `round ${round}`);
      } else {
        assert.equal(removal.body.error.code, 'last_method_required');
        assert.equal(me.body.methods.length, 1);
      }
      assert.equal((await setEnforcement(false)).status, 200);
    }
  });

  test('two admins saving opposite settings at once leave one consistent state and an audit entry each', async () => {
    const before = (await server.call('GET', '/account/audit-events?limit=200', { token: adminToken })).body.events.length;
    const [a, b] = await Promise.all([setEnforcement(true), setEnforcement(false)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const settings = await server.call('GET', '/account/security-settings', { token: adminToken });
    const events = (await server.call('GET', '/account/audit-events?limit=200', { token: adminToken })).body.events;
    assert.equal(events.length, before + 2);
    assert.equal(settings.body.requireTwoFactor, events[0].details.requireTwoFactor.to);
    await setEnforcement(false);
  });
});
