// Security keys end to end over HTTP, with a software authenticator that signs with real ES256
// keys: registration, the second step, exclusion of a registered key, sign-counter handling.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { SoftAuthenticator, type SoftCredential } from '../testing/soft-webauthn.js';

describe('security keys', () => {
  let server: TestServer;
  let adminToken: string;
  let origin: string;
  const slug = 'keys';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    origin = new URL(server.url).origin;
    const acc = await createAccount(server, slug);
    adminToken = (await signIn(server, slug, acc.user.email)).token;
  });
  after(() => server.close());

  async function register(token: string, authenticator: SoftAuthenticator, name = 'YubiKey') {
    const options = await server.call('POST', '/me/methods/security-keys/options', { token, body: {} });
    assert.equal(options.status, 200);
    const { credential, response } = authenticator.createCredential(options.body, origin);
    const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name, response } });
    return { res, credential, options: options.body };
  }

  async function assertWith(token: string, authenticator: SoftAuthenticator, credential: SoftCredential, counter?: number) {
    const options = await server.call('POST', '/sessions/current/security-key-options', { token, body: {} });
    assert.equal(options.status, 200);
    const response = authenticator.getAssertion(credential, options.body, origin, counter);
    return server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'security_key', response } });
  }

  test('register a key, then pass the second step with it', async () => {
    const u = await createUser(server, adminToken, slug, 'Kim');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator();
    const { res, credential, options } = await register(s.token, key);
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.authenticatorSelection.userVerification, 'discouraged');
    assert.equal(res.status, 201);
    assert.equal(res.body.method.type, 'security_key');
    assert.equal(res.body.method.name, 'YubiKey');
    assert.equal(res.body.recoveryCodes.length, 10);
    const next = await signIn(server, slug, u.email);
    assert.equal(next.session.state, 'two_factor_required');
    const options2 = await server.call('POST', '/sessions/current/security-key-options', { token: next.token, body: {} });
    assert.equal(options2.body.allowCredentials[0].id, credential.id.toString('base64url'));
    const response = key.getAssertion(credential, options2.body, origin);
    const ok = await server.call('POST', '/sessions/current/second-factor', { token: next.token, body: { method: 'security_key', response } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.session.state, 'active');
    // Passing the second step rotated the token: the session goes on under the new one.
    const me = await server.call('GET', '/me', { token: ok.body.token });
    assert.ok(me.body.methods[0].lastUsedAt);
  });

  test('responses as PublicKeyCredential.toJSON() gives them (null attachment, no transports) are accepted', async () => {
    const u = await createUser(server, adminToken, slug, 'Rae');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator();
    const options = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: {} });
    const { credential, response } = key.createCredential(options.body, origin);
    const { transports: _omitted, ...attestation } = response.response;
    const res = await server.call('POST', '/me/methods/security-keys', { token: s.token, body: { name: 'Key', response: { ...response, response: attestation, authenticatorAttachment: null } } });
    assert.equal(res.status, 201);
    const next = await signIn(server, slug, u.email);
    const options2 = await server.call('POST', '/sessions/current/security-key-options', { token: next.token, body: {} });
    const assertion = key.getAssertion(credential, options2.body, origin);
    const ok = await server.call('POST', '/sessions/current/second-factor', {
      token: next.token,
      body: { method: 'security_key', response: { ...assertion, authenticatorAttachment: null, response: { ...assertion.response, userHandle: null } } },
    });
    assert.equal(ok.status, 200);
  });

  test('a challenge is single-use: the same assertion twice is refused', async () => {
    const u = await createUser(server, adminToken, slug, 'Lee');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator();
    const { credential } = await register(s.token, key);
    const next = await signIn(server, slug, u.email);
    const options = await server.call('POST', '/sessions/current/security-key-options', { token: next.token, body: {} });
    const response = key.getAssertion(credential, options.body, origin);
    const first = await server.call('POST', '/sessions/current/second-factor', { token: next.token, body: { method: 'security_key', response } });
    assert.equal(first.status, 200);
    // Replayed on the session it just activated (re-authentication): the challenge is gone.
    const second = await server.call('POST', '/sessions/current/second-factor', { token: first.body.token, body: { method: 'security_key', response } });
    assert.equal(second.body.error.code, 'challenge_expired');
  });

  test('the same key cannot be registered twice, and the options exclude it', async () => {
    const u = await createUser(server, adminToken, slug, 'Max');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator();
    const { credential, res } = await register(s.token, key);
    assert.equal(res.status, 201);
    const options = await server.call('POST', '/me/methods/security-keys/options', { token: res.body.token, body: {} });
    assert.deepEqual(options.body.excludeCredentials.map((c: { id: string }) => c.id), [credential.id.toString('base64url')]);
  });

  test('an assertion for another origin or from an unregistered key is refused', async () => {
    const u = await createUser(server, adminToken, slug, 'Ned');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator();
    const { credential } = await register(s.token, key);
    const next = await signIn(server, slug, u.email);
    const options = await server.call('POST', '/sessions/current/security-key-options', { token: next.token, body: {} });
    const phished = key.getAssertion(credential, options.body, 'https://evil.example');
    const res = await server.call('POST', '/sessions/current/second-factor', { token: next.token, body: { method: 'security_key', response: phished } });
    assert.equal(res.body.error.code, 'security_key_rejected');
    const stranger = new SoftAuthenticator().createCredential({ challenge: 'x', rp: { id: 'localhost' } }, origin).credential;
    const res2 = await assertWith(next.token, new SoftAuthenticator(), stranger);
    assert.equal(res2.body.error.code, 'security_key_rejected');
    assert.match(res2.body.error.message, /not registered/);
  });

  test('keys that always report a zero sign counter keep working', async () => {
    const u = await createUser(server, adminToken, slug, 'Oli');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator(0);
    const { credential } = await register(s.token, key);
    for (let i = 0; i < 3; i++) {
      const next = await signIn(server, slug, u.email);
      assert.equal((await assertWith(next.token, key, credential)).status, 200);
    }
  });

  test('a sign counter that goes backwards flags the key as possibly cloned and is refused', async () => {
    const u = await createUser(server, adminToken, slug, 'Pam');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator();
    const { credential, res } = await register(s.token, key);
    let next = await signIn(server, slug, u.email);
    assert.equal((await assertWith(next.token, key, credential, 10)).status, 200);
    next = await signIn(server, slug, u.email);
    const cloned = await assertWith(next.token, key, credential, 5);
    assert.equal(cloned.body.error.code, 'security_key_rejected');
    // Issue 19: the agent got the library's own English; clients now read a stable reason.
    assert.equal(cloned.body.error.reason, 'counter_regression');
    assert.doesNotMatch(cloned.body.error.message, /counter value/i);
    const row = await server.db.selectFrom('methods').select('clone_warning_at').where('id', '=', res.body.method.id).executeTakeFirstOrThrow();
    assert.ok(row.clone_warning_at);
    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    assert.ok(audit.body.events.some((e: { action: string }) => e.action === 'security_key.counter_regression'));
  });

  test('user verification is required when the account policy says so', async () => {
    const admin = await signIn(server, slug, `admin@${slug}.test`);
    // The admin needs a method and a recent second factor to change the policy.
    const key = new SoftAuthenticator();
    const adminToken2 = (await register(admin.token, key, 'Admin key')).res.body.token as string;
    const put = await server.call('PUT', '/account/security-settings', { token: adminToken2, body: { requireTwoFactor: false, acknowledged: false, userVerification: 'required' } });
    assert.equal(put.status, 200);
    // (The admin's password-only session ended when their key was added from another one.)
    const u = await createUser(server, adminToken2, slug, 'Quin');
    const s = await signIn(server, slug, u.email);
    const options = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: {} });
    assert.equal(options.body.authenticatorSelection.userVerification, 'required');
    const { response } = new SoftAuthenticator(1, false).createCredential(options.body, origin);
    const refused = await server.call('POST', '/me/methods/security-keys', { token: s.token, body: { name: 'No PIN', response } });
    assert.equal(refused.body.error.code, 'security_key_rejected');
    const { res } = await register(s.token, new SoftAuthenticator(1, true), 'With PIN');
    assert.equal(res.status, 201);
    await server.call('PUT', '/account/security-settings', { token: adminToken2, body: { requireTwoFactor: false, acknowledged: false, userVerification: 'discouraged' } });
  });
});
