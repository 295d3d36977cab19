// The second step: authenticator codes with replay protection, recovery codes, throttling and
// lock-out that hold under parallel guesses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';

describe('second step', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'call';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminToken = (await signIn(server, slug, acc.user.email)).token;
  });
  after(() => server.close());

  async function userWithTotp(name: string) {
    const u = await createUser(server, adminToken, slug, name);
    const first = await signIn(server, slug, u.email);
    const enrolled = await enrolTotp(server, first.token);
    return { ...u, ...enrolled };
  }

  test('a user with a method gets two_factor_required with their methods, last used first', async () => {
    const u = await userWithTotp('Ann');
    const s = await signIn(server, slug, u.email);
    assert.equal(s.session.state, 'two_factor_required');
    assert.equal(s.methods.length, 1);
    assert.equal(s.methods[0]!.type, 'totp');
    // Pending sessions reach nothing but the second step.
    for (const [method, path] of [['GET', '/me'], ['GET', '/account/users'], ['POST', '/me/methods/totp']] as const) {
      const res = await server.call(method, path, { token: s.token, ...(method === 'POST' ? { body: {} } : {}) });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'second_factor_required');
    }
  });

  test('a correct code activates the session; the same code is refused a second time (replay)', async () => {
    const u = await userWithTotp('Ben');
    const code = totpCode(u.secret, Date.now() + 30_000);
    const a = await signIn(server, slug, u.email);
    const ok = await server.call('POST', '/sessions/current/second-factor', { token: a.token, body: { method: 'totp', code } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.session.state, 'active');
    const b = await signIn(server, slug, u.email);
    const replay = await server.call('POST', '/sessions/current/second-factor', { token: b.token, body: { method: 'totp', code } });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error.code, 'invalid_code');
  });

  test('parallel requests with the same correct code: exactly one passes', async () => {
    const u = await userWithTotp('Cy');
    const code = totpCode(u.secret, Date.now() + 30_000);
    const sessions = await Promise.all(Array.from({ length: 5 }, () => signIn(server, slug, u.email)));
    const results = await Promise.all(
      sessions.map((s) => server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code } })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
  });

  test('lock-out holds under parallel guesses: 30 wrong codes at once, at most 5 are checked', async () => {
    const u = await userWithTotp('Dee');
    const s = await signIn(server, slug, u.email);
    const right = totpCode(u.secret, Date.now() + 30_000);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const results = await Promise.all(
      Array.from({ length: 30 }, () => server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: wrong } })),
    );
    const checked = results.filter((r) => r.body.error?.code === 'invalid_code').length;
    const throttled = results.filter((r) => r.status === 429);
    assert.equal(checked, 5);
    assert.equal(throttled.length, 25);
    assert.equal(throttled[0]!.body.error.code, 'too_many_attempts');
    assert.ok(throttled[0]!.body.error.retryAfterSeconds > 0);
    assert.equal(throttled[0]!.headers.get('retry-after'), String(throttled[0]!.body.error.retryAfterSeconds));
    // Even the right code waits for the lock to expire.
    const locked = await server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: right } });
    assert.equal(locked.status, 429);
    // The lock runs out (moved into the past here) and the right code passes.
    await server.db.updateTable('throttles').set({ locked_until: Date.now() - 1 }).where('key', '=', `2f:u:${u.id}`).execute();
    const ok = await server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: right } });
    assert.equal(ok.status, 200);
  });

  test('recovery codes: each works once, in any case and with or without the hyphen', async () => {
    const u = await userWithTotp('Eve');
    const [first, second] = u.recoveryCodes;
    const a = await signIn(server, slug, u.email);
    const ok = await server.call('POST', '/sessions/current/second-factor', { token: a.token, body: { method: 'recovery_code', code: first!.toUpperCase().replace('-', ' ') } });
    assert.equal(ok.status, 200);
    const me = await server.call('GET', '/me', { token: ok.body.token });
    assert.equal(me.body.recoveryCodesLeft, 9);
    const b = await signIn(server, slug, u.email);
    const again = await server.call('POST', '/sessions/current/second-factor', { token: b.token, body: { method: 'recovery_code', code: first } });
    assert.equal(again.body.error.code, 'invalid_code');
    const other = await server.call('POST', '/sessions/current/second-factor', { token: b.token, body: { method: 'recovery_code', code: second } });
    assert.equal(other.status, 200);
  });

  test('recovery codes alone do not count as having 2FA', async () => {
    const u = await userWithTotp('Fay');
    const s = await signIn(server, slug, u.email);
    const { token } = (await server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'recovery_code', code: u.recoveryCodes[0] } })).body;
    const removed = await server.call('DELETE', `/me/methods/${u.methodId}`, { token });
    assert.equal(removed.status, 200);
    const users = await server.call('GET', '/account/users', { token: adminToken });
    assert.equal(users.body.users.find((x: { id: string }) => x.id === u.id).twoFactorEnabled, false);
    assert.equal((await server.call('GET', '/me', { token })).body.recoveryCodesLeft, 0);
    assert.equal((await signIn(server, slug, u.email)).session.state, 'active');
  });

  test('regenerating recovery codes needs a recent second factor and replaces the old ones', async () => {
    const u = await userWithTotp('Gil');
    const s = await signIn(server, slug, u.email);
    const { token } = (await server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: totpCode(u.secret, Date.now() + 30_000) } })).body;
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', u.id).execute();
    const stale = await server.call('POST', '/me/recovery-codes', { token, body: {} });
    assert.equal(stale.body.error.code, 'reauthentication_required');
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('user_id', '=', u.id).execute();
    const fresh = await server.call('POST', '/me/recovery-codes', { token, body: {} });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.recoveryCodes.length, 10);
    const next = await signIn(server, slug, u.email);
    const old = await server.call('POST', '/sessions/current/second-factor', { token: next.token, body: { method: 'recovery_code', code: u.recoveryCodes[1] } });
    assert.equal(old.body.error.code, 'invalid_code');
  });

  test('confirming an authenticator app with a wrong code changes nothing', async () => {
    const u = await createUser(server, adminToken, slug, 'Hank');
    const s = await signIn(server, slug, u.email);
    const start = await server.call('POST', '/me/methods/totp', { token: s.token, body: {} });
    assert.match(start.body.otpauthUri, /^otpauth:\/\/totp\/.+secret=[A-Z2-7]{32}/);
    assert.match(start.body.qrCodeDataUrl, /^data:image\/svg\+xml;base64,/);
    const code = totpCode(start.body.secret);
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
    const res = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token: s.token, body: { code: wrong } });
    assert.equal(res.body.error.code, 'invalid_code');
    const me = await server.call('GET', '/me', { token: s.token });
    assert.equal(me.body.methods.length, 0);
    assert.equal(me.body.recoveryCodesLeft, 0);
  });

  test('a second method needs a recent second factor and brings no new recovery codes', async () => {
    const u = await userWithTotp('Ivy');
    const s = await signIn(server, slug, u.email);
    const { token } = (await server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: totpCode(u.secret, Date.now() + 30_000) } })).body;
    const second = await enrolTotp(server, token);
    assert.equal(second.recoveryCodes, undefined);
    const me = await server.call('GET', '/me', { token: second.token });
    assert.equal(me.body.methods.length, 2);
    const rename = await server.call('PATCH', `/me/methods/${second.methodId}`, { token: second.token, body: { name: 'Work phone' } });
    assert.equal(rename.body.method.name, 'Work phone');
  });

  test('TOTP secrets are encrypted at rest', async () => {
    const u = await userWithTotp('Jo');
    const row = await server.db.selectFrom('methods').select('totp_secret').where('id', '=', u.methodId).executeTakeFirstOrThrow();
    assert.ok(!row.totp_secret!.includes(u.secret));
    assert.match(row.totp_secret!, /^v1\./);
  });
});
