// Sign-in, sessions and the security rules around them: no user enumeration, password
// throttling, cookie sessions with CSRF checks, sign-out, expiry, first run, account isolation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../crypto/tokens.js';
import { createAccount, createUser, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';

describe('sessions', () => {
  let server: TestServer;
  let adminToken: string;
  let adminId: string;
  const slug = 'desk';

  before(async () => {
    server = await startTestServer();
    const acc = await createAccount(server, slug); // first run: signup is open while no account exists
    adminId = acc.user.id;
    adminToken = (await signIn(server, slug, acc.user.email)).token;
  });
  after(() => server.close());

  test('first run: POST /accounts works once, then signup is closed', async () => {
    assert.deepEqual((await server.call('GET', '/signup')).body, { open: false, firstRun: false });
    const res = await server.call('POST', '/accounts', { body: { name: 'Other', slug: 'other', admin: { name: 'O', email: 'o@o.test', password: PASSWORD } } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'signup_closed');
  });

  test('a wrong account, email or password gets the same answer', async () => {
    const answers = await Promise.all([
      server.call('POST', '/sessions', { body: { account: 'nope', email: `admin@${slug}.test`, password: PASSWORD } }),
      server.call('POST', '/sessions', { body: { account: slug, email: 'nobody@desk.test', password: PASSWORD } }),
      server.call('POST', '/sessions', { body: { account: slug, email: `admin@${slug}.test`, password: 'wrong password!' } }),
    ]);
    for (const a of answers) {
      assert.equal(a.status, 401);
      assert.deepEqual(a.body, answers[0]!.body);
    }
    assert.equal(answers[0]!.body.error.code, 'invalid_credentials');
  });

  test('answers are never cached: they carry tokens, secrets and recovery codes', async () => {
    const res = await server.call('POST', '/sessions', { body: { account: slug, email: `admin@${slug}.test`, password: PASSWORD } });
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const err = await server.call('GET', '/me');
    assert.equal(err.headers.get('cache-control'), 'no-store');
  });

  test('tokens are 256-bit and stored only as a hash', async () => {
    const s = await signIn(server, slug, `admin@${slug}.test`);
    assert.ok(Buffer.from(s.token, 'base64url').length >= 32);
    const rows = await server.db.selectFrom('sessions').select(['token_hash']).execute();
    assert.ok(rows.every((r) => r.token_hash !== s.token));
    assert.ok(rows.some((r) => r.token_hash === hashToken(s.token)));
  });

  test('password guesses are locked out per email after 10, in parallel too, and the lock expires', async () => {
    const u = await createUser(server, adminToken, slug, 'Vic');
    const results = await Promise.all(
      Array.from({ length: 16 }, () => server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: 'not the password' } })),
    );
    assert.equal(results.filter((r) => r.status === 401).length, 10);
    assert.equal(results.filter((r) => r.status === 429).length, 6);
    const right = await server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: PASSWORD } });
    assert.equal(right.status, 429);
    // An unknown email locks the same way, so the lock tells nothing about who exists.
    const ghost = await Promise.all(
      Array.from({ length: 11 }, () => server.call('POST', '/sessions', { body: { account: slug, email: 'ghost@desk.test', password: 'x' } })),
    );
    assert.equal(ghost.filter((r) => r.status === 429).length, 1);
    // The lock runs out (moved into the past here): one attempt is let through, and the right password passes.
    await server.db.updateTable('throttles').set({ locked_until: Date.now() - 1 }).where('key', 'like', `pw:%${slug}:${u.email}%`).execute();
    assert.equal((await server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: PASSWORD } })).status, 201);
  });

  test('the web session is an httpOnly SameSite=Strict cookie, and state changes need our Origin', async () => {
    const res = await fetch(`${server.base}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: new URL(server.url).origin },
      body: JSON.stringify({ account: slug, email: `admin@${slug}.test`, password: PASSWORD }),
    });
    assert.equal(res.status, 201);
    const setCookie = res.headers.get('set-cookie')!;
    assert.match(setCookie, /^agentdesk_session=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    const me = await server.call('GET', '/me', { headers: { cookie } });
    assert.equal(me.status, 200);
    const body = { name: 'Csrf', email: 'csrf@desk.test', role: 'agent' };
    const noOrigin = await server.call('POST', '/account/users', { headers: { cookie }, body });
    assert.equal(noOrigin.status, 403);
    assert.equal(noOrigin.body.error.code, 'invalid_origin');
    const evil = await server.call('POST', '/account/users', { headers: { cookie, origin: 'https://evil.example' }, body });
    assert.equal(evil.body.error.code, 'invalid_origin');
    const users = await server.call('GET', '/account/users', { token: adminToken });
    assert.ok(!users.body.users.some((u: { email: string }) => u.email === 'csrf@desk.test'));
    const ok = await server.call('POST', '/account/users', { headers: { cookie, origin: new URL(server.url).origin }, body });
    assert.equal(ok.status, 201);
    const signInFromEvil = await server.call('POST', '/sessions', { headers: { origin: 'https://evil.example' }, body: { account: slug, email: `admin@${slug}.test`, password: PASSWORD } });
    assert.equal(signInFromEvil.body.error.code, 'invalid_origin');
  });

  test('sign-out revokes the session and its event stream is told', async () => {
    const s = await signIn(server, slug, `admin@${slug}.test`);
    const out = await server.call('DELETE', '/sessions/current', { token: s.token });
    assert.equal(out.status, 204);
    const me = await server.call('GET', '/me', { token: s.token });
    assert.equal(me.status, 401);
    assert.equal(me.body.error.reason, 'signed_out');
  });

  test('sessions expire: idle and absolute, and a pending second step is short-lived', async () => {
    const s = await signIn(server, slug, `admin@${slug}.test`);
    await server.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', hashToken(s.token)).execute();
    const res = await server.call('GET', '/me', { token: s.token });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.reason, 'expired');
    const u = await createUser(server, adminToken, slug, 'Wes');
    const first = await signIn(server, slug, u.email);
    await enrolTotp(server, first.token);
    const pending = await server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: PASSWORD } });
    const expires = Date.parse(pending.body.session.expiresAt);
    assert.ok(expires - Date.now() <= 10 * 60_000 + 1000, 'two_factor_required lasts 10 minutes at most');
  });

  test('nothing crosses accounts: an admin cannot see or reset users of another account', async () => {
    // A second account, made with the CLI path (open signup is off over HTTP here).
    const { createAccount: create } = await import('../people/accounts.js');
    const { PasswordPolicy } = await import('../people/passwords.js');
    const other = await create(server.db, new PasswordPolicy(), { name: 'Rival', slug: 'rival', admin: { name: 'R', email: 'r@rival.test', password: PASSWORD }, openSignup: true });
    const rivalToken = (await signIn(server, 'rival', 'r@rival.test')).token;
    const list = await server.call('GET', '/account/users', { token: rivalToken });
    assert.deepEqual(list.body.users.map((u: { email: string }) => u.email), ['r@rival.test']);
    const rivalFirst = await signIn(server, 'rival', 'r@rival.test');
    const rival = await enrolTotp(server, rivalFirst.token);
    const reset = await server.call('DELETE', `/account/users/${adminId}/two-factor`, { token: rival.token });
    assert.equal(reset.status, 404);
    // (rivalToken, a password-only session, ended when the rival admin added a method.)
    const audit = await server.call('GET', '/account/audit-events', { token: rival.token });
    assert.ok(audit.body.events.every((e: { actor: { email: string } | null }) => !e.actor || e.actor.email.endsWith('rival.test')));
    // The same email in two accounts is two different users.
    assert.equal((await signIn(server, 'rival', 'r@rival.test')).session.state, 'two_factor_required');
    assert.equal((await server.call('POST', '/sessions', { body: { account: slug, email: 'r@rival.test', password: PASSWORD } })).status, 401);
    void other;
  });

  test('the API is published as OpenAPI', async () => {
    const res = await server.call('GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    for (const path of ['/sessions', '/sessions/current/second-factor', '/me/methods/totp/{id}/confirm', '/account/security-settings', '/account/security-settings/impact', '/account/audit-events', '/events']) {
      assert.ok(res.body.paths[path], path);
    }
  });
});

test('GET /signup says when the first account can be made', async () => {
  const server = await startTestServer();
  try {
    assert.deepEqual((await server.call('GET', '/signup')).body, { open: true, firstRun: true });
    await createAccount(server, 'first');
    assert.deepEqual((await server.call('GET', '/signup')).body, { open: false, firstRun: false });
  } finally {
    await server.close();
  }
});
