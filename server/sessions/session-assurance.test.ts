// Session assurance (PRODUCT.md "Session"): a session is only as strong as what it passed,
// judged against the user's methods now, and passing the second step issues a new token.
// Each test runs an attack as someone holding only a password would, against a real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { totpCode } from '../testing/totp-reference.js';

describe('session assurance', () => {
  let server: TestServer;
  let adminToken: string;
  let adminSecret: string;
  const slug = 'assure';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    const enrolled = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    adminToken = enrolled.token;
    adminSecret = enrolled.secret;
  });
  after(() => server.close());

  /** Requires 2FA with the article's enrolment (the password is enough to set up a first method). */
  async function requireTwoFactor(on: boolean) {
    const res = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: on, acknowledged: true, enrollment: 'password' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }

  test('stale enrolment session: an attacker who signed in with the password first cannot add, confirm or keep anything once the owner enrols', async () => {
    // Attack: with Ana's stolen password, after 2FA is required, the attacker signs in first
    // (enrollment_required) and starts an authenticator app. Ana then enrols her own app. The
    // attacker confirms theirs, becomes active, removes Ana's app and regenerates the codes.
    await requireTwoFactor(true);
    try {
      const ana = await createUser(server, adminToken, slug, 'Ana');
      const attacker = await signIn(server, slug, ana.email);
      assert.equal(attacker.session.state, 'enrollment_required');
      const pending = await server.call('POST', '/me/methods/totp', { token: attacker.token, body: {} });
      assert.equal(pending.status, 201);
      const stream = openEvents(server.base, attacker.token);
      await stream.ready;

      const own = await signIn(server, slug, ana.email);
      const anaApp = await enrolTotp(server, own.token);

      // Pushed at once, and refused at request time whatever the attacker tries next.
      assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'second_factor_added' });
      stream.close();
      const confirm = await server.call('POST', `/me/methods/totp/${pending.body.id}/confirm`, { token: attacker.token, body: { code: totpCode(pending.body.secret) } });
      assert.equal(confirm.status, 401);
      assert.equal(confirm.body.error.reason, 'second_factor_added');
      for (const [method, path] of [['POST', '/me/methods/totp'], ['DELETE', `/me/methods/${anaApp.methodId}`], ['POST', '/me/recovery-codes'], ['GET', '/me']] as const) {
        const res = await server.call(method, path, { token: attacker.token, ...(method === 'POST' ? { body: {} } : {}) });
        assert.equal(res.status, 401, path);
      }
      const me = await server.call('GET', '/me', { token: anaApp.token });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body.methods.map((m: { id: string }) => m.id), [anaApp.methodId]);
      assert.equal(me.body.recoveryCodesLeft, 10);
      // The attacker's app, started in a session now ended, is gone with the one Ana confirmed.
      const rows = await server.db.selectFrom('methods').select('id').where('user_id', '=', ana.id).execute();
      assert.deepEqual(rows.map((r) => r.id), [anaApp.methodId]);
    } finally {
      await requireTwoFactor(false);
    }
  });

  test('two enrolment sessions confirming their first method at once: exactly one method, the other session ends', async () => {
    // Attack: the attacker races the owner, confirming at the same moment, hoping both count.
    await requireTwoFactor(true);
    try {
      const bo = await createUser(server, adminToken, slug, 'Bo');
      const a = await signIn(server, slug, bo.email);
      const b = await signIn(server, slug, bo.email);
      const startA = await server.call('POST', '/me/methods/totp', { token: a.token, body: {} });
      const startB = await server.call('POST', '/me/methods/totp', { token: b.token, body: {} });
      // One pending app per user: B's start replaced A's.
      assert.equal((await server.db.selectFrom('methods').select('id').where('user_id', '=', bo.id).where('confirmed', '=', 0).execute()).length, 1);
      const confirmA = server.call('POST', `/me/methods/totp/${startA.body.id}/confirm`, { token: a.token, body: { code: totpCode(startA.body.secret) } });
      const confirmB = server.call('POST', `/me/methods/totp/${startB.body.id}/confirm`, { token: b.token, body: { code: totpCode(startB.body.secret) } });
      const results = await Promise.all([confirmA, confirmB]);
      assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.body)));
      const methods = await server.db.selectFrom('methods').select('id').where('user_id', '=', bo.id).where('confirmed', '=', 1).execute();
      assert.equal(methods.length, 1);
      const loser = results[0]!.status === 200 ? b : a;
      assert.equal((await server.call('GET', '/me', { token: loser.token })).status, 401);
    } finally {
      await requireTwoFactor(false);
    }
  });

  test('password-only session: opened before the admin enrolled, it ends when they enrol and cannot create an admin', async () => {
    // Attack: a session opened with the admin's password before they set up 2FA stays active
    // with no second factor after the admin enrols (and after 2FA is required); from it the
    // attacker creates a second admin, who then resets the real admin's 2FA.
    const owner = await createUser(server, adminToken, slug, 'Cleo', 'admin');
    const attacker = await signIn(server, slug, owner.email);
    assert.equal(attacker.session.state, 'active');
    const stream = openEvents(server.base, attacker.token);
    await stream.ready;
    const own = await signIn(server, slug, owner.email);
    const enrolled = await enrolTotp(server, own.token);
    assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'second_factor_added' });
    stream.close();
    const create = await server.call('POST', '/account/users', { token: attacker.token, body: { name: 'Mallory', email: 'mallory@assure.test', role: 'admin' } });
    assert.equal(create.status, 401);
    assert.equal(create.body.error.reason, 'second_factor_added');
    assert.equal(await server.db.selectFrom('users').select('id').where('email', '=', 'mallory@assure.test').executeTakeFirst(), undefined);
    // The owner's own session, which passed the second factor by confirming the app, goes on.
    assert.equal((await server.call('GET', '/me', { token: enrolled.token })).status, 200);
  });

  test('enforcement ends every session that never passed a second factor, of users with a method too', async () => {
    // Attack: a session that never passed a second factor (opened while the user had no
    // method and 2FA was off, and still stored as active by a server before this rule) must
    // not survive "Require two-factor authentication", whether or not its user has a method.
    const dee = await createUser(server, adminToken, slug, 'Dee');
    const passwordOnly = await signIn(server, slug, dee.email);
    assert.equal(passwordOnly.session.state, 'active');
    const kit = await createUser(server, adminToken, slug, 'Kit');
    const kitApp = await enrolTotp(server, (await signIn(server, slug, kit.email)).token);
    const legacy = await signIn(server, slug, kit.email);
    await server.db.updateTable('sessions').set({ state: 'active' }).where('token_hash', '=', (await import('../crypto/tokens.js')).hashToken(legacy.token)).execute();
    const impact = await server.call('GET', '/account/security-settings/impact', { token: adminToken });
    assert.ok(impact.body.sessionsToRevoke >= 2, JSON.stringify(impact.body));
    const stream = openEvents(server.base, passwordOnly.token);
    await stream.ready;
    await requireTwoFactor(true);
    try {
      assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'two_factor_required' });
      stream.close();
      assert.equal((await server.call('GET', '/me', { token: passwordOnly.token })).status, 401);
      const revoked = await server.db.selectFrom('sessions').select('revoked_reason').where('user_id', '=', kit.id).where('second_factor_at', 'is', null).execute();
      assert.ok(revoked.length > 0 && revoked.every((r) => r.revoked_reason === 'two_factor_required'));
      assert.equal((await server.call('GET', '/me', { token: kitApp.token })).status, 200, 'the session that passed a factor stays');
      // The admin's own session passed a second factor: it stays.
      assert.equal((await server.call('GET', '/me', { token: adminToken })).status, 200);
    } finally {
      await requireTwoFactor(false);
    }
  });

  test('token rotation: the second step answers a new token and the one it was issued under ends', async () => {
    // Attack: a token captured after the password step (shoulder-surfed, logged, fixed by the
    // attacker) must not become the full session once the owner passes the second step.
    const eve = await createUser(server, adminToken, slug, 'Eve');
    const first = await signIn(server, slug, eve.email);
    const enrolled = await enrolTotp(server, first.token);
    assert.notEqual(enrolled.token, first.token);
    assert.equal((await server.call('GET', '/me', { token: first.token })).status, 401, 'the enrolment token ended');

    const pending = await signIn(server, slug, eve.email);
    const stream = openEvents(server.base, pending.token);
    await stream.ready;
    const passed = await server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'totp', code: totpCode(enrolled.secret, Date.now() + 30_000) } });
    assert.equal(passed.status, 200);
    assert.match(passed.body.token, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(passed.body.token, pending.token);
    assert.equal(passed.body.session.state, 'active');
    assert.equal((await server.call('GET', '/me', { token: pending.token })).status, 401);
    assert.equal((await server.call('GET', '/me', { token: passed.body.token })).status, 200);
    // The web console's cookie is replaced in the same answer.
    assert.match(passed.headers.get('set-cookie') ?? '', new RegExp(`agentdesk_session=${passed.body.token}`));
    // Same session: its event stream still hears about it.
    await server.call('DELETE', '/sessions/current', { token: passed.body.token });
    assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'signed_out' });
    stream.close();
  });

  test('your sessions: listed with device, address and last seen; end one, or every other', async () => {
    const fay = await createUser(server, adminToken, slug, 'Fay');
    const first = await enrolTotp(server, (await signIn(server, slug, fay.email)).token);
    const other = await server.call('POST', '/sessions', { body: { account: slug, email: fay.email, password: PASSWORD }, headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36' } });
    const second = await server.call('POST', '/sessions/current/second-factor', { token: other.body.token, body: { method: 'totp', code: totpCode(first.secret, Date.now() + 30_000) } });
    const list = await server.call('GET', '/me/sessions', { token: first.token });
    assert.equal(list.status, 200);
    assert.equal(list.body.sessions.length, 2);
    const mine = list.body.sessions.find((s: { current: boolean }) => s.current);
    const theirs = list.body.sessions.find((s: { current: boolean }) => !s.current);
    assert.equal(mine.address, '127.0.0.1');
    assert.equal(theirs.device, 'Chrome on Windows');
    assert.ok(Date.parse(theirs.lastSeenAt) > 0);
    const stream = openEvents(server.base, second.body.token);
    await stream.ready;
    const end = await server.call('DELETE', `/me/sessions/${theirs.id}`, { token: first.token });
    assert.equal(end.status, 204);
    assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'signed_out_elsewhere' });
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: second.body.token })).status, 401);
    // Nobody else's session can be ended from here.
    const adminSessions = await server.call('GET', '/me/sessions', { token: adminToken });
    const foreign = await server.call('DELETE', `/me/sessions/${adminSessions.body.sessions[0].id}`, { token: first.token });
    assert.equal(foreign.status, 404);
    assert.equal((await server.call('GET', '/me', { token: adminToken })).status, 200);
    // Sign out everywhere else.
    const third = await server.call('POST', '/sessions/current/second-factor', { token: (await signIn(server, slug, fay.email)).token, body: { method: 'totp', code: totpCode(first.secret, Date.now() + 60_000) } });
    const everywhere = await server.call('DELETE', '/me/sessions', { token: first.token });
    assert.deepEqual(everywhere.body, { revokedSessions: 1 });
    assert.equal((await server.call('GET', '/me', { token: third.body.token })).status, 401);
    assert.equal((await server.call('GET', '/me', { token: first.token })).status, 200);
  });

  test('one authenticator app pending at a time: 25 starts leave one unconfirmed row', async () => {
    // Attack: unconfirmed apps piling up without bound (200 per session) fill the table.
    const gus = await createUser(server, adminToken, slug, 'Gus');
    const s = await signIn(server, slug, gus.email);
    for (let i = 0; i < 25; i++) assert.equal((await server.call('POST', '/me/methods/totp', { token: s.token, body: {} })).status, 201);
    const pending = await server.db.selectFrom('methods').select('id').where('user_id', '=', gus.id).where('confirmed', '=', 0).execute();
    assert.equal(pending.length, 1);
  });
});
