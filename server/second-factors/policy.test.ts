// "Security keys only" (the phishing-resistant second-factor policy), over HTTP against a real
// server: authenticator apps stop passing the second step, users with only an app count as
// without a method (impact, enforcement, sign-in), and turning the policy on while 2FA is
// required is an enforcement save with its warning, acknowledgement and pushed sign-out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, signIn, signInWithTotp, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { totpCode } from '../testing/totp-reference.js';
import { SoftAuthenticator } from '../testing/soft-webauthn.js';
import { hashToken } from '../crypto/tokens.js';

describe('second-factor policy: security keys only', () => {
  let server: TestServer;
  let origin: string;
  let n = 0;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    origin = new URL(server.url).origin;
  });
  after(() => server.close());

  /** Adds a security key for `token`'s user; answers the new token. */
  async function addKey(token: string, key = new SoftAuthenticator()) {
    const options = await server.call('POST', '/me/methods/security-keys/options', { token, body: {} });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const { credential, response } = key.createCredential(options.body, origin);
    const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Key', response } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { token: res.body.token as string, credential, key, methodId: res.body.method.id as string };
  }

  /** A fresh account whose admin has a key (and a recent second factor), with an app-only agent and a key agent. */
  async function account() {
    const slug = `policy-${++n}`;
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    const admin = await addKey(first.token);
    const app = await createUser(server, admin.token, slug, 'Appy');
    const appTotp = await enrolTotp(server, (await signIn(server, slug, app.email)).token);
    const keyed = await createUser(server, admin.token, slug, 'Keya');
    const keyedKey = await addKey((await signIn(server, slug, keyed.email)).token);
    const none = await createUser(server, admin.token, slug, 'Nona');
    return { slug, adminToken: admin.token, adminEmail: acc.user.email, app, appTotp, keyed, keyedKey, none };
  }

  async function save(token: string, body: Record<string, unknown>) {
    return server.call('PUT', '/account/security-settings', { token, body: { requireTwoFactor: false, acknowledged: false, ...body } });
  }

  test('the policy is "any" by default and reads back after a save', async () => {
    const a = await account();
    const before = await server.call('GET', '/account/security-settings', { token: a.adminToken });
    assert.equal(before.body.secondFactorPolicy, 'any');
    const saved = await save(a.adminToken, { secondFactorPolicy: 'security_keys' });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const after = await server.call('GET', '/account/security-settings', { token: a.adminToken });
    assert.equal(after.body.secondFactorPolicy, 'security_keys');
    const policy = await server.call('GET', '/me/security-policy', { token: a.adminToken });
    assert.deepEqual(policy.body, { secondFactorPolicy: 'security_keys', passwordlessSignIn: false, allowedMethods: ['security_key'] });
    const audit = await server.call('GET', '/account/audit-events?limit=5', { token: a.adminToken });
    const entry = audit.body.events.find((e: any) => e.action === 'security_settings.updated');
    assert.deepEqual(entry.details.secondFactorPolicy, { from: 'any', to: 'security_keys' });
  });

  test('phishing: under "security keys only" an app code no longer passes the second step of a user with a key (403 method_not_allowed, nothing counted); the key still does', async () => {
    const a = await account();
    // A user with an app and a key, set up before the policy.
    const both = await createUser(server, a.adminToken, a.slug, 'Bo');
    const bothTotp = await enrolTotp(server, (await signIn(server, a.slug, both.email)).token);
    const bothKey = await addKey(bothTotp.token);
    assert.equal((await save(a.adminToken, { secondFactorPolicy: 'security_keys' })).status, 200);
    const pending = await signIn(server, a.slug, both.email);
    assert.equal(pending.session.state, 'two_factor_required');
    const before = await tableCounts(server);
    const refused = await server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'totp', code: totpCode(bothTotp.secret, Date.now() + 30_000) } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'method_not_allowed');
    assert.deepEqual(await tableCounts(server), before);
    const again = await signIn(server, a.slug, both.email);
    const options = await server.call('POST', '/sessions/current/security-key-options', { token: again.token, body: {} });
    const response = bothKey.key.getAssertion(bothKey.credential, options.body, origin);
    const withKey = await server.call('POST', '/sessions/current/second-factor', { token: again.token, body: { method: 'security_key', response } });
    assert.equal(withKey.status, 200);
    // And no new authenticator app can be added.
    const add = await server.call('POST', '/me/methods/totp', { token: withKey.body.token, body: {} });
    assert.equal(add.status, 403);
    assert.equal(add.body.error.code, 'method_not_allowed');
  });

  test('phishing: under "security keys only" a recovery code passes neither the second step nor re-authentication, unless the admin allows them', async () => {
    // ASVS 6.3.3 (a phishing-resistant factor where the account asks for one). Attack: a look-alike page collects a typed
    // recovery code and replays it, so "security keys only" was only as phishing-resistant as the codes.
    const a = await account();
    const both = await createUser(server, a.adminToken, a.slug, 'Remo');
    const bothTotp = await enrolTotp(server, (await signIn(server, a.slug, both.email)).token);
    const bothKey = await addKey(bothTotp.token);
    const settings = await server.call('GET', '/account/security-settings', { token: a.adminToken });
    assert.equal(settings.body.allowRecoveryCodesUnderKeysOnly, false, 'off by default');
    assert.equal((await save(a.adminToken, { secondFactorPolicy: 'security_keys' })).status, 200);
    const unused = async () =>
      Number((await server.db.selectFrom('recovery_codes').select(({ fn }) => fn.countAll<number>().as('n')).where('user_id', '=', both.id).where('used_at', 'is', null).executeTakeFirstOrThrow()).n);
    const throttles = async () => server.db.selectFrom('throttles').selectAll().where('key', 'like', `%${both.id}%`).execute();

    // The second step: refused before the code is looked at; nothing spent, nothing counted.
    const pending = await signIn(server, a.slug, both.email);
    const throttledBefore = await throttles();
    const refused = await server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'recovery_code', code: bothTotp.recoveryCodes[0] } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'method_not_allowed');
    assert.match(refused.body.error.message, /recovery codes are turned off/);
    assert.equal(await unused(), 10);
    assert.deepEqual(await throttles(), throttledBefore);
    assert.equal((await server.db.selectFrom('sessions').select('state').where('token_hash', '=', hashToken(pending.token)).executeTakeFirstOrThrow()).state, 'two_factor_required');

    // Re-authentication of an active session (its second factor 11 minutes old): refused the same way.
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('token_hash', '=', hashToken(bothKey.token)).execute();
    const reauth = await server.call('POST', '/sessions/current/second-factor', { token: bothKey.token, body: { method: 'recovery_code', code: bothTotp.recoveryCodes[1] } });
    assert.equal(reauth.status, 403);
    assert.equal(reauth.body.error.code, 'method_not_allowed');
    assert.equal(await unused(), 10);

    // The admin allows them explicitly (a sensitive save, audited): a recovery code passes again.
    const allowed = await save(a.adminToken, { secondFactorPolicy: 'security_keys', allowRecoveryCodesUnderKeysOnly: true });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.equal((await server.call('GET', '/account/security-settings', { token: a.adminToken })).body.allowRecoveryCodesUnderKeysOnly, true);
    const audit = await server.call('GET', '/account/audit-events?limit=5', { token: a.adminToken });
    assert.deepEqual(audit.body.events.find((e: any) => e.action === 'security_settings.updated').details.allowRecoveryCodesUnderKeysOnly, { from: false, to: true });
    const passed = await server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'recovery_code', code: bothTotp.recoveryCodes[0] } });
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    assert.equal(await unused(), 9);
  });

  test('a user with only an app proves it only to add a key: the code leaves the session at enrolment, the key makes it active', async () => {
    const a = await account();
    assert.equal((await save(a.adminToken, { secondFactorPolicy: 'security_keys' })).status, 200);
    const s = await signIn(server, a.slug, a.app.email);
    assert.equal(s.session.state, 'two_factor_required');
    const code = await server.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: totpCode(a.appTotp.secret, Date.now() + 30_000) } });
    assert.equal(code.status, 200, JSON.stringify(code.body));
    assert.equal(code.body.session.state, 'enrollment_required');
    const held = code.body.token as string;
    // Enrolment only: nothing else of the account is reachable yet.
    const sessions = await server.call('GET', '/me/sessions', { token: held });
    assert.equal(sessions.status, 403);
    assert.equal(sessions.body.error.code, 'enrollment_required');
    const added = await addKey(held);
    const me = await server.call('GET', '/me', { token: added.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.session.state, 'active');
  });

  test("account takeover: a password alone cannot add a key beside the owner's app", async () => {
    const a = await account();
    assert.equal((await save(a.adminToken, { secondFactorPolicy: 'security_keys' })).status, 200);
    const s = await signIn(server, a.slug, a.app.email);
    const options = await server.call('POST', '/me/methods/security-keys/options', { token: s.token, body: {} });
    assert.equal(options.status, 403);
    assert.equal(options.body.error.code, 'second_factor_required');
  });

  test('the impact preview counts users with only an app as without a method, under the proposed policy', async () => {
    const a = await account();
    const any = await server.call('GET', '/account/security-settings/impact', { token: a.adminToken });
    assert.equal(any.body.usersWithoutTwoFactor, 1);
    assert.deepEqual(any.body.users.map((u: any) => u.name), ['Nona']);
    const keys = await server.call('GET', '/account/security-settings/impact?secondFactorPolicy=security_keys', { token: a.adminToken });
    assert.equal(keys.status, 200);
    assert.equal(keys.body.usersWithoutTwoFactor, 2);
    assert.equal(keys.body.usersWithOnlyAuthenticatorApp, 1);
    assert.deepEqual(
      keys.body.users.map((u: any) => [u.name, u.onlyAuthenticatorApp]),
      [['Appy', true], ['Nona', false]],
    );
    const bad = await server.call('GET', '/account/security-settings/impact?secondFactorPolicy=sms', { token: a.adminToken });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
  });

  test('turning "security keys only" on while 2FA is required is an enforcement save: acknowledgement, then app-only users are signed out at once', async () => {
    const a = await account();
    assert.equal((await save(a.adminToken, { requireTwoFactor: true, acknowledged: true })).status, 200);
    const appToken = await signInWithTotp(server, a.slug, a.app.email, a.appTotp.secret);
    const keyedToken = (await signIn(server, a.slug, a.keyed.email)).token;
    const stream = openEvents(server.base, appToken);
    await stream.ready;
    const before = await tableCounts(server);
    const unacknowledged = await save(a.adminToken, { requireTwoFactor: true, secondFactorPolicy: 'security_keys' });
    assert.equal(unacknowledged.status, 400);
    assert.equal(unacknowledged.body.error.code, 'acknowledgement_required');
    assert.deepEqual(await tableCounts(server), before);
    const saved = await save(a.adminToken, { requireTwoFactor: true, acknowledged: true, secondFactorPolicy: 'security_keys' });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const revoked = await server.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select(['users.name', 'sessions.state', 'sessions.revoked_reason']).where('users.account_id', '=', (await server.db.selectFrom('users').select('account_id').where('id', '=', a.app.id).executeTakeFirstOrThrow()).account_id).where('sessions.revoked_at', 'is not', null).execute();
    assert.equal(saved.body.signedOutUsers, 1, JSON.stringify(revoked));
    // They already use two-factor authentication: what changed is that it must be a key, and the
    // reason says so (pushed, and on the ended session's 401).
    const event = await stream.next('session.revoked');
    assert.equal(event.data.reason, 'security_key_required');
    stream.close();
    const me = await server.call('GET', '/me', { token: appToken });
    assert.equal(me.status, 401);
    assert.equal(me.body.error.reason, 'security_key_required');
    // The key user's pending session and the admin's session live on.
    assert.equal((await server.call('GET', '/sessions/current', { token: keyedToken })).status, 200);
    assert.equal((await server.call('GET', '/me', { token: a.adminToken })).status, 200);
    // Saving again (already on) needs no acknowledgement and signs nobody out.
    const resave = await save(a.adminToken, { requireTwoFactor: true, secondFactorPolicy: 'security_keys' });
    assert.equal(resave.status, 200);
    assert.equal(resave.body.signedOutUsers, 0);
    const next = await signIn(server, a.slug, a.app.email);
    assert.equal(next.session.state, 'two_factor_required');
  });

  test('turning 2FA on under "security keys only" signs out users with no key', async () => {
    const a = await account();
    assert.equal((await save(a.adminToken, { secondFactorPolicy: 'security_keys' })).status, 200);
    // The app-only user is at enrolment (must add a key); the user with none is signed in.
    const noneToken = (await signIn(server, a.slug, a.none.email)).token;
    const saved = await save(a.adminToken, { requireTwoFactor: true, acknowledged: true });
    assert.equal(saved.status, 200);
    assert.ok(saved.body.signedOutUsers >= 1);
    const gone = await server.call('GET', '/me', { token: noneToken });
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.reason, 'security_key_required');
  });

  test('an admin without a security key cannot accept security keys only', async () => {
    const slug = `policy-${++n}`;
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    const totp = await enrolTotp(server, first.token);
    const before = await tableCounts(server);
    const res = await save(totp.token, { secondFactorPolicy: 'security_keys' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'admin_method_required');
    assert.deepEqual(await tableCounts(server), before);
  });

  test('while required under "security keys only", the last key cannot be removed even with an app left', async () => {
    const a = await account();
    const both = await createUser(server, a.adminToken, a.slug, 'Lastkey');
    const totp = await enrolTotp(server, (await signIn(server, a.slug, both.email)).token);
    const key = await addKey(totp.token);
    assert.equal((await save(a.adminToken, { requireTwoFactor: true, acknowledged: true, secondFactorPolicy: 'security_keys' })).status, 200);
    const res = await server.call('DELETE', `/me/methods/${key.methodId}`, { token: key.token });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'last_method_required');
    const me = await server.call('GET', '/me', { token: key.token });
    assert.equal(me.body.methods.length, 2);
    // The app can go: the key stays.
    const app = me.body.methods.find((m: any) => m.type === 'totp');
    assert.equal((await server.call('DELETE', `/me/methods/${app.id}`, { token: key.token })).status, 200);
  });

  test('the users row\'s method flags follow the methods: adding, removing, or an admin reset', async () => {
    const a = await account();
    const flags = async (id: string) => {
      const row = await server.db.selectFrom('users').select(['has_two_factor', 'has_totp', 'has_security_key']).where('id', '=', id).executeTakeFirstOrThrow();
      return [row.has_two_factor, row.has_totp, row.has_security_key];
    };
    assert.deepEqual(await flags(a.keyed.id), [1, 0, 1]);
    assert.deepEqual(await flags(a.app.id), [1, 1, 0]);
    const reset = await server.call('DELETE', `/account/users/${a.keyed.id}/two-factor`, { token: a.adminToken });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(await flags(a.keyed.id), [0, 0, 0]);
    const u = await createUser(server, a.adminToken, a.slug, 'Remo');
    const totp = await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    assert.deepEqual(await flags(u.id), [1, 1, 0]);
    const key = await addKey(totp.token);
    assert.deepEqual(await flags(u.id), [1, 1, 1]);
    const methods = (await server.call('GET', '/me', { token: key.token })).body.methods as { id: string; type: string }[];
    const app = methods.find((m) => m.type === 'totp')!;
    assert.equal((await server.call('DELETE', `/me/methods/${app.id}`, { token: key.token })).status, 200);
    assert.deepEqual(await flags(u.id), [1, 0, 1]);
    assert.equal((await server.call('DELETE', `/me/methods/${key.methodId}`, { token: key.token })).status, 200);
    assert.deepEqual(await flags(u.id), [0, 0, 0]);
  });

  test('bad input on secondFactorPolicy gets invalid_request and changes nothing', async () => {
    const a = await account();
    const before = await tableCounts(server);
    for (const value of ['keys', '', null, 1, ['security_keys'], 'SECURITY_KEYS']) {
      const res = await save(a.adminToken, { secondFactorPolicy: value });
      assert.equal(res.status, 400, JSON.stringify(value));
      assert.equal(res.body.error.code, 'invalid_request');
    }
    assert.deepEqual(await tableCounts(server), before);
    const after = await server.call('GET', '/account/security-settings', { token: a.adminToken });
    assert.equal(after.body.secondFactorPolicy, 'any');
  });
});
