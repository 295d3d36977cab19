// Two server processes on one PostgreSQL database, as behind a load balancer: any instance
// serves any request, a revocation on one reaches event streams held by the other within a
// second, and limits and settings hold when requests are spread across both.
// Needs AGENTDESK_TEST_DATABASE_URL (scripts/test.mjs passes it on the PostgreSQL run).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, signIn, signInWithTotp, type ApiClient } from '../testing/harness.js';
import { openEvents, startInstances, type Instance } from '../testing/instances.js';
import { totpCode } from '../testing/totp-reference.js';

const adminUrl = process.env.AGENTDESK_TEST_DATABASE_URL || undefined;
const required = process.env.CI === 'true' || process.env.CI === '1' || process.env.AGENTDESK_REQUIRE_POSTGRES === '1';
const skip = adminUrl || required ? false : 'no PostgreSQL: set AGENTDESK_TEST_DATABASE_URL to run the multi-instance tests';

describe('several instances on one PostgreSQL database', { skip }, () => {
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  let a: Instance;
  let b: Instance;
  const slug = 'fleet';
  let admin: { email: string; secret: string; token: string };

  before(async () => {
    assert.ok(adminUrl, 'AGENTDESK_TEST_DATABASE_URL is required here (CI)');
    cluster = await startInstances(adminUrl, 2);
    [a, b] = cluster.instances as [Instance, Instance];
    const acc = await createAccount(a, slug);
    const first = await signIn(a, slug, acc.user.email);
    const { secret } = await enrolTotp(a, first.token);
    admin = { email: acc.user.email, secret, token: await signInWithTotp(b, slug, acc.user.email, secret) };
  });
  after(() => cluster?.close());

  /** A user with an authenticator app, created by the admin. */
  async function userWithTotp(via: ApiClient, name: string, role: 'agent' | 'admin' = 'agent') {
    const u = await createUser(via, admin.token, slug, name, role);
    const first = await signIn(via, slug, u.email);
    const enrolled = await enrolTotp(via, first.token);
    return { ...u, ...enrolled };
  }

  async function setRequired(via: Instance, token: string, requireTwoFactor: boolean) {
    return via.call('PUT', '/account/security-settings', { token, body: { requireTwoFactor, acknowledged: true } });
  }

  test('a session made on A is served by B, and the second step can be passed on the other instance', async () => {
    const u = await userWithTotp(a, 'Ada');
    const s = await signIn(a, slug, u.email);
    assert.equal(s.session.state, 'two_factor_required');
    // One code for both tries: computed twice, the two could fall on either side of a 30 s step
    // boundary, and the second would be a new code, rightly accepted (CI saw that: 200 !== 400).
    const code = totpCode(u.secret, Date.now() + 30_000);
    // The second step on B, then both instances know the session is active.
    const second = await b.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.session.state, 'active');
    // A new token, on both instances; the password step's one ended on both.
    const token = second.body.token as string;
    for (const via of [a, b]) {
      assert.equal((await via.call('GET', '/me', { token: s.token })).status, 401, via.name);
      const me = await via.call('GET', '/me', { token });
      assert.equal(me.status, 200, `${via.name}: ${JSON.stringify(me.body)}`);
      assert.equal(me.body.session.state, 'active');
    }
    // The same code is not accepted again on A (replay is checked in the shared store).
    const replay = await signIn(b, slug, u.email);
    const again = await a.call('POST', '/sessions/current/second-factor', { token: replay.token, body: { method: 'totp', code } });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'invalid_code');
    // Signing out on B ends the session on A too, and A's event stream of it is told.
    const stream = openEvents(a.base, token);
    await stream.ready;
    const out = await b.call('DELETE', '/sessions/current', { token });
    assert.equal(out.status, 204);
    assert.equal((await stream.next('session.revoked')).data.reason, 'signed_out');
    stream.close();
    assert.equal((await a.call('GET', '/me', { token })).status, 401);
  });

  test('enforcement saved on A signs out an agent whose event stream is held by B within a second', async (t) => {
    const agent = await createUser(a, admin.token, slug, 'Bo');
    const withKey = await userWithTotp(b, 'Cy');
    const agentSession = await signIn(a, slug, agent.email);
    assert.equal(agentSession.session.state, 'active');
    const keeperSession = await signInWithTotp(a, slug, withKey.email, withKey.secret);
    const streamOnB = openEvents(b.base, agentSession.token);
    const keeperStream = openEvents(b.base, keeperSession);
    await Promise.all([streamOnB.ready, keeperStream.ready]);

    const started = performance.now();
    const saved = await setRequired(a, admin.token, true);
    const answered = performance.now();
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.ok(saved.body.signedOutUsers >= 1);
    const revoked = await streamOnB.next('session.revoked', 1000);
    assert.equal(revoked.data.reason, 'two_factor_required');
    const latency = revoked.at - started;
    t.diagnostic(`save on A → session.revoked on B: ${latency.toFixed(0)} ms after the request was sent, ${(revoked.at - answered).toFixed(0)} ms after A answered`);
    assert.ok(latency < 1000, `took ${latency} ms`);
    // The user with a method keeps their session and their stream.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(keeperStream.events.filter((e) => e.event === 'session.revoked'), []);
    assert.equal((await b.call('GET', '/me', { token: keeperSession })).status, 200);
    const gone = await b.call('GET', '/me', { token: agentSession.token });
    assert.equal(gone.status, 401);
    streamOnB.close();
    keeperStream.close();
    // Back to off for the tests after this one.
    assert.equal((await setRequired(a, admin.token, false)).status, 200);
  });

  test('a revocation of thousands of sessions reaches every stream on the other instance (chunked notifications)', async (t) => {
    const agent = await createUser(a, admin.token, slug, 'Dot');
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await signIn(a, slug, agent.email));
    const streams = sessions.map((s) => openEvents(b.base, s.token));
    await Promise.all(streams.map((s) => s.ready));
    // Many more sessions of other users without 2FA than one notification can carry.
    const filler = await createUser(a, admin.token, slug, 'Filler');
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    try {
      // 3,000 live sessions of the filler user, straight into the store (the ids fill ~7 notifications).
      await client.query(
        `insert into sessions (id, token_hash, user_id, account_id, state, created_at, last_seen_at, expires_at)
         select 'bulk' || g, 'bulk-hash-' || g, u.id, u.account_id, 'active', $1::bigint, $1::bigint, $1::bigint + 3600000
         from users u, generate_series(1, 3000) g where u.email = $2`,
        [Date.now(), filler.email],
      );
    } finally {
      await client.end();
    }
    const started = performance.now();
    const saved = await setRequired(a, admin.token, true);
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.ok(saved.body.revokedSessions >= 3003, `revoked ${saved.body.revokedSessions}`);
    const arrivals = await Promise.all(streams.map((s) => s.next('session.revoked', 1000)));
    t.diagnostic(`${saved.body.revokedSessions} sessions revoked on A; last of ${streams.length} streams on B told after ${(Math.max(...arrivals.map((r) => r.at)) - started).toFixed(0)} ms`);
    for (const r of arrivals) assert.equal(r.data.reason, 'two_factor_required');
    for (const s of streams) s.close();
    assert.equal((await setRequired(a, admin.token, false)).status, 200);
  });

  test('parallel wrong codes spread across both instances cannot exceed the attempt limit', async () => {
    const u = await userWithTotp(a, 'Eli');
    const s = await signIn(b, slug, u.email);
    const right = totpCode(u.secret, Date.now() + 30_000);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: wrong } }),
      ),
    );
    const checked = results.filter((r) => r.body.error?.code === 'invalid_code').length;
    const throttled = results.filter((r) => r.status === 429).length;
    assert.equal(checked, 5, `checked ${checked} codes`);
    assert.equal(throttled, 35);
    for (const via of [a, b]) {
      const locked = await via.call('POST', '/sessions/current/second-factor', { token: s.token, body: { method: 'totp', code: right } });
      assert.equal(locked.status, 429, `${via.name} must refuse while locked`);
    }
  });

  test('two admins saving opposite settings at once on A and B leave a consistent state and an audit entry each', async () => {
    const second = await userWithTotp(a, 'Fay', 'admin');
    const secondToken = await signInWithTotp(b, slug, second.email, second.secret);
    const before = await a.call('GET', '/account/audit-events?limit=100', { token: admin.token });
    const beforeIds = new Set((before.body.events as { id: string }[]).map((e) => e.id));
    const rounds = 6;
    for (let i = 0; i < rounds; i++) {
      const [on, off] = await Promise.all([setRequired(a, admin.token, true), setRequired(b, secondToken, false)]);
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.equal(off.status, 200, JSON.stringify(off.body));
    }
    const after = await b.call('GET', '/account/audit-events?limit=100', { token: admin.token });
    const saves = (after.body.events as { id: string; action: string; details: any }[])
      .filter((e) => !beforeIds.has(e.id) && e.action === 'security_settings.updated')
      .reverse();
    assert.equal(saves.length, rounds * 2, 'one audit entry per save');
    // The entries form one history: each starts where the one before it ended...
    for (let i = 1; i < saves.length; i++) {
      assert.equal(saves[i]!.details.requireTwoFactor.from, saves[i - 1]!.details.requireTwoFactor.to, `entry ${i} starts where entry ${i - 1} ended`);
    }
    // ...and the stored setting is where the last one ended, on both instances.
    const last = saves.at(-1)!.details.requireTwoFactor.to;
    for (const via of [a, b]) {
      const now = await via.call('GET', '/account/security-settings', { token: admin.token });
      assert.equal(now.body.requireTwoFactor, last);
    }
    await setRequired(a, admin.token, false);
  });

  test('removing both methods at once on A and B while 2FA is required keeps one', async () => {
    const u = await userWithTotp(a, 'Gus');
    const signedIn = await signInWithTotp(a, slug, u.email, u.secret);
    // A second authenticator app (needs the recent second factor just passed).
    const add = await a.call('POST', '/me/methods/totp', { token: signedIn, body: { name: 'Tablet' } });
    assert.equal(add.status, 201);
    const confirm = await b.call('POST', `/me/methods/totp/${add.body.id}/confirm`, { token: signedIn, body: { code: totpCode(add.body.secret) } });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    const token = confirm.body.token as string;
    assert.equal((await setRequired(b, admin.token, true)).status, 200);
    const [first, second] = await Promise.all([
      a.call('DELETE', `/me/methods/${u.methodId}`, { token }),
      b.call('DELETE', `/me/methods/${add.body.id}`, { token }),
    ]);
    assert.deepEqual([first.status, second.status].sort(), [200, 409]);
    const me = await a.call('GET', '/me', { token });
    assert.equal(me.body.methods.length, 1);
    await setRequired(a, admin.token, false);
  });
});
