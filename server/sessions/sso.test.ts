// Single sign-on against a real OpenID Provider (oidc-provider on a loopback port): the whole
// authorization code flow over HTTP, the provider's MFA trusted per provider by the rule of
// sso/identity-providers.ts, and the refusals (tampered state, replayed code, nonce mismatch,
// another account's provider, unknown or unverified email, a stolen desktop code).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { accountWithSignedInAdmin, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { Browser, startOpenIdProvider, type TestOpenIdProvider } from '../testing/oidc-provider.js';
import { totpCode } from '../testing/totp-reference.js';
import { clientAt } from '../testing/client-address.js';
import { ServerClient } from '../../main/server-client.js';
import { listenForSsoRedirect, signInWithSso } from '../../main/sso-loopback.js';

describe('single sign-on with OpenID Connect', () => {
  let server: TestServer;
  let op: TestOpenIdProvider;
  let host: string;
  let callback: string;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    host = new URL(server.url).host;
    callback = `${server.url}/api/v1/sso/oidc/callback`;
    op = await startOpenIdProvider({ redirectUris: [callback] });
  });
  after(async () => {
    await op.close();
    await server.close();
  });

  /** An account with its admin signed in, and its providers. */
  const account = (slug: string) => accountWithSignedInAdmin(server, slug);

  async function addProvider(adminToken: string, body: Record<string, unknown> = {}) {
    const res = await server.call('POST', '/account/identity-providers', {
      token: adminToken,
      body: { type: 'oidc', name: 'Test IdP', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, trustMfa: true, jitProvisioning: false, ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.provider as { id: string };
  }

  /** A user of the account who has a password and can sign in (invited, accepted). */
  async function user(slug: string, adminToken: string, name: string) {
    const email = `${name.toLowerCase()}@${slug}.test`;
    const invited = await server.call('POST', '/account/users', { token: adminToken, body: { name, email, role: 'agent' } });
    assert.equal(invited.status, 201);
    const token = new URL(String(invited.body.invitation.link).replace('#/', '')).searchParams.get('token');
    const accepted = await server.call('POST', '/invitations/accept', { body: { token, password: PASSWORD } });
    assert.equal(accepted.status, 200);
    op.users.set(`${name}-${slug}`, { email, email_verified: true, name });
    return { id: invited.body.user.id as string, email, sub: `${name}-${slug}` };
  }

  /** The web console's SSO: start, the browser through the provider and back; the console's URL and cookie. */
  async function webSignIn(slug: string, providerId: string, login: { accountId: string; amr?: string[]; acr?: string }, browser = new Browser()) {
    const start = await browser.post(`${server.base}/sessions/sso`, { account: slug, provider: providerId, client: 'web' });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    op.nextLogin = login;
    const end = await browser.visit(start.body.authorizationUrl, { stopAt: (u) => u.host === host && u.pathname === '/' });
    const token = browser.cookie(host, 'agentdesk_session');
    const callbackVisited = browser.visited.find((u) => u.startsWith(callback));
    return { landed: end.url, token, callbackVisited, browser };
  }

  async function stateOf(token: string | undefined) {
    assert.ok(token, 'a session cookie was set');
    const res = await server.call('GET', '/sessions/current', { token });
    assert.equal(res.status, 200);
    return res.body.session.state as string;
  }

  const count = async (table: 'sessions' | 'users' | 'identity_providers') => Number((await server.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  const lastSsoAudit = async (accountId: string) => {
    const row = await server.db.selectFrom('audit_events').select(['action', 'details']).where('account_id', '=', accountId).where('action', 'in', ['sign_in.sso', 'sign_in.sso_refused']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    return { action: row.action, details: JSON.parse(row.details) as { provider: { id: string }; amr: string[]; mfaTrusted: boolean; state: string; reason?: string } };
  };

  test('a provider is saved only after its discovery answered; http only on loopback; the client secret is sealed and never answered', async () => {
    const a = await account('sso-admin');
    const before = await count('identity_providers');
    const base = { type: 'oidc', name: 'Okta', clientId: 'x', clientSecret: 'secret-value-1', trustMfa: false, jitProvisioning: false };
    const plainHttp = await server.call('POST', '/account/identity-providers', { token: a.adminToken, body: { ...base, issuer: 'http://idp.example.com' } });
    assert.equal(plainHttp.status, 400);
    assert.equal(plainHttp.body.error.code, 'invalid_issuer');
    const unreachable = await server.call('POST', '/account/identity-providers', { token: a.adminToken, body: { ...base, issuer: 'http://127.0.0.1:9/' } });
    assert.equal(unreachable.status, 422);
    assert.equal(unreachable.body.error.code, 'identity_provider_unreachable');
    assert.equal(await count('identity_providers'), before, 'nothing saved');

    const saved = await addProvider(a.adminToken, { clientSecret: op.clientSecret });
    const listed = await server.call('GET', '/account/identity-providers', { token: a.adminToken });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.providers.length, 1);
    assert.ok(!JSON.stringify(listed.body).includes(op.clientSecret), 'the secret is never answered');
    const row = await server.db.selectFrom('identity_providers').selectAll().where('id', '=', saved.id).executeTakeFirstOrThrow();
    assert.ok(row.client_secret?.startsWith('v1.') && !row.client_secret.includes(op.clientSecret), 'sealed at rest');
    const audit = await server.db.selectFrom('audit_events').select('details').where('account_id', '=', a.id).where('action', '=', 'identity_provider.added').executeTakeFirstOrThrow();
    assert.ok(!audit.details.includes(op.clientSecret));

    const changed = await server.call('PATCH', `/account/identity-providers/${saved.id}`, { token: a.adminToken, body: { trustMfa: false, mfaAcrValues: ['urn:mfa'] } });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.provider.trustMfa, changed.body.provider.mfaAcrValues], [false, ['urn:mfa']]);
    const agent = await user(a.slug, a.adminToken, 'Nobody');
    const agentToken = (await signIn(server, a.slug, agent.email)).token;
    const forbidden = await server.call('DELETE', `/account/identity-providers/${saved.id}`, { token: agentToken });
    assert.equal(forbidden.status, 403);
    const removed = await server.call('DELETE', `/account/identity-providers/${saved.id}`, { token: a.adminToken });
    assert.equal(removed.status, 204);
    assert.equal(await count('identity_providers'), before);
  });

  test('the sign-in screen lists an account\'s providers by name and id only', async () => {
    const a = await account('sso-list');
    const p = await addProvider(a.adminToken, { name: 'Entra ID' });
    const res = await server.call('GET', `/sessions/sso-providers?account=${a.slug}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { providers: [{ id: p.id, name: 'Entra ID' }] });
  });

  test('trustMfa on, amr ["pwd"]: the second step follows, and the authenticator app passes it', async () => {
    const a = await account('sso-pwd');
    const p = await addProvider(a.adminToken, { trustMfa: true });
    const u = await user(a.slug, a.adminToken, 'Ana');
    const totp = await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    const signedIn = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd'] });
    assert.equal(signedIn.landed.hash, '#/');
    assert.equal(await stateOf(signedIn.token), 'two_factor_required');
    const passed = await server.call('POST', '/sessions/current/second-factor', { token: signedIn.token, body: { method: 'totp', code: totpCode(totp.secret, Date.now() + 30_000) } });
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    assert.equal(passed.body.session.state, 'active');
    const audit = await lastSsoAudit(a.id);
    assert.equal(audit.action, 'sign_in.sso');
    assert.deepEqual([audit.details.provider.id, audit.details.amr, audit.details.mfaTrusted, audit.details.state], [p.id, ['pwd'], false, 'two_factor_required']);
  });

  test('trustMfa on, amr ["pwd","otp"]: active at once, both factors passed, the audit says so', async () => {
    const a = await account('sso-mfa');
    const p = await addProvider(a.adminToken, { trustMfa: true });
    const u = await user(a.slug, a.adminToken, 'Bea');
    await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    const signedIn = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd', 'otp'] });
    const current = await server.call('GET', '/sessions/current', { token: signedIn.token });
    assert.equal(current.body.session.state, 'active');
    assert.ok(current.body.session.secondFactorAt, 'the second factor counts as passed');
    const audit = await lastSsoAudit(a.id);
    assert.deepEqual([audit.details.amr, audit.details.mfaTrusted], [['pwd', 'otp'], true]);
    // Two things known are not two factors; an acr the admin listed is.
    const pin = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd', 'pin'] });
    assert.equal(await stateOf(pin.token), 'two_factor_required');
    await server.call('PATCH', `/account/identity-providers/${p.id}`, { token: a.adminToken, body: { mfaAcrValues: ['urn:test:mfa'] } });
    const acr = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd'], acr: 'urn:test:mfa' });
    assert.equal(await stateOf(acr.token), 'active');
  });

  test('trustMfa off: the provider\'s MFA never counts, our second step always follows', async () => {
    const a = await account('sso-off');
    const p = await addProvider(a.adminToken, { trustMfa: false, mfaAcrValues: ['urn:test:mfa'] });
    const u = await user(a.slug, a.adminToken, 'Caio');
    await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    const signedIn = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['mfa', 'pwd', 'otp'], acr: 'urn:test:mfa' });
    assert.equal(await stateOf(signedIn.token), 'two_factor_required');
    assert.equal((await lastSsoAudit(a.id)).details.mfaTrusted, false);
  });

  test('under enforcement, a user without a method and amr ["pwd"] must enrol', async () => {
    const a = await account('sso-enforce');
    const p = await addProvider(a.adminToken, { trustMfa: true });
    const admin = await enrolTotp(server, a.adminToken);
    const required = await server.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(required.status, 200, JSON.stringify(required.body));
    const u = await user(a.slug, admin.token, 'Dora');
    const signedIn = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd'] });
    assert.equal(await stateOf(signedIn.token), 'enrollment_required');
    assert.equal((await lastSsoAudit(a.id)).details.state, 'enrollment_required');
  });

  test('under enforcement with grace, an SSO user who must enrol is answered their grace as at a password sign-in, web and desktop, and may postpone', async () => {
    const a = await account('sso-grace');
    const p = await addProvider(a.adminToken, { trustMfa: true });
    const admin = await enrolTotp(server, a.adminToken);
    const required = await server.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: true, graceSignIns: 3 } });
    assert.equal(required.status, 200, JSON.stringify(required.body));
    const u = await user(a.slug, admin.token, 'Edna');
    // Web: the console lands with the cookie and asks for its session.
    const web = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd'] });
    const current = await server.call('GET', '/sessions/current', { token: web.token });
    assert.equal(current.body.session.state, 'enrollment_required');
    assert.deepEqual(current.body.grace, { signInsLeft: 3, until: null });
    const postponed = await server.call('POST', '/sessions/current/postpone-enrolment', { token: web.token });
    assert.equal(postponed.status, 200, JSON.stringify(postponed.body));
    assert.deepEqual(postponed.body.grace, { signInsLeft: 2, until: null });
    // Desktop: the exchange answers exactly what POST /sessions answers, grace included.
    op.nextLogin = { accountId: u.sub, amr: ['pwd'] };
    const desktop = await signInWithSso(new ServerClient(server.url, () => null), { account: a.slug, provider: p.id, openBrowser: (url) => new Browser().visit(url) });
    assert.equal(desktop.session.state, 'enrollment_required');
    assert.deepEqual(desktop.grace, { signInsLeft: 2, until: null });
    const password = await server.call('POST', '/sessions', { body: { account: a.slug, email: u.email, password: PASSWORD, deviceToken: desktop.deviceToken } });
    assert.equal(password.status, 201);
    assert.deepEqual(Object.keys(desktop).sort(), Object.keys(password.body).sort());
    assert.deepEqual(desktop.grace, password.body.grace);
    const again = await server.call('POST', '/sessions/current/postpone-enrolment', { token: desktop.token });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body.grace, { signInsLeft: 1, until: null });
  });

  test('Attack: a forged state, a replayed callback and a nonce that is not ours are refused, and no session is made', async () => {
    // Attack: login CSRF and replay — a callback with a state we never issued, an ID token whose
    // nonce is not the one we stored, and a callback URL that already signed someone in, sent again.
    const a = await account('sso-tamper');
    const p = await addProvider(a.adminToken);
    const u = await user(a.slug, a.adminToken, 'Eva');
    const sessions = await count('sessions');

    // A state we never issued.
    const forged = await new Browser().visit(`${callback}?state=forged&code=whatever`, { stopAt: (x) => x.host === host && x.pathname === '/' });
    assert.equal(forged.url.hash, '#/sign-in?sso_error=sso_failed');

    // The provider's answer to one request, with the nonce swapped on the way to the provider.
    const browser = new Browser();
    const start = await browser.post(`${server.base}/sessions/sso`, { account: a.slug, provider: p.id, client: 'web' });
    const tampered = new URL(start.body.authorizationUrl);
    tampered.searchParams.set('nonce', 'an-attackers-nonce-value');
    op.nextLogin = { accountId: u.sub, amr: ['pwd', 'otp'] };
    const nonce = await browser.visit(tampered.href, { stopAt: (x) => x.host === host && x.pathname === '/' });
    assert.equal(nonce.url.hash, '#/sign-in?sso_error=sso_failed');
    assert.equal(browser.cookie(host, 'agentdesk_session'), undefined);
    assert.equal((await lastSsoAudit(a.id)).details.reason, 'token_validation');
    assert.equal(await count('sessions'), sessions, 'no session');

    // A callback that worked, replayed in the same browser: its state is spent.
    const ok = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd'] });
    assert.ok(ok.token && ok.callbackVisited);
    const afterOne = await count('sessions');
    const replay = await ok.browser.visit(ok.callbackVisited, { stopAt: (x) => x.host === host && x.pathname === '/' });
    assert.equal(replay.url.hash, '#/sign-in?sso_error=sso_failed');
    assert.equal(await count('sessions'), afterOne, 'the replay made no session');
  });

  test('Attack: login CSRF — the callback of a sign-in started in another browser is refused', async () => {
    // Attack: the attacker starts a sign-in with their own provider account and, instead of
    // following the provider's redirect back, sends its URL to a victim: the victim's console
    // would be signed in as the attacker (and what they type goes to the attacker's user).
    const a = await account('sso-csrf');
    const p = await addProvider(a.adminToken);
    const attacker = await user(a.slug, a.adminToken, 'Mallory');
    const attackerBrowser = new Browser();
    const start = await attackerBrowser.post(`${server.base}/sessions/sso`, { account: a.slug, provider: p.id, client: 'web' });
    op.nextLogin = { accountId: attacker.sub, amr: ['pwd'] };
    const stopped = await attackerBrowser.visit(start.body.authorizationUrl, { stopAt: (x) => x.href.startsWith(callback) });
    const sessions = await count('sessions');
    const victim = new Browser();
    const landed = await victim.visit(stopped.url.href, { stopAt: (x) => x.host === host && x.pathname === '/' });
    assert.equal(landed.url.hash, '#/sign-in?sso_error=sso_failed');
    assert.equal(victim.cookie(host, 'agentdesk_session'), undefined);
    assert.equal(await count('sessions'), sessions, 'no session');
    assert.equal((await lastSsoAudit(a.id)).details.reason, 'other_browser');
  });

  test('Attack: another account\'s provider cannot be used to sign in to this account', async () => {
    // Attack: an admin of account A points a sign-in of account B at A's provider (which A controls).
    const a = await account('sso-own');
    const b = await account('sso-other');
    const pa = await addProvider(a.adminToken);
    const res = await server.call('POST', '/sessions/sso', { body: { account: b.slug, provider: pa.id, client: 'web' } });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    const rows = await server.db.selectFrom('sso_requests').select('id').where('account_id', '=', b.id).execute();
    assert.equal(rows.length, 0);
  });

  test('an unknown email is refused without just-in-time provisioning and created as an agent with it; an unverified email never', async () => {
    const a = await account('sso-jit');
    const closed = await addProvider(a.adminToken, { jitProvisioning: false });
    op.users.set('newcomer', { email: 'newcomer@sso-jit.test', email_verified: true, name: 'New Comer' });
    const users = await count('users');
    const refused = await webSignIn(a.slug, closed.id, { accountId: 'newcomer', amr: ['pwd'] });
    assert.equal(refused.landed.hash, '#/sign-in?sso_error=sso_user_unknown');
    assert.equal(refused.token, undefined);
    assert.equal(await count('users'), users, 'nobody created');
    assert.equal((await lastSsoAudit(a.id)).details.reason, 'user_unknown');

    op.users.set('unverified', { email: 'unverified@sso-jit.test', email_verified: false });
    const open = await addProvider(a.adminToken, { jitProvisioning: true });
    const unverified = await webSignIn(a.slug, open.id, { accountId: 'unverified', amr: ['pwd'] });
    assert.equal(unverified.landed.hash, '#/sign-in?sso_error=sso_email_unverified');
    assert.equal(await count('users'), users, 'nobody created');

    const created = await webSignIn(a.slug, open.id, { accountId: 'newcomer', amr: ['pwd'] });
    assert.equal(await stateOf(created.token), 'active');
    const row = await server.db.selectFrom('users').select(['name', 'role', 'status']).where('email', '=', 'newcomer@sso-jit.test').executeTakeFirstOrThrow();
    assert.deepEqual(row, { name: 'New Comer', role: 'agent', status: 'active' });
  });

  test('a deactivated user is refused', async () => {
    const a = await account('sso-deact');
    const p = await addProvider(a.adminToken);
    const u = await user(a.slug, a.adminToken, 'Fay');
    const off = await server.call('PATCH', `/account/users/${u.id}`, { token: a.adminToken, body: { status: 'deactivated' } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const refused = await webSignIn(a.slug, p.id, { accountId: u.sub, amr: ['pwd', 'otp'] });
    assert.equal(refused.landed.hash, '#/sign-in?sso_error=sso_user_inactive');
    assert.equal(refused.token, undefined);
  });

  test('desktop: the system browser, a loopback redirect and the exchange in main; a wrong verifier and a second use are refused', async () => {
    const a = await account('sso-desk');
    const p = await addProvider(a.adminToken, { trustMfa: true });
    const u = await user(a.slug, a.adminToken, 'Gil');
    const client = new ServerClient(server.url, () => null);
    op.nextLogin = { accountId: u.sub, amr: ['pwd', 'hwk'] };
    const browser = new Browser();
    const signedIn = await signInWithSso(client, { account: a.slug, provider: p.id, openBrowser: (url) => browser.visit(url) });
    assert.equal(signedIn.session.state, 'active');
    assert.equal(signedIn.user.email, u.email);
    assert.ok(signedIn.deviceToken);
    const last = browser.visited.at(-1)!;
    assert.match(last, /^http:\/\/127\.0\.0\.1:\d+\/sso\/callback\?state=[^&]+&code=/, 'the browser ended at the loopback');

    // Only http://127.0.0.1 with a port is a desktop redirect.
    for (const redirectUri of ['http://localhost:5000/cb', 'https://evil.example/cb', 'http://127.0.0.1/cb']) {
      const res = await server.call('POST', '/sessions/sso', { body: { account: a.slug, provider: p.id, client: 'desktop', redirectUri, codeChallenge: 'a'.repeat(43) } });
      assert.equal(res.body.error?.code, 'invalid_redirect_uri', redirectUri);
    }

    // Attack: a code intercepted on its way to the loopback, exchanged without the app's verifier.
    const loopback = await listenForSsoRedirect();
    const start = await server.call('POST', '/sessions/sso', { body: { account: a.slug, provider: p.id, client: 'desktop', redirectUri: loopback.redirectUri, codeChallenge: loopback.codeChallenge } });
    assert.equal(start.status, 200);
    await new Browser().visit(start.body.authorizationUrl);
    const code = await loopback.code;
    const sessions = await count('sessions');
    const wrongVerifier = createHash('sha256').update('not-the-verifier').digest('base64url');
    const stolen = await server.call('POST', '/sessions/sso/exchange', { body: { code, codeVerifier: wrongVerifier } });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error.code, 'invalid_code');
    // The code is spent by that attempt: even the right verifier cannot use it now.
    const again = await server.call('POST', '/sessions/sso/exchange', { body: { code, codeVerifier: loopback.codeVerifier } });
    assert.equal(again.body.error.code, 'invalid_code');
    assert.equal(await count('sessions'), sessions, 'no session');

    // A code used twice: the second exchange is refused.
    const second = await listenForSsoRedirect();
    const start2 = await server.call('POST', '/sessions/sso', { body: { account: a.slug, provider: p.id, client: 'desktop', redirectUri: second.redirectUri, codeChallenge: second.codeChallenge } });
    await new Browser().visit(start2.body.authorizationUrl);
    const code2 = await second.code;
    const first = await server.call('POST', '/sessions/sso/exchange', { body: { code: code2, codeVerifier: second.codeVerifier } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const twice = await server.call('POST', '/sessions/sso/exchange', { body: { code: code2, codeVerifier: second.codeVerifier } });
    assert.equal(twice.status, 400);
    assert.equal(twice.body.error.code, 'invalid_code');
  });

  test('Attack: single sign-on from outside the account\'s sign-in networks is refused at the start, at the redirect back and at the exchange; nothing is created', async () => {
    const a = await account('sso-office');
    const p = await addProvider(a.adminToken, { trustMfa: true, jitProvisioning: true });
    const u = await user(a.slug, a.adminToken, 'Ines');
    const admin = await enrolTotp(server, a.adminToken);
    const saved = await server.call('PUT', '/account/network-policy', { token: admin.token, body: { allowedNetworks: ['127.0.0.1/32', '::1/128'] } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const outside = clientAt(server.base, '127.0.0.5');
    try {
      // The start, from elsewhere.
      const loopback = await listenForSsoRedirect();
      const start = { account: a.slug, provider: p.id, client: 'desktop', redirectUri: loopback.redirectUri, codeChallenge: loopback.codeChallenge };
      const refused = await outside.call('POST', '/sessions/sso', { body: start });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'network_not_allowed');

      // Started in the office, the browser comes back from elsewhere (a JIT email: no user may be made).
      const users = await count('users');
      const sessions = await count('sessions');
      op.users.set('newcomer-office', { email: `newcomer@${a.slug}.test`, email_verified: true });
      op.nextLogin = { accountId: 'newcomer-office', amr: ['pwd', 'otp'] };
      const started = await server.call('POST', '/sessions/sso', { body: start });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const back = await new Browser().visit(started.body.authorizationUrl, { stopAt: (url) => url.pathname === '/api/v1/sso/oidc/callback' });
      const redirected = await outside.call('GET', back.url.pathname.slice('/api/v1'.length) + back.url.search);
      assert.equal(redirected.status, 303);
      const location = new URL(redirected.headers.get('location')!);
      assert.equal(location.searchParams.get('error'), 'network_not_allowed');
      assert.equal(await count('users'), users, 'no user created');
      assert.equal((await lastSsoAudit(a.id)).details.reason, 'network_not_allowed');
      loopback.close();

      // Started and finished in the office, the code exchanged from elsewhere.
      op.nextLogin = { accountId: u.sub, amr: ['pwd', 'otp'] };
      const second = await listenForSsoRedirect();
      const again = await server.call('POST', '/sessions/sso', { body: { ...start, redirectUri: second.redirectUri, codeChallenge: second.codeChallenge } });
      await new Browser().visit(again.body.authorizationUrl);
      const exchanged = await outside.call('POST', '/sessions/sso/exchange', { body: { code: await second.code, codeVerifier: second.codeVerifier } });
      assert.equal(exchanged.status, 403);
      assert.equal(exchanged.body.error.code, 'network_not_allowed');
      assert.equal(await count('sessions'), sessions, 'no session');
    } finally {
      outside.close();
    }
  });
});
