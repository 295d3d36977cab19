// Throttling that stops attackers but never a contact centre (PRODUCT.md "Security rules"):
// every limit reserved before the secret is checked, per-address limits that one agent's typos
// cannot fill for another, a lock a known device still passes, back-off that grows, successes
// that count for nothing, and only the configured proxies' X-Forwarded-For hops believed.
// Clients come from distinct loopback addresses (an office NAT, an attacker elsewhere).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrustProxy } from '../config.js';
import { clientAt } from '../testing/client-address.js';
import { createAccount, createUser, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';

const wrongCode = (secret: string) => String((Number(totpCode(secret, Date.now() + 30_000)) + 1) % 1_000_000).padStart(6, '0');

describe('throttling', () => {
  let server: TestServer;
  let adminToken: string;
  let adminSecret: string;
  let adminEmail: string;
  const slug = 'floor';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminEmail = acc.user.email;
    const enrolled = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    adminToken = enrolled.token;
    adminSecret = enrolled.secret;
  });
  after(() => server.close());

  const signInBody = (email: string, password = PASSWORD, deviceToken?: string) => ({ body: { account: slug, email, password, ...(deviceToken ? { deviceToken } : {}) } });

  test('per-address limit is reserved before hashing: 400 parallel wrong sign-ins from one address, at most 100 hashed', async () => {
    // Attack: password spraying from one address, 400 guesses at once, each a different email,
    // so that only the address limit stands in the way; before, all 400 were hashed.
    const attacker = clientAt(server.base, '127.0.0.4');
    const agent = clientAt(server.base, '127.0.0.5');
    const agentUser = await createUser(server, adminToken, slug, 'Quinn');
    try {
      const flood = Promise.all(Array.from({ length: 400 }, (_, i) => attacker.call('POST', '/sessions', signInBody(`spray${i}@floor.test`, 'wrong password'))));
      // Meanwhile an agent elsewhere signs in as usual.
      const meanwhile = await agent.call('POST', '/sessions', signInBody(agentUser.email));
      assert.equal(meanwhile.status, 201);
      const results = await flood;
      const hashed = results.filter((r) => r.status === 401).length;
      const refused = results.filter((r) => r.status === 429);
      assert.ok(hashed <= 100, `${hashed} hashed`);
      assert.equal(hashed + refused.length, 400);
      assert.ok(refused.some((r) => r.body.error.locked === true));
      // The address is locked for unknown devices now…
      assert.equal((await attacker.call('POST', '/sessions', signInBody(agentUser.email))).status, 429);
    } finally {
      attacker.close();
      agent.close();
    }
  });

  test('one floor cannot lock itself out: ten agents behind one address each typing five wrong codes block nobody else', async () => {
    // Attack (or just shift start): ten agents behind the office NAT each mistype their code
    // five times; before, the address was locked and every other agent's correct code refused.
    const office = clientAt(server.base, '127.0.0.6');
    try {
      const agents = [];
      for (let i = 0; i < 11; i++) {
        const u = await createUser(server, adminToken, slug, `Desk${i}`);
        const { secret } = await enrolTotp(server, (await signIn(server, slug, u.email)).token);
        agents.push({ ...u, secret });
      }
      const typists = agents.slice(0, 10);
      for (const a of typists) {
        const s = await office.call('POST', '/sessions', signInBody(a.email));
        assert.equal(s.status, 201);
        for (let k = 0; k < 5; k++) {
          const res = await office.call('POST', '/sessions/current/second-factor', { token: s.body.token, body: { method: 'totp', code: wrongCode(a.secret) } });
          assert.equal(res.status, 400);
        }
        // Their own fifth mistake locked their own second step, recovery codes included.
        const recovery = await office.call('POST', '/sessions/current/second-factor', { token: s.body.token, body: { method: 'recovery_code', code: 'aaaaa-bbbbb' } });
        assert.equal(recovery.status, 429);
        assert.equal(recovery.body.error.locked, true);
        assert.match(recovery.body.error.message, /administrator/);
      }
      // The eleventh agent and the admin, same address: correct codes pass.
      const eleventh = agents[10]!;
      const s = await office.call('POST', '/sessions', signInBody(eleventh.email));
      const ok = await office.call('POST', '/sessions/current/second-factor', { token: s.body.token, body: { method: 'totp', code: totpCode(eleventh.secret, Date.now() + 30_000) } });
      assert.equal(ok.status, 200);
      const admin = await office.call('POST', '/sessions', signInBody(adminEmail));
      const adminOk = await office.call('POST', '/sessions/current/second-factor', { token: admin.body.token, body: { method: 'totp', code: totpCode(adminSecret, Date.now() + 30_000) } });
      assert.equal(adminOk.status, 200);
      adminToken = adminOk.body.token;

      // Each lock-out is in the audit log with the address, and on the user for the admins.
      const audit = await server.call('GET', '/account/audit-events?limit=100', { token: adminToken });
      const lockouts = audit.body.events.filter((e: { action: string }) => e.action === 'sign_in.locked_out');
      assert.equal(lockouts.length, 10);
      const locked = await server.db.selectFrom('users').select(['id', 'locked_until']).where('id', 'in', typists.map((a) => a.id)).execute();
      assert.ok(locked.every((u) => Number(u.locked_until) > Date.now()));

      // The admin lifts one agent's lock-out (a sensitive change), and that agent gets in.
      const first = typists[0]!;
      const lift = await server.call('DELETE', `/account/users/${first.id}/lockout`, { token: adminToken });
      assert.equal(lift.status, 200);
      assert.equal(lift.body.lifted, true);
      assert.deepEqual(lift.body.lockouts.map((l: { kind: string }) => l.kind), ['new_devices']);
      const again = await office.call('POST', '/sessions', signInBody(first.email));
      const passed = await office.call('POST', '/sessions/current/second-factor', { token: again.body.token, body: { method: 'totp', code: totpCode(first.secret, Date.now() + 30_000) } });
      assert.equal(passed.status, 200);
      const row = await server.db.selectFrom('users').select('locked_until').where('id', '=', first.id).executeTakeFirstOrThrow();
      assert.equal(row.locked_until, null);
    } finally {
      office.close();
    }
  });

  test('one agent\'s wrong passwords never lock another agent behind the same address', async () => {
    // Attack (or shift start): agents behind one NAT each mistype their password at their own
    // desks; before, one address-wide window filled up for all of them. Per user and address,
    // each agent's mistakes are their own; a desk they signed in on before has its own budget
    // and is never counted against the address.
    const office = clientAt(server.base, '127.0.0.9');
    try {
      const agents = [];
      for (let i = 0; i < 12; i++) {
        const u = await createUser(server, adminToken, slug, `Nat${i}`);
        const desk = await office.call('POST', '/sessions', signInBody(u.email));
        agents.push({ ...u, deviceToken: desk.body.deviceToken as string });
      }
      for (const a of agents.slice(0, 11)) {
        for (let k = 0; k < 10; k++) assert.equal((await office.call('POST', '/sessions', signInBody(a.email, 'wrong password', a.deviceToken))).status, 401);
        assert.equal((await office.call('POST', '/sessions', signInBody(a.email, PASSWORD, a.deviceToken))).status, 429, 'their own desk, locked by their own typos');
      }
      // 110 wrong passwords from the address: the twelfth agent at their desk, and a new agent
      // on a desk nobody used, both get in.
      const last = agents[11]!;
      assert.equal((await office.call('POST', '/sessions', signInBody(last.email, PASSWORD, last.deviceToken))).status, 201);
      const newcomer = await createUser(server, adminToken, slug, 'Newcomer');
      assert.equal((await office.call('POST', '/sessions', signInBody(newcomer.email))).status, 201);
    } finally {
      office.close();
    }
  });

  test('renewable victim lock-out: an attacker who knows the email cannot keep the owner out; the back-off grows', async () => {
    // Attack: ten wrong passwords per window from anywhere kept an agent out forever, and the
    // 429 said when to send the next ten.
    const vic = await createUser(server, adminToken, slug, 'Vic');
    const desk = await server.call('POST', '/sessions', signInBody(vic.email));
    assert.equal(desk.status, 201);
    assert.equal(desk.body.session.state, 'active');
    const deviceToken = desk.body.deviceToken as string;
    assert.match(deviceToken, /^[A-Za-z0-9_-]{43}$/);
    const attackers = [7, 8, 10, 11, 12, 13].map((n) => clientAt(server.base, `127.0.0.${n}`));
    try {
      let refused = 0;
      for (const a of attackers) {
        for (let k = 0; k < 10; k++) {
          const res = await a.call('POST', '/sessions', signInBody(vic.email, 'wrong password'));
          if (res.status === 429) refused += 1;
        }
      }
      assert.ok(refused > 0, 'the user-wide limit locked');
      // A new device is refused, and told how long and whom to ask…
      const newDevice = await server.call('POST', '/sessions', signInBody(vic.email));
      assert.equal(newDevice.status, 429);
      assert.equal(newDevice.body.error.locked, true);
      assert.match(newDevice.body.error.message, /ask an administrator/);
      // …but Vic's own desk, which signed in before, gets in.
      const known = await server.call('POST', '/sessions', signInBody(vic.email, PASSWORD, deviceToken));
      assert.equal(known.status, 201);
      assert.equal(known.body.deviceToken, deviceToken);
      // The lock runs out; the next wrong guess locks again, for longer (1 min, then 2, 4 …).
      const key = `pw:u:${slug}:${vic.email}`;
      const before = await server.db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
      const firstLock = Number(before.locked_until) - Number(before.last_failure_at);
      await server.db.updateTable('throttles').set({ locked_until: Date.now() - 1 }).where('key', '=', key).execute();
      const elsewhere = clientAt(server.base, '127.0.0.14');
      assert.equal((await elsewhere.call('POST', '/sessions', signInBody(vic.email, 'wrong password'))).status, 401);
      elsewhere.close();
      const afterRow = await server.db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
      const secondLock = Number(afterRow.locked_until) - Number(afterRow.last_failure_at);
      assert.ok(secondLock >= 2 * firstLock, `${secondLock} ms after ${firstLock} ms`);
    } finally {
      for (const a of attackers) a.close();
    }
  });

  test('parallel correct sign-ins of one user all succeed: successes never count against a limit', async () => {
    // Before, 20 parallel correct sign-ins of one user were partly refused.
    const pat = await createUser(server, adminToken, slug, 'Pat');
    const desk = clientAt(server.base, '127.0.0.15');
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => desk.call('POST', '/sessions', signInBody(pat.email))));
      assert.deepEqual(results.map((r) => r.status), Array(20).fill(201));
      // And the same user's wrong attempts afterwards still start from zero.
      for (let k = 0; k < 9; k++) assert.equal((await desk.call('POST', '/sessions', signInBody(pat.email, 'wrong password'))).status, 401);
      assert.equal((await desk.call('POST', '/sessions', signInBody(pat.email))).status, 201);
    } finally {
      desk.close();
    }
  });

  test('lifting a lock-out needs an admin with a recent second factor, and bad ids change nothing', async () => {
    const target = await createUser(server, adminToken, slug, 'Lee');
    const other = await createUser(server, adminToken, slug, 'Ola', 'admin');
    const otherAdmin = await enrolTotp(server, (await signIn(server, slug, other.email)).token);
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', other.id).execute();
    const stale = await server.call('DELETE', `/account/users/${target.id}/lockout`, { token: otherAdmin.token });
    assert.equal(stale.status, 403);
    assert.equal(stale.body.error.code, 'reauthentication_required');
    const missing = await server.call('DELETE', '/account/users/doesNotExist1/lockout', { token: adminToken });
    assert.equal(missing.status, 404);
    const bad = await server.call('DELETE', '/account/users/%20%20/lockout', { token: adminToken });
    assert.equal(bad.status, 400);
  });
});

