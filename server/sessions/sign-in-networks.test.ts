// Sign-in networks (issue 21, PRODUCT.md "Authentication policies"): an account may allow sign-in
// only from its office networks. Tested over real HTTP from distinct loopback addresses
// (127.0.0.1 is the office, 127.0.0.5 is elsewhere).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientAt } from '../testing/client-address.js';
import { createAccount, createUser, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { addressAllowed, checkNetworks, parseNetwork } from './sign-in-networks.js';

describe('sign-in networks: the rule', () => {
  test('IPv4 and IPv6 networks and single addresses are read; anything else is refused', () => {
    assert.deepEqual(parseNetwork('203.0.113.0/24'), { address: '203.0.113.0', prefix: 24, family: 'ipv4' });
    assert.deepEqual(parseNetwork('2001:db8::/32'), { address: '2001:db8::', prefix: 32, family: 'ipv6' });
    assert.deepEqual(parseNetwork('198.51.100.7'), { address: '198.51.100.7', prefix: 32, family: 'ipv4' });
    for (const bad of ['', 'office', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/ 8', '300.1.1.1/8', 'example.com/24']) {
      assert.equal(parseNetwork(bad), null, JSON.stringify(bad));
    }
    assert.deepEqual(checkNetworks([' 10.0.0.0/8 ', '::1']), ['10.0.0.0/8', '::1/128']);
    assert.throws(() => checkNetworks(Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`)), /At most 100/);
  });

  test('an address is judged by every network of the list; an IPv4 client on an IPv6 socket as IPv4', () => {
    const rule = JSON.stringify(['203.0.113.0/24', '2001:db8::/32']);
    assert.equal(addressAllowed(rule, '203.0.113.200'), true);
    assert.equal(addressAllowed(rule, '::ffff:203.0.113.9'), true);
    assert.equal(addressAllowed(rule, '2001:db8::42'), true);
    assert.equal(addressAllowed(rule, '203.0.114.1'), false);
    assert.equal(addressAllowed(rule, '2001:db9::1'), false);
    assert.equal(addressAllowed(rule, 'not an address'), false);
    assert.equal(addressAllowed(null, '192.0.2.1'), true, 'no rule: every address');
    assert.equal(addressAllowed('[]', '192.0.2.1'), true, 'an empty list: every address');
  });
});

describe('sign-in networks over HTTP', () => {
  let server: TestServer;
  let adminToken: string;
  let agentEmail: string;
  let outside: ReturnType<typeof clientAt>;
  const slug = 'office';
  const office = ['127.0.0.1/32', '::1/128'];

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const account = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, account.user.email)).token)).token;
    agentEmail = (await createUser(server, adminToken, slug, 'Agnes')).email;
    outside = clientAt(server.base, '127.0.0.5');
  });
  after(async () => {
    outside.close();
    await server.close();
  });

  const policy = async () => (await server.call('GET', '/account/network-policy', { token: adminToken })).body.allowedNetworks as string[];
  const save = (allowedNetworks: unknown) => server.call('PUT', '/account/network-policy', { token: adminToken, body: { allowedNetworks } });
  const audited = async () =>
    (await server.db.selectFrom('audit_events').select('details').where('action', '=', 'account.network_policy_changed').orderBy('id').execute()).map((r) => JSON.parse(r.details));

  test('a rule that leaves out the saving admin is refused, and nothing changes', async () => {
    // Attack (on oneself): a typo in the office range would sign the admin out of every session
    // and leave nobody able to undo it; saving must never lock out the admin who saves.
    const res = await save(['127.0.0.5/32']);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'network_policy_excludes_you');
    assert.deepEqual(await policy(), []);
    assert.deepEqual(await audited(), []);
  });

  test('bad networks get 400 with a stable code and change nothing', async () => {
    for (const bad of [['10.0.0.0/33'], ['office'], 'not a list', Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`), [42]]) {
      const res = await save(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.ok(['invalid_request', 'validation_failed'].includes(res.body.error.code), res.body.error.code);
    }
    assert.deepEqual(await policy(), []);
  });

  test('the office networks are saved, normalised and audited with before and after', async () => {
    const res = await save([...office, '10.20.0.0/16', '10.20.0.0/16']);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.allowedNetworks, [...office, '10.20.0.0/16']);
    assert.deepEqual(await policy(), [...office, '10.20.0.0/16']);
    assert.deepEqual(await audited(), [{ before: [], after: [...office, '10.20.0.0/16'] }]);
  });

  test('from outside, a right password, a wrong one and an unknown email get the same refusal, and lock nobody out', async () => {
    // Attack: a stolen password tried from home, or the guessing of passwords from anywhere
    // (and locking agents out by failing for them): outside the networks no secret is looked at.
    const answers = [];
    for (const [email, password] of [[agentEmail, PASSWORD], [agentEmail, 'wrong password 123'], ['nobody@office.test', PASSWORD]] as const) {
      const res = await outside.call('POST', '/sessions', { body: { account: slug, email, password } });
      answers.push({ status: res.status, body: res.body });
    }
    assert.equal(answers[0]!.status, 403);
    assert.equal(answers[0]!.body.error.code, 'network_not_allowed');
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    for (let i = 0; i < 12; i++) await outside.call('POST', '/sessions', { body: { account: slug, email: agentEmail, password: 'wrong password 123' } });
    assert.ok((await signIn(server, slug, agentEmail)).token, 'inside, the agent still signs in: nothing was counted against them');
  });

  test('a forged X-Forwarded-For does not bring an outside address in', async () => {
    // Attack: claim to be the office through a header; without AGENTDESK_TRUST_PROXY it is never read.
    const res = await outside.call('POST', '/sessions', { body: { account: slug, email: agentEmail, password: PASSWORD }, headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'network_not_allowed');
  });

  test('a session opened inside stops working outside; signing out still works from anywhere', async () => {
    // Attack: a token copied off an office computer and used from home.
    const token = (await signIn(server, slug, agentEmail)).token;
    assert.equal((await server.call('GET', '/me', { token })).status, 200);
    const away = await outside.call('GET', '/me', { token });
    assert.equal(away.status, 403);
    assert.equal(away.body.error.code, 'network_not_allowed');
    const signedOut = await outside.call('DELETE', '/sessions/current', { token });
    assert.ok(signedOut.status < 300, `sign-out from outside: ${signedOut.status} ${JSON.stringify(signedOut.body)}`);
    assert.equal((await server.call('GET', '/me', { token })).status, 401, 'the session has ended');
  });

  test('a passkey sign-in from outside is refused before a challenge is stored', async () => {
    await server.db.updateTable('accounts').set({ passwordless_sign_in: 1 }).where('slug', '=', slug).execute();
    const before = (await server.db.selectFrom('passkey_challenges').select('id').execute()).length;
    const res = await outside.call('POST', '/sessions/passkey-options', { body: { account: slug } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'network_not_allowed');
    assert.equal((await server.db.selectFrom('passkey_challenges').select('id').execute()).length, before);
    assert.equal((await server.call('POST', '/sessions/passkey-options', { body: { account: slug } })).status, 200, 'inside: options are given');
  });

  test('an empty list allows every network again', async () => {
    assert.equal((await save([])).status, 200);
    const res = await outside.call('POST', '/sessions', { body: { account: slug, email: agentEmail, password: PASSWORD } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});
