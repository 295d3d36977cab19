// Rolling 2FA out (issue 12) against a real server on a real port: the deployment day, who may
// enrol at next sign-in (known devices and enrolment codes), and bad input on the new routes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { applyDueSchedules } from './schedule.js';
import { accountWithAdmin, addTotp, addUser, passTotp, signInOn } from '../testing/rollout-helpers.js';

async function auditOf(server: TestServer, token: string, query = '') {
  const res = await server.call('GET', `/account/audit-events?limit=200${query}`, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events as { id: string; action: string; actor: { id: string } | null; subject: { id: string } | null; details: any; address: string | null; userAgent: string | null; deviceId: string | null }[];
}

describe('Deployment day', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'dday';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
  });
  after(() => server.close());

  const put = (body: unknown, token = admin.token) => server.call('PUT', '/account/security-settings', { token, body });
  const settings = async () => (await server.call('GET', '/account/security-settings', { token: admin.token })).body;

  test('bad schedules are refused with a clear code and change nothing', async () => {
    const inAMinute = new Date(Date.now() + 60_000).toISOString();
    const cases: [unknown, number, string][] = [
      [{ requireTwoFactor: true, acknowledged: true, startsAt: new Date(Date.now() - 1000).toISOString() }, 400, 'schedule_in_past'],
      [{ requireTwoFactor: true, acknowledged: true, startsAt: 'next monday' }, 400, 'invalid_request'],
      [{ requireTwoFactor: true, acknowledged: true, startsAt: 12345 }, 400, 'invalid_request'],
      [{ requireTwoFactor: false, acknowledged: true, startsAt: inAMinute }, 400, 'invalid_request'],
      [{ requireTwoFactor: true, acknowledged: true, startsAt: new Date(Date.now() + 400 * 86_400_000).toISOString() }, 400, 'invalid_request'],
      [{ requireTwoFactor: true, acknowledged: false, startsAt: inAMinute }, 400, 'acknowledgement_required'],
      [{ requireTwoFactor: true, acknowledged: true, enrollment: 'anyone' }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await put(body);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code);
    }
    const now = await settings();
    assert.equal(now.scheduledAt, null);
    assert.equal(now.requireTwoFactor, false);
  });

  test('an agent cannot schedule, and an admin without a method cannot either', async () => {
    const agent = await addUser(server, admin.token, slug, 'Petra');
    const s = await signInOn(server, slug, agent.email);
    const res = await put({ requireTwoFactor: true, acknowledged: true, startsAt: new Date(Date.now() + 60_000).toISOString() }, s.token);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
    const other = await addUser(server, admin.token, slug, 'Nadmin', 'admin').catch(() => undefined);
    if (other) {
      const o = await signInOn(server, slug, other.email);
      const refused = await put({ requireTwoFactor: true, acknowledged: true, startsAt: new Date(Date.now() + 60_000).toISOString() }, o.token);
      assert.equal(refused.body.error.code, 'admin_method_required');
    }
    assert.equal((await settings()).scheduledAt, null);
  });

  test('a schedule is stored, shown to every user without a method, moved and cancelled', async () => {
    const agent = await addUser(server, admin.token, slug, 'Mia');
    const s = await signInOn(server, slug, agent.email);
    const monday = new Date(Date.now() + 3 * 86_400_000);
    monday.setUTCSeconds(0, 0);
    const saved = await put({ requireTwoFactor: true, acknowledged: true, startsAt: monday.toISOString() });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body, { requireTwoFactor: false, signedOutUsers: 0, revokedSessions: 0, scheduledAt: monday.toISOString() });
    const read = await settings();
    assert.equal(read.scheduledAt, monday.toISOString());
    assert.equal(read.scheduledBy.id, admin.adminId);
    assert.equal(read.requireTwoFactor, false);
    // The agent is still signed in, and sees when 2FA becomes required.
    const me = await server.call('GET', '/me', { token: s.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.account.twoFactorScheduledAt, monday.toISOString());

    const later = new Date(monday.getTime() + 86_400_000);
    const moved = await put({ requireTwoFactor: true, acknowledged: true, startsAt: later.toISOString() });
    assert.equal(moved.body.scheduledAt, later.toISOString());
    // Saving another setting leaves the schedule alone.
    const other = await put({ requireTwoFactor: false, acknowledged: false, userVerification: 'preferred' });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(other.body.scheduledAt, later.toISOString());
    const cancelled = await put({ requireTwoFactor: false, acknowledged: false, startsAt: null });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.scheduledAt, null);
    assert.equal((await server.call('GET', '/me', { token: s.token })).body.account.twoFactorScheduledAt, null);

    const entries = (await auditOf(server, admin.token, '&action=security_settings.updated')).filter((e) => e.details.startsAt);
    assert.deepEqual(entries.slice(0, 3).map((e) => e.details.startsAt), [
      { from: later.toISOString(), to: null },
      { from: monday.toISOString(), to: later.toISOString() },
      { from: null, to: monday.toISOString() },
    ]);
    assert.ok(entries.every((e) => e.actor?.id === admin.adminId));
  });

  test('at the time set, the requirement takes effect once: the same sign-out, pushed events and audit entry as a save, as the scheduling admin', async (t) => {
    const agent = await addUser(server, admin.token, slug, 'Bob');
    const s = await signInOn(server, slug, agent.email);
    const stream = openEvents(server.base, s.token);
    await stream.ready;
    const startsAt = Date.now() + 1500;
    const saved = await put({ requireTwoFactor: true, acknowledged: true, startsAt: new Date(startsAt).toISOString() });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal((await server.call('GET', '/me', { token: s.token })).status, 200, 'still signed in before the time');
    const revoked = await stream.next('session.revoked', 5000);
    assert.equal(revoked.data.reason, 'two_factor_required');
    // The stream stamps arrivals with performance.now(): as wall-clock time.
    const arrived = Date.now() - (performance.now() - revoked.at);
    const delay = arrived - startsAt;
    t.diagnostic(`startsAt → session.revoked on the stream: ${delay.toFixed(0)} ms`);
    assert.ok(delay >= -20, `revoked ${-delay} ms before the time`);
    assert.ok(delay < 1000, `took ${delay} ms after startsAt`);
    stream.close();

    const now = await settings();
    assert.equal(now.requireTwoFactor, true);
    assert.equal(now.scheduledAt, null);
    assert.ok(now.requiredSince);
    const gone = await server.call('GET', '/me', { token: s.token });
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.reason, 'two_factor_required');
    const entry = (await auditOf(server, admin.token, '&action=security_settings.updated'))[0]!;
    assert.equal(entry.actor?.id, admin.adminId);
    assert.equal(entry.details.deploymentDay, new Date(startsAt).toISOString());
    assert.deepEqual(entry.details.requireTwoFactor, { from: false, to: true });
    assert.ok(entry.details.signedOutUsers >= 1);
    // Nothing is left to apply: a later check (any instance) finds nothing.
    assert.deepEqual(await applyDueSchedules(server.db, server.context.events), []);
    // Scheduling while it is already required is refused.
    const again = await put({ requireTwoFactor: true, acknowledged: true, startsAt: new Date(Date.now() + 60_000).toISOString() });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_required');
    assert.equal((await put({ requireTwoFactor: false, acknowledged: false })).status, 200);
  });

  test('checks racing for one due schedule apply it exactly once', async () => {
    const startsAt = Date.now() + 400;
    assert.equal((await put({ requireTwoFactor: true, acknowledged: true, startsAt: new Date(startsAt).toISOString() })).status, 200);
    const before = (await auditOf(server, admin.token, '&action=security_settings.updated')).length;
    await new Promise((r) => setTimeout(r, Math.max(0, startsAt - Date.now())));
    const results = await Promise.all(Array.from({ length: 6 }, () => applyDueSchedules(server.db, server.context.events)));
    // The instance's own timer may have won too: in all, one application.
    await new Promise((r) => setTimeout(r, 300));
    const applied = (await auditOf(server, admin.token, '&action=security_settings.updated')).length - before;
    assert.equal(applied, 1, `applied ${applied} times (${results.flat().length} by the racing checks)`);
    assert.ok(results.flat().length <= 1);
    assert.equal((await put({ requireTwoFactor: false, acknowledged: false })).status, 200);
  });

  test('a deployment day scheduled by an admin deleted since fires as that admin, with the name and email they had', async () => {
    // Attack: covering tracks — an admin schedules the requirement and is deleted before it fires;
    // the entry that signs everyone out must still say who scheduled it, not a blank actor.
    const eve = await addUser(server, admin.token, slug, 'Eve', 'admin');
    const first = await signInOn(server, slug, eve.email);
    const { secret } = await addTotp(server, first.token);
    const eveToken = await passTotp(server, (await signInOn(server, slug, eve.email, first.deviceToken)).token, secret);
    const startsAt = Date.now() + 60_000;
    assert.equal((await put({ requireTwoFactor: true, acknowledged: true, startsAt: new Date(startsAt).toISOString() }, eveToken)).status, 200);
    const deleted = await server.call('DELETE', `/account/users/${eve.id}`, { token: admin.token });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    const eveAsShown = { id: eve.id, name: 'Eve', email: eve.email };
    // The admin's page still says who set the day.
    assert.deepEqual((await settings()).scheduledBy, eveAsShown);

    const applied = await applyDueSchedules(server.db, server.context.events, startsAt + 1);
    assert.equal(applied.length, 1);
    const entry = (await auditOf(server, admin.token, '&action=security_settings.updated'))[0]!;
    assert.equal(entry.details.deploymentDay, new Date(startsAt).toISOString());
    assert.deepEqual(entry.actor, eveAsShown);
    assert.equal((await put({ requireTwoFactor: false, acknowledged: false })).status, 200);
  });
});

