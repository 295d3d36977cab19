// Access is declared, not remembered (PRODUCT.md "Security rules"): every operation of the
// OpenAPI document carries its `x-agentdesk-access`, every sensitive change of PRODUCT.md's list
// declares a recent second factor, and each of them — called with an admin session whose second
// factor is 11 minutes old (a console left open, a stolen cookie) — is refused with nothing
// changed, then allowed once the admin has passed their second factor again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createAccount, createUser, enrolTotp, inviteUser, linkToken, PASSWORD, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';
import { requireDeclaredAccess } from './auth.js';
import { access } from './access.js';

/**
 * PRODUCT.md's sensitive changes, each with the operation(s) that make it. An operation that
 * declares `recentSecondFactor` must be here, and every one here must declare it.
 */
const SENSITIVE: Record<string, string> = {
  'PUT /account/security-settings': 'every account setting (enforcement, enrolment rule, policies)',
  'POST /account/audit-streams': 'every account setting (audit streams: where the audit log flows)',
  'DELETE /account/audit-streams/{id}': 'every account setting (audit streams: where the audit log flows)',
  'POST /account/scim-tokens': 'every account setting (SCIM tokens: who provisions the users)',
  'DELETE /account/scim-tokens/{id}': 'every account setting (SCIM tokens: who provisions the users)',
  'PUT /account/network-policy': 'every account setting (sign-in networks)',
  'PUT /account/session-policy': 'every account setting (session lifetimes)',
  'PUT /account/security-key-policy': 'every account setting (security-key models)',
  'DELETE /me/methods/{id}': 'removing a method',
  'POST /me/recovery-codes': 'regenerating recovery codes',
  'PUT /me/password': "changing one's password",
  'POST /account/users': 'inviting',
  'POST /account/users/import': 'inviting (a CSV of invitations)',
  'POST /account/users/{id}/invitation': 're-inviting',
  'DELETE /account/users/{id}/invitation': 'revoking an invitation (takes access)',
  'POST /account/users/{id}/password-reset': 'sending a reset link',
  'POST /account/users/{id}/enrollment-code': 'issuing an enrolment code',
  'PATCH /account/users/{id}': 'reactivating, deactivating, changing a role',
  'DELETE /account/users/{id}': 'deleting',
  'DELETE /account/users/{id}/two-factor': 'resetting 2FA',
  'DELETE /account/users/{id}/lockout': 'lifting a lock-out',
  'PUT /account/users/{id}/grace': "extending or ending a user's grace to postpone enrolment",
  'DELETE /account/users/{id}/sessions': 'signing one user out everywhere',
  'DELETE /account/sessions': 'signing everyone but me out everywhere',
  // Remembered devices (issue 21): an admin forgets a user's; a user remembers one only with the
  // factor just passed, so a remembered session (never a factor) cannot renew itself.
  'DELETE /account/users/{id}/remembered-devices': "forgetting a user's remembered devices",
  'POST /sessions/current/remember-device': 'remembering a device',
  // ASVS 7.5.2: ending one's own sessions only after authenticating again.
  'DELETE /me/sessions/{id}': 'ending one of my sessions',
  'DELETE /me/sessions': 'ending every other session of mine',
  // Adding a method when the user already has one (a first method is guarded by the password).
  'POST /me/methods/totp': 'adding a method',
  'POST /me/methods/totp/{id}/confirm': 'adding a method',
  'POST /me/methods/security-keys/options': 'adding a method',
  'POST /me/methods/security-keys': 'adding a method',
  // Issue 20: an identity provider signs people in (and may create them): it gives access.
  'POST /account/identity-providers': 'adding an identity provider',
  'PATCH /account/identity-providers/{id}': 'changing an identity provider (its issuer, client, MFA trust)',
  'DELETE /account/identity-providers/{id}': 'removing an identity provider',
  // Issue 21: a group's members and existence decide whom the 2FA requirement applies to.
  'PUT /account/groups/{id}/members': "every account setting (enforcement: whom the requirement's groups hold)",
  'DELETE /account/groups/{id}': "every account setting (enforcement: a group of the requirement's scope)",
  'PUT /account/sign-in-settings': 'every account setting (SSO only and its break-glass admins)',
};

