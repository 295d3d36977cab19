// SSO only with break-glass admins (issue 20, PRODUCT.md "Enterprise sign-in"): local sign-in
// refused for everyone but the named admins, who keep password + second factor and are exempt
// from the sign-in networks; a save that would lock out the saver refused; a break-glass admin's
// way in kept while SSO only is on. Over real HTTP, against a real OpenID Provider (oidc-provider
// on a loopback port), from distinct loopback addresses (127.0.0.5 is outside the office).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientAt } from '../testing/client-address.js';
import { createAccount, createUser, enrolTotp, PASSWORD, signIn, signInWithTotp, startTestServer, type TestServer } from '../testing/harness.js';
import { Browser, startOpenIdProvider, type TestOpenIdProvider } from '../testing/oidc-provider.js';
import { SoftAuthenticator } from '../testing/soft-webauthn.js';

describe('SSO only with break-glass admins', () => {
  let server: TestServer;
  let op: TestOpenIdProvider;
  let outside: ReturnType<typeof clientAt>;
  const slug = 'ssoonly';
  let adminId: string;
  let adminEmail: string;
  let adminToken: string;
  let agent: { id: string; email: string };
  /** A second admin with an authenticator app. */
  let bea: { id: string; email: string; secret: string; methodId: string; recoveryCodes: string[] };
  /** An admin without a method. */
  let cid: { id: string; email: string };
  let otherAccountAdminId: string;
  let providerId: string;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    op = await startOpenIdProvider({ redirectUris: [`${server.url}/api/v1/sso/oidc/callback`] });
    outside = clientAt(server.base, '127.0.0.5');
    const created = await createAccount(server, slug);
    adminId = created.user.id;
    adminEmail = created.user.email;
    const enrolled = await enrolTotp(server, (await signIn(server, slug, adminEmail)).token);
    adminToken = enrolled.token;
    agent = await createUser(server, adminToken, slug, 'Agnes');
    const b = await createUser(server, adminToken, slug, 'Bea', 'admin');
    const beaTotp = await enrolTotp(server, (await signIn(server, slug, b.email)).token);
    bea = { ...b, secret: beaTotp.secret, methodId: beaTotp.methodId, recoveryCodes: beaTotp.recoveryCodes };
    cid = await createUser(server, adminToken, slug, 'Cid', 'admin');
    otherAccountAdminId = (await createAccount(server, 'elsewhere')).user.id;
  });
  after(async () => {
    outside.close();
    await op.close();
    await server.close();
  });

  const settings = async () => (await server.call('GET', '/account/sign-in-settings', { token: adminToken })).body as { ssoOnly: boolean; breakGlassUserIds: string[] };
  const save = (body: unknown, token = adminToken) => server.call('PUT', '/account/sign-in-settings', { token, body });
  const audited = async () => (await server.db.selectFrom('audit_events').select('details').where('action', '=', 'account.sign_in_settings_changed').orderBy('id').execute()).map((r) => JSON.parse(r.details));

  /** The web console's SSO sign-in of `sub` through the test provider; the session cookie. */
  async function webSignIn(sub: string) {
    const browser = new Browser();
    const host = new URL(server.url).host;
    const start = await browser.post(`${server.base}/sessions/sso`, { account: slug, provider: providerId, client: 'web' });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    op.nextLogin = { accountId: sub, amr: ['pwd', 'otp'] };
    await browser.visit(start.body.authorizationUrl, { stopAt: (u) => u.host === host && u.pathname === '/' });
    return browser.cookie(host, 'agentdesk_session');
  }

  test('bad input: unknown id, an agent, another account\'s admin, an admin without a method, no one named, no provider — each a 4xx with its code, nothing changes', async () => {
    const cases: [unknown, number, string][] = [
      [{ ssoOnly: false, breakGlassUserIds: ['no-such-user'] }, 400, 'break_glass_invalid'],
      [{ ssoOnly: false, breakGlassUserIds: [agent.id] }, 400, 'break_glass_invalid'],
      [{ ssoOnly: false, breakGlassUserIds: [otherAccountAdminId] }, 400, 'break_glass_invalid'],
      [{ ssoOnly: false, breakGlassUserIds: [cid.id] }, 409, 'break_glass_method_required'],
      [{ ssoOnly: true, breakGlassUserIds: [] }, 400, 'break_glass_required'],
      [{ ssoOnly: true, breakGlassUserIds: [adminId] }, 409, 'identity_provider_required'],
    ];
    for (const [body, status, code] of cases) {
      const res = await save(body);
      assert.equal(res.status, status, JSON.stringify({ body, answer: res.body }));
      assert.equal(res.body.error.code, code);
    }
    for (const body of [{ ssoOnly: 'yes', breakGlassUserIds: [] }, { ssoOnly: true }, { ssoOnly: true, breakGlassUserIds: [adminId], extra: 1 }, { ssoOnly: true, breakGlassUserIds: Array.from({ length: 21 }, (_, i) => `id${i}`) }]) {
      assert.equal((await save(body)).status, 400, JSON.stringify(body));
    }
    assert.deepEqual(await settings(), { ssoOnly: false, breakGlassUserIds: [] });
    assert.deepEqual(await audited(), []);
    // An agent cannot change it at all.
    const agentToken = (await signIn(server, slug, agent.email)).token;
    assert.equal((await save({ ssoOnly: false, breakGlassUserIds: [] }, agentToken)).status, 403);
  });

  test('saving cannot lock out the saver: SSO only naming only another admin is refused (409) until the saver has an SSO way in', async () => {
    // Attack (on oneself): an admin turns SSO only on, names a colleague, and has no way back in
    // through the provider: their password stops working, and they are locked out.
    const res = await server.call('POST', '/account/identity-providers', {
      token: adminToken,
      body: { type: 'oidc', name: 'Okta', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, trustMfa: true, jitProvisioning: false },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    providerId = res.body.provider.id;
    const refused = await save({ ssoOnly: true, breakGlassUserIds: [bea.id] });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'sso_only_excludes_you');
    assert.deepEqual(await settings(), { ssoOnly: false, breakGlassUserIds: [] });
    assert.deepEqual(await audited(), []);
    // Once the admin signed in through the provider, that is their way in: the same save passes.
    op.users.set('admin-sub', { email: adminEmail, email_verified: true, name: 'Admin' });
    assert.ok(await webSignIn('admin-sub'), 'the admin signed in through the provider');
    const row = await server.db.selectFrom('users').select('last_sso_provider_id').where('id', '=', adminId).executeTakeFirstOrThrow();
    assert.equal(row.last_sso_provider_id, providerId);
    const saved = await save({ ssoOnly: true, breakGlassUserIds: [bea.id] });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    // Then naming oneself is the usual way; audited with before and after.
    const again = await save({ ssoOnly: true, breakGlassUserIds: [bea.id, adminId] });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(await settings(), { ssoOnly: true, breakGlassUserIds: [bea.id, adminId].sort() });
    const entries = await audited();
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[1], { before: { ssoOnly: true, breakGlassUserIds: [bea.id] }, after: { ssoOnly: true, breakGlassUserIds: [bea.id, adminId].sort() } });
  });

  test('Attack: under SSO only, a stolen password of an agent does not sign in (same answer right/wrong password)', async () => {
    // Attack: an agent's password, phished or reused, tried after the account moved to SSO only;
    // and the answer must not tell a right password from a wrong one.
    const answers = [];
    for (const [email, password] of [[agent.email, PASSWORD], [agent.email, 'wrong password 123'], ['nobody@ssoonly.test', PASSWORD], [cid.email, PASSWORD]] as const) {
      const res = await server.call('POST', '/sessions', { body: { account: slug, email, password } });
      answers.push({ status: res.status, body: res.body });
    }
    assert.equal(answers[0]!.status, 403);
    assert.equal(answers[0]!.body.error.code, 'sso_only');
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.deepEqual(answers[3], answers[0], 'an admin who is not break-glass is refused the same');
    const failures = await server.db.selectFrom('audit_events').select('id').where('action', '=', 'sign_in.failed').where('subject_user_id', '=', agent.id).execute();
    assert.equal(failures.length, 0, 'no password was checked');
    // The agent's way in is the identity provider.
    op.users.set('agnes-sub', { email: agent.email, email_verified: true, name: 'Agnes' });
    const cookie = await webSignIn('agnes-sub');
    assert.ok(cookie);
    assert.equal((await server.call('GET', '/me', { token: cookie })).status, 200);
  });

  test('a break-glass admin signs in with password + second factor', async () => {
    const first = await signIn(server, slug, bea.email);
    assert.equal(first.session.state, 'two_factor_required');
    const token = await signInWithTotp(server, slug, bea.email, bea.secret);
    const me = await server.call('GET', '/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, bea.id);
  });

  test('break-glass admins are exempt from sign-in networks; everyone else outside is refused', async () => {
    const networks = await server.call('PUT', '/account/network-policy', { token: adminToken, body: { allowedNetworks: ['127.0.0.1/32', '::1/128'] } });
    assert.equal(networks.status, 200, JSON.stringify(networks.body));
    try {
      // Attack: an agent's password from outside the office: refused before any password is read.
      const agentOut = await outside.call('POST', '/sessions', { body: { account: slug, email: agent.email, password: PASSWORD } });
      assert.equal(agentOut.status, 403);
      assert.equal(agentOut.body.error.code, 'network_not_allowed');
      // The break-glass admin, from outside: password, then the second factor, then requests.
      const first = await outside.call('POST', '/sessions', { body: { account: slug, email: bea.email, password: PASSWORD } });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.session.state, 'two_factor_required');
      const second = await outside.call('POST', '/sessions/current/second-factor', { token: first.body.token, body: { method: 'recovery_code', code: bea.recoveryCodes[0] } });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal((await outside.call('GET', '/me', { token: second.body.token })).status, 200);
      // A wrong password from outside is still a wrong password for them (no way around the secret).
      const wrong = await outside.call('POST', '/sessions', { body: { account: slug, email: bea.email, password: 'wrong password 123' } });
      assert.equal(wrong.status, 401);
      // The saving admin, break-glass too, keeps their session outside.
      assert.equal((await outside.call('GET', '/me', { token: adminToken })).status, 200, 'the saving admin is break-glass now');
    } finally {
      assert.equal((await server.call('PUT', '/account/network-policy', { token: adminToken, body: { allowedNetworks: [] } })).status, 200);
    }
  });

  test("while SSO only is on, a break-glass admin's way in cannot be taken: deactivate, demote, delete, reset 2FA, remove the last method; nor the last provider", async () => {
    const refusals = [
      await server.call('PATCH', `/account/users/${bea.id}`, { token: adminToken, body: { status: 'deactivated' } }),
      await server.call('PATCH', `/account/users/${bea.id}`, { token: adminToken, body: { role: 'agent' } }),
      await server.call('DELETE', `/account/users/${bea.id}`, { token: adminToken }),
      await server.call('DELETE', `/account/users/${bea.id}/two-factor`, { token: adminToken }),
    ];
    const first = await signIn(server, slug, bea.email);
    const second = await server.call('POST', '/sessions/current/second-factor', { token: first.token, body: { method: 'recovery_code', code: bea.recoveryCodes[1] } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const beaToken = second.body.token as string;
    refusals.push(await server.call('DELETE', `/me/methods/${bea.methodId}`, { token: beaToken }));
    for (const res of refusals) {
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'break_glass_admin');
    }
    const row = await server.db.selectFrom('users').select(['status', 'role', 'has_two_factor', 'break_glass']).where('id', '=', bea.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { status: 'active', role: 'admin', has_two_factor: 1, break_glass: 1 });
    const lastProvider = await server.call('DELETE', `/account/identity-providers/${providerId}`, { token: adminToken });
    assert.equal(lastProvider.status, 409);
    assert.equal(lastProvider.body.error.code, 'identity_provider_required');
    // Taken off the list first, Bea can be deactivated as any admin.
    assert.equal((await save({ ssoOnly: true, breakGlassUserIds: [adminId] })).status, 200);
    assert.equal((await server.call('PATCH', `/account/users/${bea.id}`, { token: adminToken, body: { status: 'deactivated' } })).status, 200);
  });

  test('the users list and the impact preview say who signs in through which provider, and whether it counts as 2FA', async () => {
    const list = await server.call('GET', '/account/users?sort=name&limit=50', { token: adminToken });
    assert.equal(list.status, 200);
    const byId = new Map((list.body.users as { id: string; lastSsoProvider: unknown; breakGlass: boolean }[]).map((u) => [u.id, u]));
    assert.deepEqual(byId.get(agent.id)?.lastSsoProvider, { id: providerId, name: 'Okta', trustMfa: true });
    assert.equal(byId.get(agent.id)?.breakGlass, false);
    assert.equal(byId.get(cid.id)?.lastSsoProvider, null);
    assert.equal(byId.get(adminId)?.breakGlass, true);
    // Agnes has no method, but signs in through a provider whose MFA is trusted: counted so.
    const impact = await server.call('GET', '/account/security-settings/impact', { token: adminToken });
    assert.equal(impact.status, 200);
    assert.equal(impact.body.usersWithTrustedProviderMfa, 1);
    const agnes = (impact.body.users as { id: string; trustedProvider?: string }[]).find((u) => u.id === agent.id);
    assert.equal(agnes?.trustedProvider, 'Okta');
    // Trust withdrawn: the same users count as without 2FA again.
    assert.equal((await server.call('PATCH', `/account/identity-providers/${providerId}`, { token: adminToken, body: { trustMfa: false } })).status, 200);
    const after = await server.call('GET', '/account/security-settings/impact', { token: adminToken });
    assert.equal(after.body.usersWithTrustedProviderMfa, 0);
  });

  test("under SSO only a security key alone signs in a break-glass admin, and refuses an agent's key before its signature is checked", async () => {
    // Attack: an agent removed from the identity provider keeps a passkey registered earlier and
    // signs in with it: SSO only must stop every local way in, not just passwords.
    const origin = new URL(server.url).origin;
    const settings = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: true } });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const register = async (token: string) => {
      const key = new SoftAuthenticator(1, true);
      const creation = await server.call('POST', '/me/methods/security-keys/options', { token, body: { passwordless: true } });
      assert.equal(creation.status, 200, JSON.stringify(creation.body));
      const { credential, response } = key.createCredential(creation.body, origin, { discoverable: true });
      const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Passkey', response } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // Adding a method passes the second factor: the session goes on under a new token.
      return { key, credential, token: (res.body.token as string | undefined) ?? token };
    };
    const withKey = async ({ key, credential }: Awaited<ReturnType<typeof register>>) => {
      const opts = await server.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      assert.equal(opts.status, 200, JSON.stringify(opts.body));
      return server.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response: key.getAssertion(credential, opts.body, origin) } });
    };
    const agnesCookie = await webSignIn('agnes-sub');
    assert.ok(agnesCookie);
    const agnesKey = await register(agnesCookie);
    const adminKey = await register(adminToken);
    adminToken = adminKey.token;
    const refused = await withKey(agnesKey);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'sso_only');
    const admitted = await withKey(adminKey);
    assert.equal(admitted.status, 201, JSON.stringify(admitted.body));
    assert.equal(admitted.body.session.state, 'active');
  });

  test('SSO only off: passwords work again for everyone', async () => {
    assert.equal((await save({ ssoOnly: false, breakGlassUserIds: [adminId] })).status, 200);
    const res = await server.call('POST', '/sessions', { body: { account: slug, email: agent.email, password: PASSWORD } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});
