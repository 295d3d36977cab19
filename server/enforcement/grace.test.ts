// Grace per user (PRODUCT.md "Authentication policies"; enforcement/grace.ts), against a real
// server on a real port: granted once when a user first must enrol, shown to the user and the
// admin, spent one sign-in at a time (atomically), never renewed; an admin extends or ends it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';

const DAY = 24 * 3_600_000;

describe('Grace per user', () => {
  let server: TestServer;
  let adminToken: string;
  let adminId: string;
  const slug = 'grace';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminId = acc.user.id;
    adminToken = (await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token)).token;
    const saved = await saveSettings({ requireTwoFactor: true, acknowledged: true, graceSignIns: 2 });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  });
  after(() => server.close());

  function saveSettings(body: Record<string, unknown>, token = adminToken) {
    return server.call('PUT', '/account/security-settings', { token, body });
  }
  function setGrace(userId: string, body: unknown, token = adminToken) {
    return server.call('PUT', `/account/users/${userId}/grace`, { token, body });
  }
  function postpone(token: string) {
    return server.call('POST', '/sessions/current/postpone-enrolment', { token });
  }
  async function graceRow(userId: string) {
    return server.db.selectFrom('user_grace').select(['sign_ins_left', 'until']).where('user_id', '=', userId).executeTakeFirst();
  }
  async function listedGrace(name: string) {
    const list = await server.call('GET', `/account/users?q=${encodeURIComponent(name)}`, { token: adminToken });
    assert.equal(list.status, 200);
    return list.body.users.find((u: { name: string }) => u.name === name).grace;
  }
  async function auditCount(action: string) {
    const row = await server.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  test('grace is granted at the first sign-in that must enrol and shown at sign-in, in GET /me and in the users list', async () => {
    const ana = await createUser(server, adminToken, slug, 'Ana');
    assert.equal(await graceRow(ana.id), undefined, 'nothing is granted before the user must enrol');
    const first = await server.call('POST', '/sessions', { body: { account: slug, email: ana.email, password: 'correct horse battery staple' } });
    assert.equal(first.status, 201);
    assert.equal(first.body.session.state, 'enrollment_required');
    assert.deepEqual(first.body.grace, { signInsLeft: 2, until: null });
    const me = await server.call('GET', '/me', { token: first.body.token });
    assert.deepEqual(me.body.grace, { signInsLeft: 2, until: null });
    assert.deepEqual(await listedGrace('Ana'), { signInsLeft: 2, until: null });
  });

  test('postponing spends one sign-in and lets this session in under a new token (the old one ends), audited', async () => {
    const ben = await createUser(server, adminToken, slug, 'Ben');
    const s = await signIn(server, slug, ben.email);
    const res = await postpone(s.token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.session.state, 'active');
    assert.equal(res.body.session.secondFactorAt, null, 'postponing is never a second factor');
    assert.deepEqual(res.body.grace, { signInsLeft: 1, until: null });
    assert.notEqual(res.body.token, s.token);
    assert.equal((await server.call('GET', '/me', { token: s.token })).status, 401, 'the enrolment token ended');
    // The postponed session works for the user's own work (it is not ended as "2FA required")...
    const me = await server.call('GET', '/me', { token: res.body.token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.grace, { signInsLeft: 1, until: null });
    assert.deepEqual(await listedGrace('Ben'), { signInsLeft: 1, until: null });
    // ...and it cannot postpone twice.
    const again = await postpone(res.body.token);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'not_enrolling');
    assert.equal((await graceRow(ben.id))?.sign_ins_left, 1);
    const entry = await server.db.selectFrom('audit_events').select(['actor_id', 'details']).where('action', '=', 'enrollment.postponed').where('actor_id', '=', ben.id).executeTakeFirst();
    assert.ok(entry, 'the postponement is in the audit log');
  });

  test('out of grace: postponing is refused with grace_exhausted, changes nothing, and the user must enrol', async () => {
    const cy = await createUser(server, adminToken, slug, 'Cy');
    for (const left of [1, 0]) {
      const s = await signIn(server, slug, cy.email);
      const res = await postpone(s.token);
      assert.equal(res.status, 200);
      assert.equal(res.body.grace.signInsLeft, left);
    }
    const s = await signIn(server, slug, cy.email);
    assert.equal(s.session.state, 'enrollment_required');
    assert.deepEqual((s as unknown as { grace: unknown }).grace, { signInsLeft: 0, until: null });
    const refused = await postpone(s.token);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'grace_exhausted');
    assert.equal((await graceRow(cy.id))?.sign_ins_left, 0);
    // Still an enrolment session: it may enrol, and nothing else.
    assert.equal((await server.call('GET', '/account/users', { token: s.token })).body.error.code, 'enrollment_required');
    const me = await server.call('GET', '/me', { token: s.token });
    assert.equal(me.body.session.state, 'enrollment_required');
  });

  test('Attack: parallel postpones spend one sign-in once (20 in parallel, 1 left: exactly 1 success)', async () => {
    // Attack: a user (or a script with their password) fires many postpones at once, hoping
    // several read "1 left" before any writes 0, and so postpones more often than allowed.
    const dee = await createUser(server, adminToken, slug, 'Dee');
    const sessions: string[] = [];
    for (let i = 0; i < 20; i++) sessions.push((await signIn(server, slug, dee.email)).token);
    const set = await setGrace(dee.id, { signInsLeft: 1 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const results = await Promise.all(sessions.map((token) => postpone(token)));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one postpone succeeds: ${statuses.join(',')}`);
    for (const r of results.filter((r) => r.status !== 200)) {
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, 'grace_exhausted');
    }
    assert.equal((await graceRow(dee.id))?.sign_ins_left, 0);
    const active = await server.db.selectFrom('sessions').select('id').where('user_id', '=', dee.id).where('postponed_at', 'is not', null).execute();
    assert.equal(active.length, 1, 'one session was let in');
  });

  test('a factor reset, saving the settings again and signing in again do not renew grace', async () => {
    const eve = await createUser(server, adminToken, slug, 'Eve');
    const s = await signIn(server, slug, eve.email);
    const postponed = await postpone(s.token);
    assert.equal(postponed.status, 200);
    // Eve enrols from her postponed session; the admin resets her 2FA: she must enrol again.
    await enrolTotp(server, postponed.body.token);
    const reset = await server.call('DELETE', `/account/users/${eve.id}/two-factor`, { token: adminToken });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const resaved = await saveSettings({ requireTwoFactor: true, acknowledged: true, graceSignIns: 5 });
    assert.equal(resaved.status, 200, JSON.stringify(resaved.body));
    const again = await server.call('POST', '/sessions', { body: { account: slug, email: eve.email, password: 'correct horse battery staple' } });
    assert.equal(again.body.session.state, 'enrollment_required');
    assert.deepEqual(again.body.grace, { signInsLeft: 1, until: null }, 'the grace she had left, not a new one');
    // The new setting is for users who never had a grace.
    const fay = await createUser(server, adminToken, slug, 'Fay');
    const fays = await server.call('POST', '/sessions', { body: { account: slug, email: fay.email, password: 'correct horse battery staple' } });
    assert.deepEqual(fays.body.grace, { signInsLeft: 5, until: null });
    assert.equal((await saveSettings({ requireTwoFactor: true, acknowledged: true, graceSignIns: 2 })).status, 200);
  });

  test('grace until a date: postponing is allowed until then, however often, and not after', async () => {
    const until = new Date(Date.now() + 7 * DAY).toISOString();
    assert.equal((await saveSettings({ requireTwoFactor: true, acknowledged: true, graceSignIns: 0, graceUntil: until })).status, 200);
    const settings = await server.call('GET', '/account/security-settings', { token: adminToken });
    assert.equal(settings.body.graceSignIns, 0);
    assert.equal(settings.body.graceUntil, until);
    const gus = await createUser(server, adminToken, slug, 'Gus');
    for (let i = 0; i < 3; i++) {
      const s = await server.call('POST', '/sessions', { body: { account: slug, email: gus.email, password: 'correct horse battery staple' } });
      assert.deepEqual(s.body.grace, { signInsLeft: null, until });
      assert.equal((await postpone(s.body.token)).status, 200);
    }
    // The date passes.
    await server.db.updateTable('user_grace').set({ until: Date.now() - 1000 }).where('user_id', '=', gus.id).execute();
    const late = await signIn(server, slug, gus.email);
    const refused = await postpone(late.token);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'grace_exhausted');
    assert.equal((await saveSettings({ requireTwoFactor: true, acknowledged: true, graceSignIns: 2, graceUntil: null })).status, 200);
  });

  test("an admin extends and ends one user's grace, audited; the user sees it", async () => {
    const hal = await createUser(server, adminToken, slug, 'Hal');
    const s = await signIn(server, slug, hal.email);
    const until = new Date(Date.now() + 30 * DAY).toISOString();
    const extended = await setGrace(hal.id, { signInsLeft: 5, until });
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    assert.deepEqual(extended.body.grace, { signInsLeft: 5, until });
    assert.deepEqual((await server.call('GET', '/me', { token: s.token })).body.grace, { signInsLeft: 5, until });
    assert.deepEqual(await listedGrace('Hal'), { signInsLeft: 5, until });
    const ended = await setGrace(hal.id, { signInsLeft: 0, until: null });
    assert.equal(ended.status, 200);
    assert.deepEqual(ended.body.grace, { signInsLeft: 0, until: null });
    const refused = await postpone(s.token);
    assert.equal(refused.body.error.code, 'grace_exhausted');
    assert.equal(await auditCount('user.grace_extended'), 1 + 1 /* Dee's in the attack test */);
    assert.ok((await auditCount('user.grace_ended')) >= 1);
  });

  test('Attack: a user whose grace the admin ended keeps working in a postponed session', async () => {
    // Attack: the admin ends a user's grace (a lost laptop, a leaver, a user who keeps putting it
    // off); the session they postponed into lives on its whole lifetime, with no second factor.
    const lea = await createUser(server, adminToken, slug, 'Lea');
    const postponed = await postpone((await signIn(server, slug, lea.email)).token);
    assert.equal(postponed.status, 200, JSON.stringify(postponed.body));
    const token = postponed.body.token as string;
    // An enrolment session of hers beside it: it may still enrol, so it goes on.
    const enrolling = await signIn(server, slug, lea.email);
    const stream = openEvents(server.base, token);
    await stream.ready;
    const ended = await setGrace(lea.id, { signInsLeft: 0, until: null });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.equal((await server.call('GET', '/me', { token })).status, 401, 'the postponed session ended with the grace');
    assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'two_factor_required' });
    stream.close();
    assert.deepEqual(ended.body, { grace: { signInsLeft: 0, until: null }, revokedSessions: 1 });
    const revoked = await server.db.selectFrom('sessions').select(['revoked_reason']).where('user_id', '=', lea.id).where('postponed_at', 'is not', null).executeTakeFirstOrThrow();
    assert.equal(revoked.revoked_reason, 'two_factor_required');
    assert.equal((await server.call('GET', '/me', { token: enrolling.token })).body.session.state, 'enrollment_required');
    // In the same audit entry as the grace change.
    const entry = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'user.grace_ended').where('subject_user_id', '=', lea.id).executeTakeFirstOrThrow();
    const details = typeof entry.details === 'string' ? JSON.parse(entry.details) : entry.details;
    assert.equal(details.revokedSessions, 1);
    // Her next sign-in must enrol, and cannot postpone.
    const again = await signIn(server, slug, lea.email);
    assert.equal(again.session.state, 'enrollment_required');
    assert.equal((await postpone(again.token)).body.error.code, 'grace_exhausted');
  });

  test("Attack: a postponed session outlives its grace's end date", async (t) => {
    // Attack: a user's grace ends on a date; a session they postponed into the day before keeps
    // working its whole lifetime after that date, with no second factor, however long it is kept alive.
    const end = Date.now() + 60_000;
    const ute = await createUser(server, adminToken, slug, 'Ute');
    assert.equal((await setGrace(ute.id, { until: new Date(end).toISOString() })).status, 200);
    const postponed = await postpone((await signIn(server, slug, ute.email)).token);
    assert.equal(postponed.status, 200, JSON.stringify(postponed.body));
    const token = postponed.body.token as string;
    // Vic had the same end date; the admin extended it before it came: her session lives on.
    const vic = await createUser(server, adminToken, slug, 'Vic');
    assert.equal((await setGrace(vic.id, { until: new Date(end).toISOString() })).status, 200);
    const vics = await postpone((await signIn(server, slug, vic.email)).token);
    assert.equal(vics.status, 200, JSON.stringify(vics.body));
    const later = new Date(end + DAY).toISOString();
    assert.deepEqual((await setGrace(vic.id, { until: later })).body, { grace: { signInsLeft: null, until: later }, revokedSessions: 0 });
    assert.equal((await server.call('GET', '/me', { token })).status, 200, 'within the grace it works');
    const stream = openEvents(server.base, token);
    await stream.ready;

    // The end date passes (the server's clock moves: it runs in this process).
    const realNow = Date.now.bind(Date);
    t.mock.method(Date, 'now', () => realNow() + 61_000);
    const after = await server.call('GET', '/me', { token });
    assert.equal(after.status, 401, 'the postponed session ended with its grace');
    assert.equal(after.body.error.reason, 'two_factor_required');
    assert.deepEqual((await stream.next('session.revoked')).data, { reason: 'two_factor_required' }, 'pushed as when an admin ends it');
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: vics.body.token })).status, 200, 'an extended grace extends its sessions');
    // Her next sign-in must enrol, and cannot postpone.
    const again = await signIn(server, slug, ute.email);
    assert.equal(again.session.state, 'enrollment_required');
    assert.equal((await postpone(again.token)).body.error.code, 'grace_exhausted');
  });

  test("a postponed session's event stream is told when its grace's end date comes, with no request", async () => {
    // The stream's timer, not a clock moved in this process: a short real wait for a real end date.
    const wyn = await createUser(server, adminToken, slug, 'Wyn');
    assert.equal((await setGrace(wyn.id, { until: new Date(Date.now() + 3_000).toISOString() })).status, 200);
    const postponed = await postpone((await signIn(server, slug, wyn.email)).token);
    assert.equal(postponed.status, 200, JSON.stringify(postponed.body));
    const stream = openEvents(server.base, postponed.body.token);
    await stream.ready;
    assert.deepEqual((await stream.next('session.revoked', 8_000)).data, { reason: 'two_factor_required' });
    stream.close();
    const row = await server.db.selectFrom('sessions').select(['revoked_reason']).where('user_id', '=', wyn.id).where('postponed_at', 'is not', null).executeTakeFirstOrThrow();
    assert.equal(row.revoked_reason, 'two_factor_required', 'revoked, not only told');
  });

  test('ending the grace of a user who has enrolled since leaves their session alone; extending one ends nothing', async () => {
    const max = await createUser(server, adminToken, slug, 'Max');
    const postponed = await postpone((await signIn(server, slug, max.email)).token);
    assert.equal(postponed.status, 200);
    const enrolled = await enrolTotp(server, postponed.body.token);
    const nia = await createUser(server, adminToken, slug, 'Nia');
    const nias = await postpone((await signIn(server, slug, nia.email)).token);
    assert.equal(nias.status, 200);
    const extended = await setGrace(nia.id, { signInsLeft: 4 });
    assert.deepEqual(extended.body, { grace: { signInsLeft: 4, until: null }, revokedSessions: 0 });
    assert.equal((await server.call('GET', '/me', { token: nias.body.token })).status, 200);
    const ended = await setGrace(max.id, { signInsLeft: 0, until: null });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.equal(ended.body.revokedSessions, 0);
    assert.equal((await server.call('GET', '/me', { token: enrolled.token })).status, 200, 'she enrolled: her session is no longer a postponed one');
  });

  test("changing a user's grace needs a recent second factor", async () => {
    const ida = await createUser(server, adminToken, slug, 'Ida');
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', adminId).where('revoked_at', 'is', null).execute();
    const res = await setGrace(ida.id, { signInsLeft: 3 });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.equal(await graceRow(ida.id), undefined);
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('user_id', '=', adminId).where('revoked_at', 'is', null).execute();
  });

  test("an agent cannot change anyone's grace, their own included", async () => {
    const jo = await createUser(server, adminToken, slug, 'Jo');
    const s = await signIn(server, slug, jo.email);
    const postponed = await postpone(s.token);
    assert.equal(postponed.status, 200);
    for (const id of [jo.id, adminId]) {
      const res = await setGrace(id, { signInsLeft: 10 }, postponed.body.token);
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'forbidden');
    }
    assert.equal((await graceRow(jo.id))?.sign_ins_left, 1);
  });

  test('before a deployment day, GET /me says the grace the user will have from that day: their own if set, else the account\'s', async () => {
    const day = await createAccount(server, 'grace-day');
    const dayAdmin = (await enrolTotp(server, (await signIn(server, 'grace-day', day.user.email)).token)).token;
    const startsAt = new Date(Date.now() + 3 * DAY).toISOString();
    const scheduled = await saveSettings({ requireTwoFactor: true, acknowledged: true, startsAt, graceSignIns: 2 }, dayAdmin);
    assert.equal(scheduled.status, 200, JSON.stringify(scheduled.body));
    const meOf = async (token: string) => (await server.call('GET', '/me', { token })).body.account;
    const ola = await createUser(server, dayAdmin, 'grace-day', 'Ola');
    const olas = await signIn(server, 'grace-day', ola.email);
    assert.equal(olas.session.state, 'active', 'not required yet');
    assert.equal((await meOf(olas.token)).twoFactorScheduledAt, startsAt);
    assert.deepEqual((await meOf(olas.token)).graceOnDeploymentDay, { signInsLeft: 2, until: null });
    assert.equal(await graceRow(ola.id), undefined, 'nothing is granted before the day');
    // An admin set hers: that one, never the account's on top.
    assert.equal((await setGrace(ola.id, { signInsLeft: 5 }, dayAdmin)).status, 200);
    assert.deepEqual((await meOf(olas.token)).graceOnDeploymentDay, { signInsLeft: 5, until: null });
    // The account's end date before the day gives none on the day; after it, until then.
    const keepDay = { requireTwoFactor: false, acknowledged: false };
    assert.equal((await saveSettings({ ...keepDay, graceSignIns: 0, graceUntil: new Date(Date.now() + DAY).toISOString() }, dayAdmin)).status, 200);
    const pia = await createUser(server, dayAdmin, 'grace-day', 'Pia');
    const pias = await signIn(server, 'grace-day', pia.email);
    assert.equal((await meOf(pias.token)).twoFactorScheduledAt, startsAt, 'the day is still set');
    assert.equal((await meOf(pias.token)).graceOnDeploymentDay, null);
    const until = new Date(Date.now() + 5 * DAY).toISOString();
    assert.equal((await saveSettings({ ...keepDay, graceUntil: until }, dayAdmin)).status, 200);
    assert.deepEqual((await meOf(pias.token)).graceOnDeploymentDay, { signInsLeft: null, until });
    // With a method there is nothing to postpone.
    const enrolled = await enrolTotp(server, pias.token);
    assert.equal('graceOnDeploymentDay' in (await meOf(enrolled.token)), false);
  });

  test('bad input is refused with 400 and a stable code, and changes nothing', async () => {
    const kim = await createUser(server, adminToken, slug, 'Kim');
    await setGrace(kim.id, { signInsLeft: 2 });
    const settingsBefore = (await server.call('GET', '/account/security-settings', { token: adminToken })).body;
    const past = new Date(Date.now() - DAY).toISOString();
    const tooFar = new Date(Date.now() + 91 * DAY).toISOString();
    const base = { requireTwoFactor: true, acknowledged: true };
    for (const [body, code] of [
      [{ ...base, graceSignIns: 11 }, 'invalid_request'],
      [{ ...base, graceSignIns: -1 }, 'invalid_request'],
      [{ ...base, graceSignIns: 1.5 }, 'invalid_request'],
      [{ ...base, graceSignIns: '3' }, 'invalid_request'],
      [{ ...base, graceUntil: 'tomorrow' }, 'invalid_request'],
      [{ ...base, graceUntil: past }, 'invalid_grace'],
      [{ ...base, graceUntil: tooFar }, 'invalid_grace'],
    ] as const) {
      const res = await saveSettings(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, code, JSON.stringify(body));
    }
    assert.deepEqual((await server.call('GET', '/account/security-settings', { token: adminToken })).body, settingsBefore);
    for (const [body, code] of [
      [{}, 'invalid_grace'],
      [{ signInsLeft: 11 }, 'invalid_request'],
      [{ signInsLeft: null }, 'invalid_request'],
      [{ until: past }, 'invalid_grace'],
      [{ until: tooFar }, 'invalid_grace'],
      [{ until: 'soon' }, 'invalid_request'],
      [{ signInsLeft: 3, other: 1 }, 'invalid_request'],
    ] as const) {
      const res = await setGrace(kim.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, code, JSON.stringify(body));
    }
    assert.equal((await graceRow(kim.id))?.sign_ins_left, 2);
    // Another account's user, or no such user: not found.
    assert.equal((await setGrace('nobody', { signInsLeft: 1 })).status, 404);
  });
});