interface Operation {
  key: string;
  access: { state: string; role: string; recentSecondFactor: boolean };
}

async function operations(server: TestServer): Promise<Operation[]> {
  const doc = (await server.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-agentdesk-access'?: Operation['access'] }>> };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      out.push({ key: `${method.toUpperCase()} ${path}`, access: op['x-agentdesk-access']! });
    }
  }
  return out;
}

/** What a refused call must leave as it was: row counts, and every user's role, status, password and methods. */
async function snapshot(server: TestServer) {
  const users = await server.db.selectFrom('users').select(['id', 'role', 'status', 'password_hash', 'has_two_factor', 'locked_until']).orderBy('id').execute();
  const methods = await server.db.selectFrom('methods').select(['id', 'name', 'confirmed']).orderBy('id').execute();
  const codes = await server.db.selectFrom('recovery_codes').select(['user_id']).execute();
  const links = await server.db.selectFrom('user_links').selectAll().execute();
  const sessions = await server.db.selectFrom('sessions').select(['id', 'revoked_at', 'state']).orderBy('id').execute();
  const account = await server.db.selectFrom('accounts').selectAll().execute();
  const scimTokens = await server.db.selectFrom('scim_tokens').select(['id', 'revoked_at']).orderBy('id').execute();
  return JSON.stringify({ counts: await tableCounts(server), users, methods, codes: codes.length, links, sessions, account, scimTokens });
}