describe('Who may enrol at next sign-in', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'enrol';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
  });
  after(() => server.close());

  const issue = (userId: string, body: unknown = {}, token = admin.token) => server.call('POST', `/account/users/${userId}/enrollment-code`, { token, body });
  const methodsOf = async (userId: string) => Number((await server.db.selectFrom('methods').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);

  test('new accounts start with known_device', async () => {
    const s = await server.call('GET', '/account/security-settings', { token: admin.token });
    assert.equal(s.body.enrollment, 'known_device');
  });

  test('a stolen password at forced enrolment is refused from a new device; the real user enrols from the desk she used before', async () => {
    // Ana signs in at her desk before the requirement: that device is known to her.
    const ana = await addUser(server, admin.token, slug, 'Ana');
    const desk = await signInOn(server, slug, ana.email);
    assert.equal(desk.state, 'active');
    const required = await server.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(required.status, 200, JSON.stringify(required.body));

    // Attack: the thief signs in with Ana's password from their own machine and tries to set
    // up the second factor before she does. Every enrolment route refuses, and nothing is made.
    const thief = await signInOn(server, slug, ana.email);
    assert.equal(thief.state, 'enrollment_required');
    for (const [path, body] of [
      ['/me/methods/totp', {}],
      ['/me/methods/security-keys/options', {}],
      ['/me/methods/totp/AAAAAAAAAAAAAAAA/confirm', { code: '123456' }],
    ] as const) {
      const res = await server.call('POST', path, { token: thief.token, body });
      assert.equal(res.status, 403, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'enrollment_code_required');
    }
    assert.equal(await methodsOf(ana.id), 0);
    // A guessed code is refused and audited with the thief's address and user agent.
    const guess = await server.call('POST', '/sessions/current/enrollment-code', { token: thief.token, body: { code: 'ABCDE-FGHJK' } });
    assert.equal(guess.status, 400);
    assert.equal(guess.body.error.code, 'invalid_code');
    assert.equal((await server.call('POST', '/me/methods/totp', { token: thief.token, body: {} })).body.error.code, 'enrollment_code_required');

    // Ana, on her own desk, may set up her method with her password alone.
    const back = await signInOn(server, slug, ana.email, desk.deviceToken);
    assert.equal(back.state, 'enrollment_required');
    const enrolled = await addTotp(server, back.token);
    assert.equal(enrolled.recoveryCodes?.length, 10);

    const refused = (await auditOf(server, admin.token, `&userId=${ana.id}&action=enrollment_code.refused`))[0]!;
    assert.ok(refused.address, 'the refused attempt carries the address');
    const added = (await auditOf(server, admin.token, `&userId=${ana.id}&action=method.added`))[0]!;
    assert.ok(added.address && added.deviceId, 'the method carries address and device');
  });

  test('a thief who talks an admin into a code gets in, but the real user and the admins are told, with the thief’s address and device', async () => {
    const jo = await addUser(server, admin.token, slug, 'Jo');
    const thief = await signInOn(server, slug, jo.email);
    const code = (await issue(jo.id)).body.code;
    assert.equal((await server.call('POST', '/sessions/current/enrollment-code', { token: thief.token, body: { code }, headers: { 'user-agent': 'ThiefBrowser/1.0' } })).status, 200);
    await addTotp(server, thief.token);
    // Jo is told of both (in the app, and by email where mail is configured: see notifications/).
    const told = await server.db.selectFrom('security_notifications').select(['kind', 'user_agent', 'address']).where('user_id', '=', jo.id).orderBy('id').execute();
    assert.deepEqual(told.map((n) => n.kind), ['enrollment_code_redeemed', 'method_added']);
    assert.equal(told[0]!.user_agent, 'ThiefBrowser/1.0');
    // The admins' log names where it came from.
    const redeemed = (await auditOf(server, admin.token, `&userId=${jo.id}&action=enrollment_code.redeemed`))[0]!;
    assert.equal(redeemed.userAgent, 'ThiefBrowser/1.0');
    assert.ok(redeemed.address && redeemed.deviceId);
  });

  test('a user created after the requirement needs a code; the code is single use, shown once, stored hashed and audited', async () => {
    const carl = await addUser(server, admin.token, slug, 'Carl');
    const first = await signInOn(server, slug, carl.email);
    assert.equal(first.state, 'enrollment_required');
    assert.equal((await server.call('POST', '/me/methods/totp', { token: first.token, body: {} })).body.error.code, 'enrollment_code_required');

    const issued = await issue(carl.id, { expiresInMinutes: 60 });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.match(issued.body.code, /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/);
    const expiresIn = Date.parse(issued.body.expiresAt) - Date.now();
    assert.ok(expiresIn > 59 * 60_000 && expiresIn <= 60 * 60_000);
    const stored = await server.db.selectFrom('enrollment_codes').selectAll().where('user_id', '=', carl.id).execute();
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(issued.body.code.replace('-', '')), 'the code is not stored in clear');

    // Typed as read out on the phone: lower case, no dash.
    const redeemed = await server.call('POST', '/sessions/current/enrollment-code', { token: first.token, body: { code: issued.body.code.replace('-', ' ').toLowerCase() } });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    const { recoveryCodes } = await addTotp(server, first.token);
    assert.equal(recoveryCodes?.length, 10);

    // Spent: another session (a thief who overheard it) cannot use it again.
    const second = await signInOn(server, slug, (await addUser(server, admin.token, slug, 'Dora')).email);
    const replay = await server.call('POST', '/sessions/current/enrollment-code', { token: second.token, body: { code: issued.body.code } });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error.code, 'invalid_code');

    const entries = await auditOf(server, admin.token, `&userId=${carl.id}`);
    const actions = entries.map((e) => e.action);
    assert.ok(actions.includes('enrollment_code.issued') && actions.includes('enrollment_code.redeemed') && actions.includes('method.added'), actions.join(','));
    assert.ok(!JSON.stringify(entries).includes(issued.body.code), 'the audit log does not hold the code');
  });

  test('issuing a new code ends the old one, and an expired code is refused', async () => {
    const eve = await addUser(server, admin.token, slug, 'Eve');
    const s = await signInOn(server, slug, eve.email);
    const old = await issue(eve.id);
    const fresh = await issue(eve.id, { expiresInMinutes: 10 });
    const oldUse = await server.call('POST', '/sessions/current/enrollment-code', { token: s.token, body: { code: old.body.code } });
    assert.equal(oldUse.body.error.code, 'invalid_code');
    // Time passes (the code's expiry moved into the past in the store).
    await server.db.updateTable('enrollment_codes').set({ expires_at: Date.now() - 1 }).where('user_id', '=', eve.id).execute();
    const late = await server.call('POST', '/sessions/current/enrollment-code', { token: s.token, body: { code: fresh.body.code } });
    assert.equal(late.status, 400);
    assert.equal(late.body.error.code, 'invalid_code');
  });

  test('guessing enrolment codes is throttled per session, and parallel guesses cannot pass the limit', async () => {
    // Attack: brute-forcing an enrolment code with many parallel requests.
    const fay = await addUser(server, admin.token, slug, 'Fay');
    const s = await signInOn(server, slug, fay.email);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.call('POST', '/sessions/current/enrollment-code', { token: s.token, body: { code: `AAAAA-AAA${String(i).padStart(2, '2')}` } })),
    );
    const checked = results.filter((r) => r.status === 400).length;
    assert.ok(checked <= 5, `checked ${checked} guesses`);
    assert.ok(results.some((r) => r.status === 429));
    // Even the right code waits for the lock to expire.
    const code = (await issue(fay.id)).body.code;
    const locked = await server.call('POST', '/sessions/current/enrollment-code', { token: s.token, body: { code } });
    assert.equal(locked.status, 429);
  });

  test('under password, the password alone lets a new device enrol (the article behaviour), and the change is audited', async () => {
    const saved = await server.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: false, enrollment: 'password' } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const gus = await addUser(server, admin.token, slug, 'Gus');
    const s = await signInOn(server, slug, gus.email);
    assert.equal(s.state, 'enrollment_required');
    await addTotp(server, s.token);
    const entry = (await auditOf(server, admin.token, '&action=security_settings.updated'))[0]!;
    assert.deepEqual(entry.details.enrollment, { from: 'known_device', to: 'password' });
    assert.equal((await server.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: false, enrollment: 'known_device' } })).status, 200);
  });

  test('bad input on the enrolment-code routes: 4xx with a stable code, nothing changed', async () => {
    const hal = await addUser(server, admin.token, slug, 'Hal');
    const s = await signInOn(server, slug, hal.email);
    const count = async () => Number((await server.db.selectFrom('enrollment_codes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const bad: [string, string, unknown, string | undefined, number, string][] = [
      ['POST', `/account/users/${hal.id}/enrollment-code`, { expiresInMinutes: 5 }, admin.token, 400, 'invalid_request'],
      ['POST', `/account/users/${hal.id}/enrollment-code`, { expiresInMinutes: 20_000 }, admin.token, 400, 'invalid_request'],
      ['POST', `/account/users/${hal.id}/enrollment-code`, { expiresInMinutes: '60' }, admin.token, 400, 'invalid_request'],
      ['POST', `/account/users/${hal.id}/enrollment-code`, { code: 'x' }, admin.token, 400, 'invalid_request'],
      ['POST', '/account/users/nobody/enrollment-code', {}, admin.token, 404, 'not_found'],
      ['POST', '/account/users/bad%20id/enrollment-code', {}, admin.token, 400, 'invalid_request'],
      ['POST', `/account/users/${hal.id}/enrollment-code`, {}, s.token, 403, 'enrollment_required'],
      ['POST', `/account/users/${hal.id}/enrollment-code`, {}, undefined, 401, 'unauthenticated'],
      ['POST', '/sessions/current/enrollment-code', {}, s.token, 400, 'invalid_request'],
      ['POST', '/sessions/current/enrollment-code', { code: '' }, s.token, 400, 'invalid_request'],
      ['POST', '/sessions/current/enrollment-code', { code: 'x'.repeat(33) }, s.token, 400, 'invalid_request'],
      ['POST', '/sessions/current/enrollment-code', { code: 42 }, s.token, 400, 'invalid_request'],
      ['POST', '/sessions/current/enrollment-code', { code: 'ABCDE-FGHJK' }, admin.token, 400, 'invalid_request'],
      ['POST', '/sessions/current/enrollment-code', { code: 'ABCDE-FGHJK' }, undefined, 401, 'unauthenticated'],
    ];
    for (const [method, path, body, token, status, code] of bad) {
      const res = await server.call(method, path, { token, body });
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, `${path} ${JSON.stringify(body)}`);
    }
    // A user of another account is not found.
    const otherAdmin = await accountWithAdmin(server, 'other-enrol');
    const foreign = await issue(hal.id, {}, otherAdmin.token);
    assert.equal(foreign.status, 404);
    assert.equal(await count(), before);
  });

  test('issuing a code needs a recent second factor', async () => {
    const ivy = await addUser(server, admin.token, slug, 'Ivy');
    // The admin's second factor, 11 minutes ago.
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', admin.adminId).where('revoked_at', 'is', null).execute();
    const res = await issue(ivy.id);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.equal((await server.db.selectFrom('enrollment_codes').select('id').where('user_id', '=', ivy.id).execute()).length, 0);
  });
});
