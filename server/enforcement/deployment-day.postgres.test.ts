// Deployment day on two server processes sharing one PostgreSQL database: at the time set the
// requirement takes effect exactly once (one audit entry, one set of revocations) however many
// instances are armed for it, every stream on either instance is told; and an instance that was
// down at the time applies it when it starts.
// Needs AGENTDESK_TEST_DATABASE_URL (scripts/test.mjs passes it on the PostgreSQL run).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openEvents, startInstance, startInstances, type Instance } from '../testing/instances.js';
import { accountWithAdmin, addUser, signInOn } from '../testing/rollout-helpers.js';

const adminUrl = process.env.AGENTDESK_TEST_DATABASE_URL || undefined;
const required = process.env.CI === 'true' || process.env.CI === '1' || process.env.AGENTDESK_REQUIRE_POSTGRES === '1';
const skip = adminUrl || required ? false : 'no PostgreSQL: set AGENTDESK_TEST_DATABASE_URL to run the multi-instance tests';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

describe('deployment day across instances', { skip }, () => {
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  let a: Instance;
  let b: Instance;
  const restarted: Instance[] = [];

  before(async () => {
    assert.ok(adminUrl, 'AGENTDESK_TEST_DATABASE_URL is required here (CI)');
    cluster = await startInstances(adminUrl, 2);
    [a, b] = cluster.instances as [Instance, Instance];
  });
  after(async () => {
    await Promise.all(restarted.map((i) => i.stop()));
    await cluster?.close();
  });

  async function deploymentDayEntries(via: Instance, token: string) {
    const res = await via.call('GET', '/account/audit-events?action=security_settings.updated&limit=200', { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.events as { actor: { id: string } | null; details: any }[]).filter((e) => e.details.deploymentDay);
  }

  test('both instances armed for the same time: applied once, streams on both told', async (t) => {
    const admin = await accountWithAdmin(a, 'fleet-day');
    const agents = await Promise.all(['Ada', 'Bo'].map((n) => addUser(a, admin.token, 'fleet-day', n)));
    const sessions = await Promise.all(agents.map((u) => signInOn(a, 'fleet-day', u.email)));
    const streams = [openEvents(a.base, sessions[0]!.token), openEvents(b.base, sessions[1]!.token)];
    await Promise.all(streams.map((s) => s.ready));
    // Far enough ahead that B's poll (every 5 s) has seen it and armed its own timer too.
    const startsAt = Date.now() + 6_500;
    const saved = await a.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: true, startsAt: new Date(startsAt).toISOString() } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const seen = await b.call('GET', '/account/security-settings', { token: admin.token });
    assert.equal(seen.body.scheduledAt, new Date(startsAt).toISOString());

    const arrivals = await Promise.all(streams.map((s) => s.next('session.revoked', 10_000)));
    const wall = (at: number) => Date.now() - (performance.now() - at);
    const delays = arrivals.map((r) => wall(r.at) - startsAt);
    t.diagnostic(`startsAt → session.revoked: on A ${delays[0]!.toFixed(0)} ms, on B ${delays[1]!.toFixed(0)} ms`);
    for (const r of arrivals) assert.equal(r.data.reason, 'two_factor_required');
    for (const d of delays) {
      assert.ok(d >= -20, `told ${-d} ms before the time`);
      assert.ok(d < 1000, `told ${d} ms after the time`);
    }
    for (const s of streams) s.close();
    // Give the losing instance time to have tried, then count: one entry, as the admin's change.
    await sleep(1_000);
    const entries = await deploymentDayEntries(b, admin.token);
    assert.equal(entries.length, 1, `applied ${entries.length} times`);
    assert.equal(entries[0]!.actor?.id, admin.adminId);
    assert.equal(entries[0]!.details.signedOutUsers, 2);
    for (const via of [a, b]) {
      const now = await via.call('GET', '/account/security-settings', { token: admin.token });
      assert.equal(now.body.requireTwoFactor, true);
      assert.equal(now.body.scheduledAt, null);
    }
  });

  test('an instance that was down at the time applies it when it starts; a second one started later applies nothing', async () => {
    const admin = await accountWithAdmin(a, 'fleet-down');
    const agent = await addUser(a, admin.token, 'fleet-down', 'Cy');
    const s = await signInOn(b, 'fleet-down', agent.email);
    const startsAt = Date.now() + 1_500;
    const saved = await a.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: true, startsAt: new Date(startsAt).toISOString() } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    // Every instance goes down before the time, and stays down past it.
    await Promise.all([a.stop(), b.stop()]);
    await sleep(startsAt - Date.now() + 1_000);
    const a2 = await startInstance('A2', a.port, cluster.env);
    restarted.push(a2);
    // Applied while it started: the first request already sees it.
    const gone = await a2.call('GET', '/me', { token: s.token });
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.reason, 'two_factor_required');
    const entries = await deploymentDayEntries(a2, admin.token);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.details.deploymentDay, new Date(startsAt).toISOString());
    const b2 = await startInstance('B2', b.port, cluster.env);
    restarted.push(b2);
    await sleep(300);
    assert.equal((await deploymentDayEntries(b2, admin.token)).length, 1);
  });
});
