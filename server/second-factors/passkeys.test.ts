// Sign in with a security key alone, over HTTP against a real server, with a software
// authenticator that signs with real ES256 keys and keeps discoverable credentials: registration
// as a passkey, the account's switch, the one-step sign-in, and each way it must refuse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { SoftAuthenticator, type SoftCredential } from '../testing/soft-webauthn.js';

describe('sign in with a security key alone', () => {
  let server: TestServer;
  let origin: string;
  let adminToken: string;
  const slug = 'passkeys';
  const otherSlug = 'passkeys-other';

  /** Registers a key for `token`'s user; `passwordless` asks for a passkey. Returns the new token. */
  async function register(token: string, key: SoftAuthenticator, options: { passwordless?: boolean; discoverable?: boolean } = {}) {
    const body = options.passwordless === undefined ? {} : { passwordless: options.passwordless };
    const creation = await server.call('POST', '/me/methods/security-keys/options', { token, body });
    assert.equal(creation.status, 200, JSON.stringify(creation.body));
    const { credential, response } = key.createCredential(creation.body, origin, { discoverable: options.discoverable ?? options.passwordless ?? false });
    const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Passkey', response } });
    return { res, credential, creation: creation.body, token: (res.body?.token as string | undefined) ?? token };
  }

  async function options(account = slug) {
    return server.call('POST', '/sessions/passkey-options', { body: { account } });
  }

  async function signInWithKey(key: SoftAuthenticator, credential: SoftCredential, extra: { account?: string; withId?: boolean; deviceToken?: string } = {}) {
    const opts = await options(extra.account ?? slug);
    assert.equal(opts.status, 200, JSON.stringify(opts.body));
    const response = key.getAssertion(credential, opts.body, origin);
    return server.call('POST', '/sessions/passkey', {
      body: {
        account: extra.account ?? slug,
        ...(extra.withId === false ? {} : { challengeId: opts.body.challengeId }),
        response,
        ...(extra.deviceToken ? { deviceToken: extra.deviceToken } : {}),
      },
    });
  }

  /** A user with a passkey on a key with user verification. */
  async function userWithPasskey(name: string) {
    const u = await createUser(server, adminToken, slug, name);
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator(1, true);
    const { res, credential } = await register(s.token, key, { passwordless: true });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { user: u, key, credential };
  }

  async function setPasswordless(on: boolean) {
    const res = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: on } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }

  before(async () => {
    server = await startTestServer({ openSignup: true });
    origin = new URL(server.url).origin;
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    // The admin's own key: a recent second factor for the settings below.
    adminToken = (await register(first.token, new SoftAuthenticator(1, true))).token;
    await createAccount(server, otherSlug);
  });
  after(() => server.close());

  test('passwordless sign-in is off by default: both calls answer passwordless_disabled, as for an unknown account', async () => {
    const settings = await server.call('GET', '/account/security-settings', { token: adminToken });
    assert.equal(settings.body.passwordlessSignIn, false);
    const off = await options(slug);
    assert.equal(off.status, 403);
    assert.equal(off.body.error.code, 'passwordless_disabled');
    const unknown = await options('no-such-account');
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body.error.code, 'passwordless_disabled');
    assert.equal(unknown.body.error.message, off.body.error.message);
  });

  test('registering as a passkey asks for a discoverable credential and user verification', async () => {
    const u = await createUser(server, adminToken, slug, 'Reg');
    const s = await signIn(server, slug, u.email);
    const creation = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: { passwordless: true } });
    assert.equal(creation.body.authenticatorSelection.residentKey, 'required');
    assert.equal(creation.body.authenticatorSelection.requireResidentKey, true);
    assert.equal(creation.body.authenticatorSelection.userVerification, 'required');
    const plain = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: {} });
    assert.equal(plain.body.authenticatorSelection.residentKey, 'discouraged');
  });

  test('a key registered as a passkey signs its user in in one step: active, both factors, audited', async () => {
    await setPasswordless(true);
    const { user, key, credential } = await userWithPasskey('Pia');
    const opts = await options();
    assert.equal(opts.status, 200);
    assert.deepEqual(opts.body.allowCredentials, []);
    assert.equal(opts.body.userVerification, 'required');
    assert.equal(opts.body.rpId, 'localhost');
    assert.match(opts.body.challengeId, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(opts.body.challenge, 'base64url').length, 32);
    const response = key.getAssertion(credential, opts.body, origin);
    const res = await server.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.session.state, 'active');
    assert.ok(res.body.session.secondFactorAt, 'counts as the second factor too');
    assert.equal(res.body.user.email, user.email);
    assert.equal(res.body.account.slug, slug);
    assert.ok(res.body.deviceToken);
    assert.match(res.headers.get('set-cookie') ?? '', /agentdesk_session=/);
    const me = await server.call('GET', '/me', { token: res.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, user.id);
    // A sensitive change right away: the passkey was a second factor just now.
    const regen = await server.call('POST', '/me/recovery-codes', { token: res.body.token, body: {} });
    assert.equal(regen.status, 200);
    const audit = await server.call('GET', '/account/audit-events?limit=50', { token: adminToken });
    const entry = audit.body.events.find((e: any) => e.action === 'sign_in.succeeded' && e.details.method === 'passkey');
    assert.ok(entry, 'sign-in by passkey is in the audit log');
  });

  test('without a challengeId the challenge is found by the value the key signed', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Noah');
    const res = await signInWithKey(key, credential, { withId: false });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  test('turning passwordless sign-in off refuses keys registered while it was on', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Otto');
    const opts = await options();
    await setPasswordless(false);
    const response = key.getAssertion(credential, opts.body, origin);
    const res = await server.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'passwordless_disabled');
    await setPasswordless(true);
  });

  test('replay: a challenge is single use, and two requests at once with one response make one session', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Ray');
    const opts = await options();
    const response = key.getAssertion(credential, opts.body, origin);
    const body = { account: slug, challengeId: opts.body.challengeId, response };
    const [a, b] = await Promise.all([server.call('POST', '/sessions/passkey', { body }), server.call('POST', '/sessions/passkey', { body })]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [201, 400]);
    const loser = a.status === 400 ? a : b;
    assert.equal(loser.body.error.code, 'challenge_expired');
    const again = await server.call('POST', '/sessions/passkey', { body });
    assert.equal(again.body.error.code, 'challenge_expired');
  });

  test('a challenge started for another account is not accepted for this one', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Cross');
    // The other account allows passkeys too: its challenge must still not sign anyone in here.
    const otherAdmin = await signIn(server, otherSlug, `admin@${otherSlug}.test`);
    const otherToken = (await register(otherAdmin.token, new SoftAuthenticator(1, true))).token;
    const set = await server.call('PUT', '/account/security-settings', { token: otherToken, body: { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: true } });
    assert.equal(set.status, 200);
    const foreign = await options(otherSlug);
    const response = key.getAssertion(credential, foreign.body, origin);
    const res = await server.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: foreign.body.challengeId, response } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'challenge_expired');
    // And this account's key is not a passkey of the other account.
    const there = await signInWithKey(key, credential, { account: otherSlug });
    assert.equal(there.status, 400);
    assert.equal(there.body.error.code, 'security_key_rejected');
  });

  test('a deactivated user cannot sign in with their key; reactivated, they can', async () => {
    await setPasswordless(true);
    const { user, key, credential } = await userWithPasskey('Dee');
    const off = await server.call('PATCH', `/account/users/${user.id}`, { token: adminToken, body: { status: 'deactivated' } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const refused = await signInWithKey(key, credential);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'security_key_rejected');
    const on = await server.call('PATCH', `/account/users/${user.id}`, { token: adminToken, body: { status: 'active' } });
    assert.equal(on.status, 200);
    const back = await signInWithKey(key, credential);
    assert.equal(back.status, 201);
  });

  test('a key registered as a second factor only cannot sign in alone', async () => {
    await setPasswordless(true);
    const u = await createUser(server, adminToken, slug, 'Second');
    const s = await signIn(server, slug, u.email);
    const key = new SoftAuthenticator(1, true);
    // Even if the key kept the credential, it was not registered for sign-in without a password.
    const { res, credential } = await register(s.token, key, { discoverable: true });
    assert.equal(res.status, 201);
    const attempt = await signInWithKey(key, credential);
    assert.equal(attempt.status, 400);
    assert.equal(attempt.body.error.code, 'security_key_rejected');
  });

  test('stolen key without its PIN: an assertion without user verification is refused', async () => {
    await setPasswordless(true);
    const { credential } = await userWithPasskey('Uv');
    const noPin = new SoftAuthenticator(1, false);
    const res = await signInWithKey(noPin, credential);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'security_key_rejected');
  });

  test("impersonation: a credential that names another user's handle, or none, is refused", async () => {
    await setPasswordless(true);
    const victim = await userWithPasskey('Victim');
    const mallory = await userWithPasskey('Mallory');
    const forged = { ...mallory.credential, userHandle: victim.credential.userHandle };
    const res = await signInWithKey(mallory.key, forged);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'security_key_rejected');
    const anonymous = { ...mallory.credential, userHandle: undefined };
    const none = await signInWithKey(mallory.key, anonymous);
    assert.equal(none.body.error.code, 'security_key_rejected');
  });

  test('registration as a passkey refuses a key that did not keep the credential or did not verify the user', async () => {
    const u = await createUser(server, adminToken, slug, 'Weak');
    const s = await signIn(server, slug, u.email);
    const notResident = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: { passwordless: true } });
    const { response } = new SoftAuthenticator(1, true).createCredential(notResident.body, origin, { discoverable: false });
    const res = await server.call('POST', '/me/methods/security-keys', { token: s.token, body: { name: 'K', response } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'security_key_rejected');
    const noUv = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: { passwordless: true } });
    const second = new SoftAuthenticator(1, false).createCredential(noUv.body, origin, { discoverable: true });
    const res2 = await server.call('POST', '/me/methods/security-keys', { token: s.token, body: { name: 'K', response: second.response } });
    assert.equal(res2.status, 400);
    assert.equal(res2.body.error.code, 'security_key_rejected');
    const me = await server.call('GET', '/me', { token: s.token });
    assert.equal(me.body.methods.length, 0);
  });

  test('guessing: parallel forged assertions for one user cannot pass the limit, and the owner on their own device still gets in', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Target');
    // The owner signs in once with the key: this browser becomes a known device for them.
    const owner = await signInWithKey(key, credential);
    assert.equal(owner.status, 201);
    const ownerDevice = owner.body.deviceToken as string;
    // The attacker has the credential id (not a secret) but not the private key.
    const forger = new SoftAuthenticator(1, true);
    const fake = { ...forger.createCredential({ challenge: 'x', rp: { id: 'localhost' }, user: { id: credential.userHandle! } }, origin, { discoverable: true }).credential, id: credential.id, counter: 1000 };
    const attempts = await Promise.all(Array.from({ length: 12 }, () => signInWithKey(forger, fake)));
    const rejected = attempts.filter((r) => r.status === 400 && r.body.error.code === 'security_key_rejected').length;
    const limited = attempts.filter((r) => r.status === 429 && r.body.error.code === 'too_many_attempts').length;
    assert.equal(rejected + limited, 12, JSON.stringify(attempts.map((a) => a.body)));
    assert.ok(rejected <= 10, `at most the key's limit from this address was checked (${rejected})`);
    assert.ok(limited >= 2);
    // From an unknown device at the forger's own address the owner waits too (from any other
    // address the key is not limited: sessions/lockouts.test.ts); from their own device they do not.
    const sameAddress = await signInWithKey(key, credential);
    assert.equal(sameAddress.status, 429);
    const home = await signInWithKey(key, credential, { deviceToken: ownerDevice });
    assert.equal(home.status, 201, JSON.stringify(home.body));
  });

  test('a passkey whose sign counter went backwards is refused with reason counter_regression', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Copy');
    credential.counter = 50;
    assert.equal((await signInWithKey(key, credential)).status, 201);
    credential.counter = 10; // the copy lags behind the original
    const copy = await signInWithKey(key, credential);
    assert.equal(copy.status, 400);
    assert.equal(copy.body.error.code, 'security_key_rejected');
    assert.equal(copy.body.error.reason, 'counter_regression');
    assert.doesNotMatch(copy.body.error.message, /counter value/i);
  });

  test('bad input gets a 4xx with a stable code and changes nothing', async () => {
    await setPasswordless(true);
    const { key, credential } = await userWithPasskey('Bad');
    const opts = await options();
    const response = key.getAssertion(credential, opts.body, origin);
    const before = await tableCounts(server);
    const cases: [unknown, number, string][] = [
      [{}, 400, 'invalid_request'],
      [{ account: slug }, 400, 'invalid_request'],
      [{ account: slug, response, extra: 1 }, 400, 'invalid_request'],
      [{ account: slug, challengeId: 'not an id!', response }, 400, 'invalid_request'],
      [{ account: slug, challengeId: 'x'.repeat(65), response }, 400, 'invalid_request'],
      [{ account: slug, response: { ...response, type: 'password' } }, 400, 'invalid_request'],
      [{ account: slug, response: { ...response, response: { ...response.response, signature: '***' } } }, 400, 'invalid_request'],
      [{ account: slug, challengeId: 'unknownchallenge', response }, 400, 'challenge_expired'],
      [{ account: 'x'.repeat(65), response }, 400, 'invalid_request'],
      [{ account: slug, response: { ...response, response: { ...response.response, clientDataJSON: Buffer.from('not json').toString('base64url') } } }, 400, 'challenge_expired'],
    ];
    for (const [body, status, code] of cases) {
      const res = await server.call('POST', '/sessions/passkey', { body });
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 120)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code);
    }
    for (const body of [{}, { account: 5 }, { account: slug, extra: true }]) {
      const res = await server.call('POST', '/sessions/passkey-options', { body });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_request');
    }
    const badOptions = await server.call('POST', '/me/methods/security-keys/options', { token: adminToken, body: { passwordless: 'yes' } });
    assert.equal(badOptions.status, 400);
    assert.deepEqual(await tableCounts(server), before);
    // The challenge of the options above is still there: nothing consumed it.
    const ok = await server.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response } });
    assert.equal(ok.status, 201);
  });

  test('bad input on the new settings fields', async () => {
    for (const body of [
      { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: 'yes' },
      { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: 1 },
      { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: null },
    ]) {
      const res = await server.call('PUT', '/account/security-settings', { token: adminToken, body });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_request');
    }
  });
});