describe('access is declared per operation', () => {
  let server: TestServer;
  let adminToken: string;
  let adminSecret: string;
  let adminId: string;
  const slug = 'declared';
  let step = 2;
  /** A TOTP code of a later step each time: each code is accepted once per user. */
  const freshCode = () => totpCode(adminSecret, Date.now() + 30_000 * (step++ % 2 === 0 ? 1 : -1));

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminId = acc.user.id;
    const enrolled = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    adminToken = enrolled.token;
    adminSecret = enrolled.secret;
  });
  after(() => server.close());

  const ageSecondFactor = () =>
    server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', adminId).where('revoked_at', 'is', null).execute();

  async function reauthenticate() {
    const res = await server.call('POST', '/sessions/current/second-factor', { token: adminToken, body: { method: 'totp', code: freshCode() } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    adminToken = res.body.token;
  }

  test('an operation that declares no access cannot be registered', async () => {
    const app = Fastify();
    requireDeclaredAccess(app);
    assert.throws(() => app.get('/undeclared', async () => ({})), /declares no access/);
    assert.throws(() => app.post('/half', { config: { access: { state: 'active' } as never } }, async () => ({})), /not \{state, role, recentSecondFactor\}/);
    assert.throws(() => app.post('/admin-anon', { config: { access: { state: 'none', role: 'admin', recentSecondFactor: false } } }, async () => ({})), /needs an active session/);
    app.get('/declared', { config: { access: access.public } }, async () => ({}));
    await app.close();
  });

  test('every operation in the OpenAPI document declares its access, and the sensitive ones are exactly PRODUCT.md\'s list', async () => {
    const ops = await operations(server);
    assert.ok(ops.length >= 50, `only ${ops.length} operations`);
    for (const op of ops) {
      assert.ok(op.access, `${op.key} publishes no x-agentdesk-access`);
      assert.ok(['none', 'any', 'second_step', 'enrollment', 'active'].includes(op.access.state), `${op.key}: state ${op.access.state}`);
      assert.ok(['any', 'admin'].includes(op.access.role), `${op.key}: role ${op.access.role}`);
      assert.equal(typeof op.access.recentSecondFactor, 'boolean', op.key);
      if (op.key.includes(' /account/') && op.key !== 'POST /accounts') assert.equal(op.access.role, 'admin', `${op.key} is an admin operation`);
      if (op.access.recentSecondFactor) assert.ok(SENSITIVE[op.key], `${op.key} declares a recent second factor but is not in PRODUCT.md's list`);
    }
    const published = new Set(ops.map((op) => op.key));
    for (const key of Object.keys(SENSITIVE)) {
      if (!published.has(key)) continue; // an operation of the list not built (yet) on this server
      const op = ops.find((o) => o.key === key)!;
      assert.equal(op.access.recentSecondFactor, true, `${key} (${SENSITIVE[key]}) must need a recent second factor`);
    }
    // The ones the attacks of issue 18 went through are built and declared.
    for (const key of ['POST /account/users/{id}/password-reset', 'POST /account/users/{id}/invitation', 'PATCH /account/users/{id}', 'POST /account/users']) {
      assert.ok(published.has(key), key);
    }
  });

  test('stale admin session: every sensitive change is refused with nothing changed, then allowed after re-authentication', async () => {
    // Attack: an admin console left open (or a stolen cookie) whose second factor is 11 minutes
    // old calls every sensitive operation; before access was declared per operation, resending
    // invitations, sending reset links, reactivating and inviting agents went through.
    const pendingAdmin = await inviteUser(server, adminToken, { name: 'Pending Admin', email: 'pending@declared.test', role: 'admin' });
    const otherAdmin = await createUser(server, adminToken, slug, 'Otto', 'admin');
    const deactivated = await createUser(server, adminToken, slug, 'Dora');
    assert.equal((await server.call('PATCH', `/account/users/${deactivated.id}`, { token: adminToken, body: { status: 'deactivated' } })).status, 200);
    const promoted = await createUser(server, adminToken, slug, 'Pia');
    const deleted = await createUser(server, adminToken, slug, 'Del');
    const reset = await createUser(server, adminToken, slug, 'Rex');
    await enrolTotp(server, (await signIn(server, slug, reset.email)).token);
    const coded = await createUser(server, adminToken, slug, 'Cody');
    const locked = await createUser(server, adminToken, slug, 'Lou');
    const signedIn = await createUser(server, adminToken, slug, 'Sid');
    await signIn(server, slug, signedIn.email);
    const adminMethods = (await server.call('GET', '/me', { token: adminToken })).body.methods as { id: string }[];
    const secondApp = await server.call('POST', '/me/methods/totp', { token: adminToken, body: { name: 'Spare' } });
    assert.equal(secondApp.status, 201);
    const spare = await server.call('POST', `/me/methods/totp/${secondApp.body.id}/confirm`, { token: adminToken, body: { code: totpCode(secondApp.body.secret) } });
    assert.equal(spare.status, 200, JSON.stringify(spare.body));
    adminToken = spare.body.token ?? adminToken;
    // The admin's device is personal: remembering it (on once session-policy below is saved) answers 200.
    assert.equal((await server.call('PUT', '/sessions/current/device', { token: adminToken, body: { shared: false } })).status, 200);
    const pendingApp = await server.call('POST', '/me/methods/totp', { token: adminToken, body: { name: 'Pending' } });
    assert.equal(pendingApp.status, 201);
    // .invalid never resolves (RFC 2606): a public-looking target that receives nothing.
    const group = await server.call('POST', '/account/groups', { token: adminToken, body: { name: 'Declared group' } });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const stream = await server.call('POST', '/account/audit-streams', { token: adminToken, body: { type: 'webhook', url: 'https://siem.invalid/agentdesk' } });
    assert.equal(stream.status, 201, JSON.stringify(stream.body));
    const scimToken = await server.call('POST', '/account/scim-tokens', { token: adminToken, body: { name: 'Okta' } });
    assert.equal(scimToken.status, 201, JSON.stringify(scimToken.body));

    // In order: the changes to others first, the admin's own (password, methods) last.
    const calls: Array<{ key: string; method: string; path: string; body?: unknown; raw?: string; headers?: Record<string, string>; allowed: number[] }> = [
      { key: 'PUT /account/security-settings', method: 'PUT', path: '/account/security-settings', body: { requireTwoFactor: false, acknowledged: true, enrollment: 'known_device' }, allowed: [200] },
      { key: 'POST /account/users', method: 'POST', path: '/account/users', body: { name: 'New Agent', email: 'new@declared.test', role: 'agent' }, allowed: [201] },
      { key: 'POST /account/audit-streams', method: 'POST', path: '/account/audit-streams', body: { type: 'syslog', url: 'tls://siem.invalid:6514' }, allowed: [201] },
      { key: 'DELETE /account/audit-streams/{id}', method: 'DELETE', path: `/account/audit-streams/${stream.body.id}`, allowed: [200] },
      { key: 'POST /account/scim-tokens', method: 'POST', path: '/account/scim-tokens', body: { name: 'Entra ID' }, allowed: [201] },
      { key: 'DELETE /account/scim-tokens/{id}', method: 'DELETE', path: `/account/scim-tokens/${scimToken.body.id}`, allowed: [200] },
      { key: 'PUT /account/security-key-policy', method: 'PUT', path: '/account/security-key-policy', body: { allowedAaguids: [], metadata: 'none' }, allowed: [200] },
      { key: 'PUT /account/session-policy', method: 'PUT', path: '/account/session-policy', body: { idleMinutes: 720, absoluteHours: 24, rememberDeviceDays: 30 }, allowed: [200] },
      { key: 'POST /sessions/current/remember-device', method: 'POST', path: '/sessions/current/remember-device', body: {}, allowed: [200] },
      { key: 'PUT /account/network-policy', method: 'PUT', path: '/account/network-policy', body: { allowedNetworks: ['127.0.0.0/8', '::1/128'] }, allowed: [200] },
      { key: 'PUT /account/groups/{id}/members', method: 'PUT', path: `/account/groups/${group.body.group.id}/members`, body: { userIds: [signedIn.id] }, allowed: [200] },
      { key: 'DELETE /account/groups/{id}', method: 'DELETE', path: `/account/groups/${group.body.group.id}`, allowed: [200] },
      { key: 'POST /account/users/import', method: 'POST', path: '/account/users/import', raw: 'name,email,role\r\nBulk Agent,bulk@declared.test,agent\r\n', headers: { 'content-type': 'text/csv' }, allowed: [201] },
      { key: 'POST /account/users/{id}/invitation', method: 'POST', path: `/account/users/${pendingAdmin.user.id}/invitation`, body: {}, allowed: [200] },
      { key: 'DELETE /account/users/{id}/invitation', method: 'DELETE', path: `/account/users/${pendingAdmin.user.id}/invitation`, allowed: [204] },
      { key: 'POST /account/users/{id}/password-reset', method: 'POST', path: `/account/users/${otherAdmin.id}/password-reset`, body: {}, allowed: [200] },
      { key: 'POST /account/users/{id}/enrollment-code', method: 'POST', path: `/account/users/${coded.id}/enrollment-code`, body: {}, allowed: [201] },
      { key: 'PATCH /account/users/{id}', method: 'PATCH', path: `/account/users/${deactivated.id}`, body: { status: 'active' }, allowed: [200] },
      { key: 'PATCH /account/users/{id}', method: 'PATCH', path: `/account/users/${promoted.id}`, body: { role: 'admin' }, allowed: [200] },
      { key: 'DELETE /account/users/{id}', method: 'DELETE', path: `/account/users/${deleted.id}`, allowed: [200] },
      { key: 'DELETE /account/users/{id}/two-factor', method: 'DELETE', path: `/account/users/${reset.id}/two-factor`, allowed: [200] },
      { key: 'DELETE /account/users/{id}/lockout', method: 'DELETE', path: `/account/users/${locked.id}/lockout`, allowed: [200] },
      { key: 'PUT /account/users/{id}/grace', method: 'PUT', path: `/account/users/${coded.id}/grace`, body: { signInsLeft: 3 }, allowed: [200] },
      { key: 'DELETE /account/users/{id}/remembered-devices', method: 'DELETE', path: `/account/users/${signedIn.id}/remembered-devices`, allowed: [200] },
      { key: 'DELETE /account/users/{id}/sessions', method: 'DELETE', path: `/account/users/${signedIn.id}/sessions`, allowed: [200] },
      // The access check comes first: after re-authentication these reach the provider's discovery (none here) or find no such provider.
      { key: 'POST /account/identity-providers', method: 'POST', path: '/account/identity-providers', body: { type: 'oidc', name: 'IdP', issuer: 'http://127.0.0.1:9', clientId: 'c', clientSecret: 's', trustMfa: false, jitProvisioning: false }, allowed: [422] },
      { key: 'PATCH /account/identity-providers/{id}', method: 'PATCH', path: '/account/identity-providers/none', body: { trustMfa: true }, allowed: [404] },
      { key: 'DELETE /account/identity-providers/{id}', method: 'DELETE', path: '/account/identity-providers/none', allowed: [404] },
      { key: 'PUT /account/sign-in-settings', method: 'PUT', path: '/account/sign-in-settings', body: { ssoOnly: false, breakGlassUserIds: [] }, allowed: [200] },
      { key: 'POST /me/methods/totp', method: 'POST', path: '/me/methods/totp', body: {}, allowed: [201] },
      { key: 'POST /me/methods/security-keys/options', method: 'POST', path: '/me/methods/security-keys/options', body: {}, allowed: [200] },
      { key: 'POST /me/recovery-codes', method: 'POST', path: '/me/recovery-codes', body: {}, allowed: [200] },
      { key: 'DELETE /me/methods/{id}', method: 'DELETE', path: `/me/methods/${secondApp.body.id}`, allowed: [200, 204] },
      { key: 'DELETE /me/sessions', method: 'DELETE', path: '/me/sessions', allowed: [200] },
      { key: 'PUT /me/password', method: 'PUT', path: '/me/password', body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 2026' }, allowed: [200] },
    ];
    const ops = new Set((await operations(server)).map((o) => o.key));
    const tried = calls.filter((c) => ops.has(c.key));

    await ageSecondFactor();
    for (const c of tried) {
      const before = await snapshot(server);
      const res = await server.call(c.method, c.path, { token: adminToken, body: c.body, raw: c.raw, headers: c.headers });
      assert.equal(res.status, 403, `${c.method} ${c.path} with a stale second factor: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'reauthentication_required', `${c.method} ${c.path}`);
      assert.equal(await snapshot(server), before, `${c.method} ${c.path} changed something though refused`);
    }

    await reauthenticate();
    for (const c of tried) {
      const res = await server.call(c.method, c.path, { token: adminToken, body: c.body, raw: c.raw, headers: c.headers });
      assert.ok(c.allowed.includes(res.status), `${c.method} ${c.path} after re-authentication: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.ok(adminMethods.length >= 1);
    // Every sensitive operation built on this server was tried.
    for (const key of Object.keys(SENSITIVE)) {
      if (ops.has(key) && !tried.some((c) => c.key === key)) {
        assert.ok(['POST /me/methods/totp/{id}/confirm', 'POST /me/methods/security-keys', 'DELETE /account/sessions', 'DELETE /me/sessions/{id}'].includes(key), `${key} not tried`);
      }
    }
    void pendingApp;
  });
});

describe('a stale admin session gives and restores no access (issue 18, HIGH)', () => {
  let server: TestServer;
  let adminToken: string;
  let adminId: string;
  const slug = 'stale';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminId = acc.user.id;
    adminToken = (await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token)).token;
  });
  after(() => server.close());

  const ageSecondFactor = () =>
    server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', adminId).where('revoked_at', 'is', null).execute();

  test("stale admin session sends a reset link for another admin: refused, no link, the other admin's password unchanged", async () => {
    // Attack: with a console left open past the 10-minute window, send a reset link for an admin
    // who has no method (without mail configured the link comes back in the answer), set their
    // password, sign in as them, add an app and reset the first admin's 2FA.
    const otto = await createUser(server, adminToken, slug, 'Otto', 'admin');
    await ageSecondFactor();
    const before = await server.db.selectFrom('user_links').select(['id']).where('user_id', '=', otto.id).execute();
    const res = await server.call('POST', `/account/users/${otto.id}/password-reset`, { token: adminToken, body: {} });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.equal(res.body.link, undefined);
    assert.deepEqual(await server.db.selectFrom('user_links').select(['id']).where('user_id', '=', otto.id).execute(), before);
    assert.ok((await signIn(server, slug, otto.email)).token, 'Otto still signs in with his own password');
  });

  test('stale admin session resends a pending admin invitation: refused, the old link still the only one', async () => {
    // Attack: resend a pending admin's invitation, accept the new link, and hold a new active admin.
    const invited = await (async () => {
      // Invited while the second factor was fresh.
      await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('user_id', '=', adminId).where('revoked_at', 'is', null).execute();
      return inviteUser(server, adminToken, { name: 'Ivy', email: 'ivy@stale.test', role: 'admin' });
    })();
    await ageSecondFactor();
    const res = await server.call('POST', `/account/users/${invited.user.id}/invitation`, { token: adminToken, body: {} });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.equal(res.body.invitation, undefined);
    // The link the admin handed over is still the one that works; no new one exists.
    const preview = await server.call('POST', '/invitations/preview', { body: { token: linkToken(invited.link) } });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
  });

  test('stale admin session reactivates a deactivated user or invites an agent: both refused', async () => {
    // Attack: reactivate a deactivated user, who then signs in; invite new agents.
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('user_id', '=', adminId).where('revoked_at', 'is', null).execute();
    const dan = await createUser(server, adminToken, slug, 'Dan');
    assert.equal((await server.call('PATCH', `/account/users/${dan.id}`, { token: adminToken, body: { status: 'deactivated' } })).status, 200);
    await ageSecondFactor();
    const reactivate = await server.call('PATCH', `/account/users/${dan.id}`, { token: adminToken, body: { status: 'active' } });
    assert.equal(reactivate.status, 403);
    assert.equal(reactivate.body.error.code, 'reauthentication_required');
    const signInAttempt = await server.call('POST', '/sessions', { body: { account: slug, email: dan.email, password: PASSWORD } });
    assert.equal(signInAttempt.status, 401, 'Dan stays deactivated');
    const invite = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Eve', email: 'eve@stale.test', role: 'agent' } });
    assert.equal(invite.status, 403);
    assert.equal(invite.body.error.code, 'reauthentication_required');
    assert.equal(await server.db.selectFrom('users').select('id').where('email', '=', 'eve@stale.test').executeTakeFirst(), undefined);
  });
});

