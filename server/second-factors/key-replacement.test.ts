// Keys outside a new security-key rule (issue 21, PRODUCT.md "Authentication policies"): saving a
// rule that refuses keys already registered counts them in the preview, and from the save on
// they pass nothing and must be replaced; users they leave without a method while 2FA is
// required are signed out at once, as the requirement signs out users without one, and enrol at
// next sign-in. Real server, real event streams.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeRoot, type TestCertificate } from '../testing/fido-metadata.js';
import { openEvents } from '../testing/event-stream.js';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { SoftAuthenticator, type SoftCredential } from '../testing/soft-webauthn.js';
import { totpCode } from '../testing/totp-reference.js';

const ALLOWED = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';

describe('keys outside a new security-key rule', () => {
  let server: TestServer;
  let origin: string;
  let adminToken: string;
  const slug = 'key-replacement';
  let vendorRoot: TestCertificate;
  let rule: { allowedAaguids: string[]; metadata: 'own_roots'; trustedRoots: string[] };
  // Kim: only a key, registered before any rule. Ana: an app and such a key. Lee: no method yet.
  let kim: { id: string; email: string };
  let ana: { id: string; email: string };
  let lee: { id: string; email: string };
  let kimKey: { credential: SoftCredential; key: SoftAuthenticator; methodId: string };
  let anaKey: { credential: SoftCredential; key: SoftAuthenticator; methodId: string };
  let anaSecret: string;
  let kimToken: string;
  let anaToken: string;

  before(async () => {
    vendorRoot = await makeRoot('Test Keys Attestation Root');
    rule = { allowedAaguids: [ALLOWED], metadata: 'own_roots', trustedRoots: [vendorRoot.pem] };
    server = await startTestServer({ openSignup: true });
    origin = new URL(server.url).origin;
    const account = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, account.user.email)).token)).token;
    kim = await createUser(server, adminToken, slug, 'Kim');
    ana = await createUser(server, adminToken, slug, 'Ana');
    lee = await createUser(server, adminToken, slug, 'Lee');
    const kimFirst = await addKey((await signIn(server, slug, kim.email)).token);
    kimKey = kimFirst;
    kimToken = kimFirst.token;
    const anaApp = await enrolTotp(server, (await signIn(server, slug, ana.email)).token);
    anaSecret = anaApp.secret;
    const anaSecond = await addKey(anaApp.token);
    anaKey = anaSecond;
    anaToken = anaSecond.token;
    const required = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(required.status, 200, JSON.stringify(required.body));
  });
  after(() => server.close());

  /** Adds a key without attestation (no rule yet): outside every rule that comes. */
  async function addKey(token: string) {
    const options = await server.call('POST', '/me/methods/security-keys/options', { token, body: {} });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const key = new SoftAuthenticator();
    const { credential, response } = key.createCredential(options.body, origin);
    const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Old key', response } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { credential, key, methodId: res.body.method.id as string, token: res.body.token as string };
  }

  /** The key's answer to a fresh challenge of this session (second step or re-authentication). */
  async function useKey(token: string, { key, credential }: { key: SoftAuthenticator; credential: SoftCredential }) {
    const options = await server.call('POST', '/sessions/current/security-key-options', { token, body: {} });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const response = key.getAssertion(credential, options.body, origin);
    return server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'security_key', response } });
  }

  const policy = async () => (await server.call('GET', '/account/security-key-policy', { token: adminToken })).body;
  const outsideFlags = async () =>
    (await server.db.selectFrom('methods').select(['id', 'outside_rule']).where('type', '=', 'security_key').orderBy('id').execute()).map((m) => `${m.id}:${m.outside_rule}`);
  const liveSessions = async () =>
    Number((await server.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('revoked_at', 'is', null).executeTakeFirstOrThrow()).n);
  const ruleChanges = async () =>
    Number((await server.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'account.security_key_policy_changed').executeTakeFirstOrThrow()).n);

  test('the preview counts the keys outside the rule and the users it signs out, and saves nothing', async () => {
    const before = { policy: await policy(), flags: await outsideFlags(), sessions: await liveSessions(), changes: await ruleChanges() };
    const preview = await server.call('POST', '/account/security-key-policy/preview', { token: adminToken, body: rule });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.keysOutsideRule, 2, "Kim's key and Ana's");
    assert.equal(preview.body.usersWithoutMethod, 1, 'Kim: Ana still has her app');
    assert.equal(preview.body.signedOutUsers, 1, '2FA is required: Kim is signed out');
    assert.deepEqual({ policy: await policy(), flags: await outsideFlags(), sessions: await liveSessions(), changes: await ruleChanges() }, before);
  });

  test('bad input and a save without "I understand" are refused, and change nothing', async () => {
    // Attack: a save that signs users out slipped through without the admin's acknowledgement, or with malformed input.
    const before = { policy: await policy(), flags: await outsideFlags(), sessions: await liveSessions(), changes: await ruleChanges() };
    const unacknowledged = await server.call('PUT', '/account/security-key-policy', { token: adminToken, body: rule });
    assert.equal(unacknowledged.status, 400);
    assert.equal(unacknowledged.body.error.code, 'acknowledgement_required');
    const notBoolean = await server.call('PUT', '/account/security-key-policy', { token: adminToken, body: { ...rule, acknowledged: 'yes' } });
    assert.equal(notBoolean.status, 400);
    assert.equal(notBoolean.body.error.code, 'invalid_request');
    const badRoots = await server.call('PUT', '/account/security-key-policy', { token: adminToken, body: { ...rule, trustedRoots: ['junk'], acknowledged: true } });
    assert.equal(badRoots.status, 400);
    assert.equal(badRoots.body.error.code, 'trusted_roots_invalid');
    assert.deepEqual({ policy: await policy(), flags: await outsideFlags(), sessions: await liveSessions(), changes: await ruleChanges() }, before);
    assert.equal((await server.call('GET', '/me', { token: kimToken })).status, 200, 'Kim is still signed in');
  });

  test('a saved rule signs out at once the user whose only key it refuses; the key passes nothing; they enrol at next sign-in', async () => {
    // Attack: a key of a refused model still signs in (second step, re-authentication, a session from before the rule).
    const kimPending = await signIn(server, slug, kim.email);
    assert.equal(kimPending.session.state, 'two_factor_required');
    const leeEnrolling = await signIn(server, slug, lee.email);
    assert.equal(leeEnrolling.session.state, 'enrollment_required');
    const kimStream = openEvents(server.base, kimToken);
    const anaStream = openEvents(server.base, anaToken);
    await Promise.all([kimStream.ready, anaStream.ready]);

    const saved = await server.call('PUT', '/account/security-key-policy', { token: adminToken, body: { ...rule, acknowledged: true } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.keysOutsideRule, 2);
    assert.equal(saved.body.usersWithoutMethod, 1);
    assert.equal(saved.body.signedOutUsers, 1);
    assert.equal(saved.body.revokedSessions, 2, "Kim's active session and the one at the second step");

    assert.deepEqual((await kimStream.next('session.revoked')).data, { reason: 'two_factor_required' });
    const me = await server.call('GET', '/me', { token: kimToken });
    assert.equal(me.status, 401);
    assert.equal(me.body.error.reason, 'two_factor_required');
    const pendingOptions = await server.call('POST', '/sessions/current/security-key-options', { token: kimPending.token, body: {} });
    assert.equal(pendingOptions.status, 401, 'the pending second step ended with the rest');

    // At next sign-in Kim has no method: she sets one up (her key is listed as to be replaced).
    const again = await signIn(server, slug, kim.email);
    assert.equal(again.session.state, 'enrollment_required');
    const kimMe = await server.call('GET', '/me', { token: again.token });
    assert.equal(kimMe.status, 200);
    assert.deepEqual(
      kimMe.body.methods.map((m: { id: string; outsideRule?: boolean }) => [m.id, m.outsideRule]),
      [[kimKey.methodId, true]],
    );

    // Ana keeps her sessions (she has her app) and hears nothing; her key passes neither step.
    assert.equal((await server.call('GET', '/me', { token: anaToken })).status, 200);
    assert.equal(anaStream.events.some((e) => e.event === 'session.revoked'), false);
    const reauth = await useKey(anaToken, anaKey);
    assert.equal(reauth.status, 403, JSON.stringify(reauth.body));
    assert.equal(reauth.body.error.code, 'security_key_model_not_allowed');
    const anaPending = await signIn(server, slug, ana.email);
    assert.equal(anaPending.session.state, 'two_factor_required');
    const step = await useKey(anaPending.token, anaKey);
    assert.equal(step.status, 403);
    assert.equal(step.body.error.code, 'security_key_model_not_allowed');
    const refusedSession = await server.db.selectFrom('sessions').select(['state', 'second_factor_at']).where('user_id', '=', ana.id).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual(refusedSession, { state: 'two_factor_required', second_factor_at: null }, 'the refused key passed nothing');
    const app = await server.call('POST', '/sessions/current/second-factor', { token: anaPending.token, body: { method: 'totp', code: totpCode(anaSecret, Date.now() + 30_000) } });
    assert.equal(app.status, 200, 'her app passes');
    assert.equal(app.body.session.state, 'active');

    // A user mid-enrolment for another reason is left alone.
    assert.equal((await server.call('GET', '/me', { token: leeEnrolling.token })).status, 200);

    const entry = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'account.security_key_policy_changed').orderBy('at', 'desc').executeTakeFirstOrThrow();
    const details = JSON.parse(entry.details);
    assert.deepEqual([details.keysOutsideRule, details.usersWithoutMethod, details.signedOutUsers, details.revokedSessions], [2, 1, 1, 2]);
    kimStream.close();
    anaStream.close();
  });

  test('a key outside the rule can be removed once a new method is set up, which comes with recovery codes', async () => {
    const enrolling = await signIn(server, slug, kim.email);
    const enrolled = await enrolTotp(server, enrolling.token);
    assert.ok(enrolled.recoveryCodes?.length, 'her first method that counts comes with recovery codes');
    const removed = await server.call('DELETE', `/me/methods/${kimKey.methodId}`, { token: enrolled.token });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(await server.db.selectFrom('methods').select('id').where('user_id', '=', kim.id).where('type', '=', 'security_key').execute(), []);
  });

  test('taking the rule away makes the keys count again', async () => {
    const off = await server.call('PUT', '/account/security-key-policy', { token: adminToken, body: { allowedAaguids: [], metadata: 'none' } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.keysOutsideRule, 0);
    assert.deepEqual(await server.db.selectFrom('methods').select('id').where('outside_rule', '=', 1).execute(), []);
    const flags = await server.db.selectFrom('users').select(['has_two_factor', 'has_security_key']).where('id', '=', ana.id).executeTakeFirstOrThrow();
    assert.deepEqual(flags, { has_two_factor: 1, has_security_key: 1 });
    const pending = await signIn(server, slug, ana.email);
    assert.equal((await useKey(pending.token, anaKey)).status, 200, 'her key passes again');
  });

  test('2FA required of admins only: an agent whose only key the rule refuses loses it as a method but is not signed out', async () => {
    const other = await createAccount(server, 'key-scope');
    const admin = (await enrolTotp(server, (await signIn(server, 'key-scope', other.user.email)).token)).token;
    const agent = await createUser(server, admin, 'key-scope', 'Rui');
    const { token: agentToken } = await addKey((await signIn(server, 'key-scope', agent.email)).token);
    const scoped = await server.call('PUT', '/account/security-settings', { token: admin, body: { requireTwoFactor: true, acknowledged: true, appliesTo: { everyone: false, roles: ['admin'], groupIds: [] } } });
    assert.equal(scoped.status, 200, JSON.stringify(scoped.body));
    const preview = await server.call('POST', '/account/security-key-policy/preview', { token: admin, body: rule });
    assert.deepEqual([preview.body.keysOutsideRule, preview.body.usersWithoutMethod, preview.body.signedOutUsers], [1, 1, 0]);
    const saved = await server.call('PUT', '/account/security-key-policy', { token: admin, body: rule });
    assert.equal(saved.status, 200, 'nobody is signed out: no "I understand" needed');
    assert.equal(saved.body.revokedSessions, 0);
    assert.equal((await server.call('GET', '/me', { token: agentToken })).status, 200);
    const flags = await server.db.selectFrom('users').select(['has_two_factor', 'has_security_key']).where('id', '=', agent.id).executeTakeFirstOrThrow();
    assert.deepEqual(flags, { has_two_factor: 0, has_security_key: 0 }, 'the key counts for nothing');
    assert.equal((await signIn(server, 'key-scope', agent.email)).session.state, 'active', 'not required of him: no second step, no enrolment');
  });

  test("a rule that would refuse the saving admin's only key is refused, and changes nothing", async () => {
    // Attack: an admin locking themselves (and with them the account's last way to undo it) out.
    const admin2 = await createUser(server, adminToken, slug, 'Noor', 'admin');
    const { token } = await addKey((await signIn(server, slug, admin2.email)).token);
    const before = { policy: await policy(), flags: await outsideFlags(), sessions: await liveSessions(), changes: await ruleChanges() };
    const res = await server.call('PUT', '/account/security-key-policy', { token, body: { ...rule, acknowledged: true } });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'admin_method_required');
    assert.deepEqual({ policy: await policy(), flags: await outsideFlags(), sessions: await liveSessions(), changes: await ruleChanges() }, before);
  });
});