describe('throttling behind a proxy', () => {
  let server: TestServer;
  const slug = 'proxied';
  let adminToken: string;

  before(async () => {
    // One load balancer in front: only the right-most X-Forwarded-For hop (the one it appended) is believed.
    server = await startTestServer({ openSignup: true, trustProxy: 1 });
    const acc = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token)).token;
  });
  after(() => server.close());

  test('AGENTDESK_TRUST_PROXY takes a hop count or the proxies\' addresses, never "trust everything"', () => {
    assert.equal(parseTrustProxy(undefined), false);
    assert.equal(parseTrustProxy('0'), false);
    assert.equal(parseTrustProxy('1'), 1);
    assert.equal(parseTrustProxy('2'), 2);
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, 127.0.0.1'), ['10.0.0.0/8', '127.0.0.1']);
  });

  test('forged X-Forwarded-For: changing the left-most hop neither evades a limit nor blocks the centre\'s address', async () => {
    // Attack: with AGENTDESK_TRUST_PROXY=1 the client's own left-most X-Forwarded-For was
    // trusted: the attacker evaded limits by changing it, and could get the centre's shared
    // address blocked by naming it.
    const bea = await createUser(server, adminToken, slug, 'Bea');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      // What reaches us through the proxy: the attacker's forged hop, then their real address.
      const res = await server.call('POST', '/sessions', { body: { account: slug, email: bea.email, password: 'wrong password' }, headers: { 'x-forwarded-for': `10.9.8.${i}, 198.51.100.7` } });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
    // Naming the centre's address in the forged hop blames the attacker's own address only.
    const spray = await Promise.all(Array.from({ length: 110 }, (_, i) => server.call('POST', '/sessions', { body: { account: slug, email: `nobody${i}@proxied.test`, password: 'x' }, headers: { 'x-forwarded-for': '192.0.2.10, 198.51.100.66' } })));
    assert.ok(spray.some((r) => r.status === 429));
    const agent = await createUser(server, adminToken, slug, 'Cy');
    const centre = await server.call('POST', '/sessions', { body: { account: slug, email: agent.email, password: PASSWORD }, headers: { 'x-forwarded-for': '192.0.2.10' } });
    assert.equal(centre.status, 201);
  });
});