describe('ending my own sessions', () => {
  test('ASVS 7.5.2: ending my own sessions needs a recent factor', async () => {
    // ASVS 7.5.2: users end their other sessions only after authenticating again; a stolen,
    // stale cookie cannot sign its owner out of the desks they are using.
    const server = await startTestServer({ openSignup: true });
    try {
      const acc = await createAccount(server, 'ends');
      const enrolled = await enrolTotp(server, (await signIn(server, 'ends', acc.user.email)).token);
      let token = enrolled.token;
      // Another desk of the same user (its second step still pending: still one of my sessions).
      const elsewhere = await signIn(server, 'ends', acc.user.email);
      await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', acc.user.id).where('second_factor_at', 'is not', null).execute();
      const mine = (await server.call('GET', '/me/sessions', { token })).body.sessions as { id: string; current: boolean }[];
      const theirs = mine.find((s) => !s.current)!;
      assert.ok(theirs, 'the other desk is listed');
      const live = async () => (await server.db.selectFrom('sessions').select('revoked_at').where('id', '=', theirs.id).executeTakeFirstOrThrow()).revoked_at === null;
      for (const [method, path] of [['DELETE', `/me/sessions/${theirs.id}`], ['DELETE', '/me/sessions']] as const) {
        const refused = await server.call(method, path, { token });
        assert.equal(refused.status, 403, path);
        assert.equal(refused.body.error.code, 'reauthentication_required');
      }
      assert.equal(await live(), true, 'the other session lives');
      const again = await server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'totp', code: totpCode(enrolled.secret, Date.now() + 30_000) } });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      token = again.body.token;
      assert.equal((await server.call('DELETE', `/me/sessions/${theirs.id}`, { token })).status, 204);
      assert.equal(await live(), false, 'ended after re-authentication');
      void elsewhere;
    } finally {
      await server.close();
    }
  });
});
