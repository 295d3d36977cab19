// Attack: a remembered device's token replayed from another device (another device token, another
// user's remembered token, or no token at all) skips the second step; a remembrance that outlives
// the password, a method added or removed, regenerated recovery codes, a 2FA reset, a
// deactivation or "This wasn't me" lets whoever has the password in without the factor; a shared
// desk remembers a user, so the next person at it walks in with a shoulder-surfed password; a
// remembered session (no factor passed) makes a sensitive change or renews its own remembrance.
// Remembered personal devices (issue 21, PRODUCT.md "Authentication policies"): server/sessions/remembered-devices.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../start.js';
import { apiClient, createAccount, createUser, enrolTotp, PASSWORD, signIn, startTestServer, type ApiClient, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';

interface Person {
  id: string;
  email: string;
  secret: string;
}

/** The API calls of this file, against any server (the statement count runs its own). */
function flows(server: ApiClient & { db: TestServer['db'] }, slug: string) {
  const passwordSignIn = async (email: string, deviceToken?: string, password = PASSWORD) => {
    const res = await server.call('POST', '/sessions', { body: { account: slug, email, password, ...(deviceToken ? { deviceToken } : {}) } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { token: string; deviceToken: string; session: { state: string; secondFactorAt: string | null } };
  };
  /** The second step with the app; its last used step is forgotten first, so a test faster than 30 s can pass it again. */
  const secondStep = async (person: Person, token: string) => {
    await server.db.updateTable('methods').set({ totp_last_step: null }).where('user_id', '=', person.id).execute();
    const res = await server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'totp', code: totpCode(person.secret, Date.now()) } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.token as string;
  };
  const declare = (token: string, shared: boolean) => server.call('PUT', '/sessions/current/device', { token, body: { shared } });
  const remember = (token: string) => server.call('POST', '/sessions/current/remember-device', { token, body: {} });
  /** A new personal device on which the person passes the second step and asks not to be asked again. */
  const rememberNewDevice = async (person: Person) => {
    const first = await passwordSignIn(person.email);
    assert.equal(first.session.state, 'two_factor_required');
    assert.equal((await declare(first.token, false)).status, 200);
    const token = await secondStep(person, first.token);
    const remembered = await remember(token);
    assert.equal(remembered.status, 200, JSON.stringify(remembered.body));
    return { deviceToken: first.deviceToken, token };
  };
  return { passwordSignIn, secondStep, declare, remember, rememberNewDevice };
}

describe('remembered personal devices', () => {
  let server: TestServer;
  let adminToken: string;
  let admin: Person;
  const slug = 'remembers';
  let f: ReturnType<typeof flows>;

  /** A user with an authenticator app. */
  const person = async (name: string): Promise<Person> => {
    const user = await createUser(server, adminToken, slug, name);
    const { secret } = await enrolTotp(server, (await signIn(server, slug, user.email)).token);
    return { id: user.id, email: user.email, secret };
  };
  const remembrances = async (userId: string) => Number((await server.db.selectFrom('remembered_devices').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);
  const forgotten = async (userId: string) =>
    (await server.db.selectFrom('audit_events').select('details').where('action', '=', 'device.forgotten').where('subject_user_id', '=', userId).orderBy('id').execute()).map((r) => JSON.parse(r.details).reason as string);

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const account = await createAccount(server, slug);
    const enrolled = await enrolTotp(server, (await signIn(server, slug, account.user.email)).token);
    adminToken = enrolled.token;
    admin = { id: account.user.id, email: account.user.email, secret: enrolled.secret };
    f = flows(server, slug);
    const saved = await server.call('PUT', '/account/session-policy', { token: adminToken, body: { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 30 } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.rememberDeviceDays, 30);
  });
  after(() => server.close());

  test('the policy answers rememberDeviceDays, and a save without it keeps it', async () => {
    assert.equal((await server.call('PUT', '/account/session-policy', { token: adminToken, body: { idleMinutes: 480, absoluteHours: 24 } })).status, 200);
    assert.deepEqual((await server.call('GET', '/account/session-policy', { token: adminToken })).body, { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 30 });
  });

  test('the second step says whether remembering is offered and how this device was declared; an account with it off says nothing', async () => {
    const una = await person('Una');
    const first = await f.passwordSignIn(una.email);
    assert.equal(first.session.state, 'two_factor_required');
    assert.deepEqual((first as { rememberDevice?: unknown }).rememberDevice, { days: 30, shared: null });
    assert.equal((await f.declare(first.token, false)).status, 200);
    assert.deepEqual((await server.call('GET', '/sessions/current', { token: first.token })).body.rememberDevice, { days: 30, shared: false });
    // Past the second step there is nothing to offer.
    const token = await f.secondStep(una, first.token);
    assert.equal((await server.call('GET', '/sessions/current', { token })).body.rememberDevice, undefined);
    // A shared desk is told so (the client shows no tick box).
    const desk = await f.passwordSignIn(una.email);
    assert.equal((await f.declare(desk.token, true)).status, 200);
    assert.deepEqual((await server.call('GET', '/sessions/current', { token: desk.token })).body.rememberDevice, { days: 30, shared: true });
    // An account that does not remember devices offers nothing.
    const off = await createAccount(server, 'remembers-off');
    await enrolTotp(server, (await signIn(server, 'remembers-off', off.user.email)).token);
    const signedIn = await server.call('POST', '/sessions', { body: { account: 'remembers-off', email: off.user.email, password: PASSWORD } });
    assert.equal(signedIn.body.session.state, 'two_factor_required');
    assert.equal(signedIn.body.rememberDevice, undefined);
    assert.equal((await server.call('GET', '/sessions/current', { token: signedIn.body.token })).body.rememberDevice, undefined);
  });

  test('a remembered personal device skips the second step for its user, audited, and never as a factor', async () => {
    const ann = await person('Ann');
    const { deviceToken } = await f.rememberNewDevice(ann);
    const again = await f.passwordSignIn(ann.email, deviceToken);
    assert.equal(again.session.state, 'active');
    assert.equal(again.session.secondFactorAt, null, 'a remembrance is never a second factor');
    // The session lives on (a password-only session of a user with a method would end here).
    assert.equal((await server.call('GET', '/me', { token: again.token })).status, 200);
    const devices = (await server.call('GET', '/me/devices', { token: again.token })).body.devices as { current: boolean; shared: boolean | null; rememberedUntil: string | null }[];
    const current = devices.find((d) => d.current)!;
    assert.equal(current.shared, false);
    assert.ok(current.rememberedUntil && Date.parse(current.rememberedUntil) > Date.now() + 29 * 24 * 3_600_000);
    const remembered = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'device.remembered').where('actor_id', '=', ann.id).executeTakeFirstOrThrow();
    assert.equal(JSON.parse(remembered.details).days, 30);
    const signIns = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'sign_in.succeeded').where('actor_id', '=', ann.id).execute();
    assert.ok(signIns.some((r) => JSON.parse(r.details).rememberedDevice === true));
  });

  test('a remembrance past its N days skips nothing, and the purge removes it', async () => {
    const zed = await person('Zed');
    const { deviceToken } = await f.rememberNewDevice(zed);
    await server.db.updateTable('remembered_devices').set({ expires_at: Date.now() - 1 }).where('user_id', '=', zed.id).execute();
    assert.equal((await f.passwordSignIn(zed.email, deviceToken)).session.state, 'two_factor_required');
    await server.context.sessions.purgeEnded();
    assert.equal(await remembrances(zed.id), 0);
  });

  test('attack: a remembered device token replayed from another device, or without one, is asked the second step', async () => {
    const bea = await person('Bea');
    const cal = await person('Cal');
    await f.rememberNewDevice(bea);
    const calDevice = await f.rememberNewDevice(cal);
    // Bea's other device (the one she enrolled on, never remembered), no device token at all,
    // and Cal's remembered device with Bea's password.
    const other = await f.passwordSignIn(bea.email);
    assert.equal(other.session.state, 'two_factor_required');
    assert.equal((await f.passwordSignIn(bea.email, other.deviceToken)).session.state, 'two_factor_required');
    assert.equal((await f.passwordSignIn(bea.email, calDevice.deviceToken)).session.state, 'two_factor_required');
    // A made-up token is a new device.
    assert.equal((await f.passwordSignIn(bea.email, 'x'.repeat(43))).session.state, 'two_factor_required');
    // The pending sessions cannot act.
    assert.equal((await server.call('GET', '/me', { token: other.token })).status, 403);
  });

  test('attack: after a password change the remembered device is asked again', async () => {
    const dan = await person('Dan');
    const { deviceToken, token } = await f.rememberNewDevice(dan);
    const newPassword = 'a brand new passphrase 2026';
    const changed = await server.call('PUT', '/me/password', { token, body: { currentPassword: PASSWORD, newPassword } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await f.passwordSignIn(dan.email, deviceToken, newPassword)).session.state, 'two_factor_required');
    assert.equal(await remembrances(dan.id), 0);
    assert.deepEqual(await forgotten(dan.id), ['password_changed']);
  });

  test('attack: after a method is added or removed, or recovery codes are regenerated, the remembered device is asked again', async () => {
    const eve = await person('Eve');
    let { deviceToken, token } = await f.rememberNewDevice(eve);
    const start = await server.call('POST', '/me/methods/totp', { token, body: { name: 'Spare' } });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const confirmed = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token, body: { code: totpCode(start.body.secret, Date.now()) } });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal((await f.passwordSignIn(eve.email, deviceToken)).session.state, 'two_factor_required', 'a method added');

    ({ deviceToken, token } = await f.rememberNewDevice(eve));
    const removed = await server.call('DELETE', `/me/methods/${start.body.id}`, { token });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal((await f.passwordSignIn(eve.email, deviceToken)).session.state, 'two_factor_required', 'a method removed');

    ({ deviceToken, token } = await f.rememberNewDevice(eve));
    assert.equal((await server.call('POST', '/me/recovery-codes', { token, body: {} })).status, 200);
    assert.equal((await f.passwordSignIn(eve.email, deviceToken)).session.state, 'two_factor_required', 'recovery codes regenerated');
    assert.deepEqual(await forgotten(eve.id), ['method_added', 'method_removed', 'recovery_codes_regenerated']);
  });

  test('attack: after a 2FA reset, a deactivation or "This wasn\'t me" the remembered device is asked again', async () => {
    // Reset: the user sets up a new app; the old remembrance does not carry over to it.
    const fay = await person('Fay');
    const fayDevice = await f.rememberNewDevice(fay);
    assert.equal((await server.call('DELETE', `/account/users/${fay.id}/two-factor`, { token: adminToken })).status, 200);
    const bare = await f.passwordSignIn(fay.email, fayDevice.deviceToken);
    assert.equal(bare.session.state, 'active', 'no method, nothing required: a plain sign-in');
    fay.secret = (await enrolTotp(server, bare.token)).secret;
    assert.equal((await f.passwordSignIn(fay.email, fayDevice.deviceToken)).session.state, 'two_factor_required', 'after a reset');
    assert.ok((await forgotten(fay.id)).includes('two_factor_reset'));

    const gus = await person('Gus');
    const gusDevice = await f.rememberNewDevice(gus);
    assert.equal((await server.call('PATCH', `/account/users/${gus.id}`, { token: adminToken, body: { status: 'deactivated' } })).status, 200);
    assert.equal((await server.call('PATCH', `/account/users/${gus.id}`, { token: adminToken, body: { status: 'active' } })).status, 200);
    assert.equal((await f.passwordSignIn(gus.email, gusDevice.deviceToken)).session.state, 'two_factor_required', 'after a deactivation');
    assert.deepEqual(await forgotten(gus.id), ['deactivated']);

    const hal = await person('Hal');
    const halDevice = await f.rememberNewDevice(hal);
    const activity = (await server.call('GET', '/me/security-activity', { token: halDevice.token })).body.activity as { id: string }[];
    assert.ok(activity.length > 0);
    assert.equal((await server.call('POST', `/me/security-activity/${activity[0]!.id}/not-me`, { token: halDevice.token, body: {} })).status, 200);
    assert.equal((await f.passwordSignIn(hal.email, halDevice.deviceToken)).session.state, 'two_factor_required', 'after "This wasn\'t me"');
    assert.deepEqual(await forgotten(hal.id), ['not_me']);
  });

  test('attack: a shared desk cannot remember anyone, stays shared, and declaring it ends what it remembered', async () => {
    const ivy = await person('Ivy');
    // Not declared: not remembered.
    const undeclared = await f.passwordSignIn(ivy.email);
    const undeclaredToken = await f.secondStep(ivy, undeclared.token);
    const refused = await f.remember(undeclaredToken);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'device_not_personal');
    // Shared: not remembered, and never personal again.
    const desk = await f.passwordSignIn(ivy.email);
    assert.equal((await f.declare(desk.token, true)).status, 200);
    const deskToken = await f.secondStep(ivy, desk.token);
    const onShared = await f.remember(deskToken);
    assert.equal(onShared.status, 409);
    assert.equal(onShared.body.error.code, 'device_not_personal');
    const back = await f.declare(deskToken, false);
    assert.equal(back.status, 409);
    assert.equal(back.body.error.code, 'device_marked_shared');
    assert.equal((await f.passwordSignIn(ivy.email, desk.deviceToken)).session.state, 'two_factor_required');
    assert.equal(await remembrances(ivy.id), 0);
    // A personal device declared shared later: its remembrance ends.
    const laptop = await f.rememberNewDevice(ivy);
    assert.equal((await f.declare(laptop.token, true)).status, 200);
    assert.equal((await f.passwordSignIn(ivy.email, laptop.deviceToken)).session.state, 'two_factor_required');
  });

  test('attack: a remembered session cannot make a sensitive change, nor renew itself, without the factor', async () => {
    const jon = await person('Jon');
    const { deviceToken } = await f.rememberNewDevice(jon);
    const remembered = (await f.passwordSignIn(jon.email, deviceToken)).token;
    for (const [method, path, body] of [
      ['PUT', '/me/password', { currentPassword: PASSWORD, newPassword: 'another new passphrase 2026' }],
      ['POST', '/me/recovery-codes', {}],
      ['POST', '/me/methods/totp', {}],
      ['DELETE', '/me/sessions', undefined],
      ['POST', '/sessions/current/remember-device', {}],
    ] as const) {
      const res = await server.call(method, path, { token: remembered, body });
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'reauthentication_required', `${method} ${path}`);
    }
    // An admin on a remembered device: no sensitive admin change either.
    const adminDevice = await f.rememberNewDevice(admin);
    const rememberedAdmin = (await f.passwordSignIn(admin.email, adminDevice.deviceToken)).token;
    const policy = await server.call('PUT', '/account/session-policy', { token: rememberedAdmin, body: { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 1 } });
    assert.equal(policy.status, 403);
    assert.equal(policy.body.error.code, 'reauthentication_required');
    // With the factor passed in that session, it may.
    const proved = await f.secondStep(admin, rememberedAdmin);
    assert.equal((await server.call('PUT', '/me/password', { token: await f.secondStep(jon, remembered), body: { currentPassword: PASSWORD, newPassword: 'another new passphrase 2026' } })).status, 200);
    assert.equal((await server.call('GET', '/account/session-policy', { token: proved })).body.rememberDeviceDays, 30, 'the refused save changed nothing');
  });

  test('"security keys only": a user without a key is not skipped past adding one', async () => {
    const kim = await person('Kim');
    const { deviceToken } = await f.rememberNewDevice(kim);
    const account = await server.db.selectFrom('users').select('account_id').where('id', '=', kim.id).executeTakeFirstOrThrow();
    await server.db.updateTable('accounts').set({ second_factor_policy: 'security_keys' }).where('id', '=', account.account_id).execute();
    try {
      assert.equal((await f.passwordSignIn(kim.email, deviceToken)).session.state, 'two_factor_required');
    } finally {
      await server.db.updateTable('accounts').set({ second_factor_policy: 'any' }).where('id', '=', account.account_id).execute();
    }
  });

  test('the user forgets a device, and an admin forgets all of a user\'s: asked again, audited', async () => {
    const lea = await person('Lea');
    const mine = await f.rememberNewDevice(lea);
    const devices = (await server.call('GET', '/me/devices', { token: mine.token })).body.devices as { id: string; current: boolean }[];
    const current = devices.find((d) => d.current)!;
    // Someone else's device is not mine to forget.
    const mo = await person('Mo');
    const moDevice = await f.rememberNewDevice(mo);
    const moId = ((await server.call('GET', '/me/devices', { token: moDevice.token })).body.devices as { id: string; current: boolean }[]).find((d) => d.current)!.id;
    assert.equal((await server.call('DELETE', `/me/devices/${moId}`, { token: mine.token })).status, 404);
    assert.equal(await remembrances(mo.id), 1);
    assert.equal((await server.call('DELETE', `/me/devices/${current.id}`, { token: mine.token })).status, 204);
    assert.equal((await f.passwordSignIn(lea.email, mine.deviceToken)).session.state, 'two_factor_required');
    assert.deepEqual(await forgotten(lea.id), ['forgotten_by_user']);

    const byAdmin = await server.call('DELETE', `/account/users/${mo.id}/remembered-devices`, { token: adminToken });
    assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
    assert.equal(byAdmin.body.forgotten, 1);
    assert.equal((await f.passwordSignIn(mo.email, moDevice.deviceToken)).session.state, 'two_factor_required');
    assert.deepEqual(await forgotten(mo.id), ['forgotten_by_admin']);
    // An agent cannot.
    assert.equal((await server.call('DELETE', `/account/users/${lea.id}/remembered-devices`, { token: mine.token })).status, 403);
  });

  test('the user forgets every device she remembered at once, and only hers', async () => {
    const ola = await person('Ola');
    const first = await f.rememberNewDevice(ola);
    const second = await f.rememberNewDevice(ola);
    const pia = await person('Pia');
    const hers = await f.rememberNewDevice(pia);
    const all = await server.call('DELETE', '/me/devices', { token: second.token });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(all.body, { forgotten: 2 });
    assert.equal(await remembrances(ola.id), 0);
    assert.equal((await f.passwordSignIn(ola.email, first.deviceToken)).session.state, 'two_factor_required');
    assert.equal((await f.passwordSignIn(ola.email, second.deviceToken)).session.state, 'two_factor_required');
    assert.deepEqual(await forgotten(ola.id), ['forgotten_by_user']);
    assert.equal(await remembrances(pia.id), 1, 'another user keeps hers');
    assert.equal((await f.passwordSignIn(pia.email, hers.deviceToken)).session.state, 'active');
    // Nothing left: 0, nothing audited.
    assert.deepEqual((await server.call('DELETE', '/me/devices', { token: second.token })).body, { forgotten: 0 });
    assert.deepEqual(await forgotten(ola.id), ['forgotten_by_user']);
  });

  test('rememberDeviceDays 0 (the default) cannot remember, and turning it off ends every remembrance', async () => {
    const ned = await person('Ned');
    const { deviceToken } = await f.rememberNewDevice(ned);
    const fresh = await f.secondStep(admin, (await f.passwordSignIn(admin.email)).token);
    const off = await server.call('PUT', '/account/session-policy', { token: fresh, body: { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 0 } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal((await f.passwordSignIn(ned.email, deviceToken)).session.state, 'two_factor_required');
    assert.equal(Number((await server.db.selectFrom('remembered_devices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), 0);
    const first = await f.passwordSignIn(ned.email);
    assert.equal((await f.declare(first.token, false)).status, 200);
    const refused = await f.remember(await f.secondStep(ned, first.token));
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'remember_device_off');
    assert.equal(await remembrances(ned.id), 0);
  });
});

// The second step's common path (bench/second-step.ts counts it the same way): remembering adds
// no statement to it, and with remembering off the password step runs no statement about it.
// Counted through the store's statement hook (StoreOptions.onStatement), which the SQLite store
// has: this test runs its own server over SQLite whatever store the suite runs on.
describe('statements of the sign-in with remembering off', () => {
  test('off: no statement about remembered devices; on: one lookup at the password step, none at the second step', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-remember-statements-'));
    let current: string[] | undefined;
    // The audit streams' delivery polls on its own timer: not the request's statement.
    const background = /^select "s"\."id" from "audit_streams"/;
    const running = await startServer({ dataDir, host: '127.0.0.1', port: 0, logLevel: 'silent', openSignup: true }, { onStatement: (sql) => (background.test(sql) ? undefined : current?.push(sql)) });
    try {
      const server = { ...apiClient(`${running.url}/api/v1`), db: running.context.db };
      const slug = 'counted';
      const account = await createAccount(server, slug);
      const enrolled = await enrolTotp(server, (await signIn(server, slug, account.user.email)).token);
      const admin: Person = { id: account.user.id, email: account.user.email, secret: enrolled.secret };
      const f = flows(server, slug);
      // A personal device the admin signed in on (not remembered).
      const first = await f.passwordSignIn(admin.email);
      assert.equal((await f.declare(first.token, false)).status, 200);
      await f.secondStep(admin, first.token);
      const count = async () => {
        current = [];
        const pending = await f.passwordSignIn(admin.email, first.deviceToken);
        const passwordStep = current;
        current = undefined;
        await server.db.updateTable('methods').set({ totp_last_step: null }).where('user_id', '=', admin.id).execute();
        current = [];
        const res = await server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'totp', code: totpCode(admin.secret, Date.now()) } });
        assert.equal(res.status, 200);
        const secondStep = current;
        current = undefined;
        return { passwordStep, secondStep };
      };
      // Background jobs (the security mail outbox, the deployment-day poll) may run a statement
      // inside a window: they only ever add, so each figure is the least of three.
      const least = async () => {
        const runs = [await count(), await count(), await count()];
        const shortest = (key: 'passwordStep' | 'secondStep') => runs.map((r) => r[key]).reduce((a, b) => (b.length < a.length ? b : a));
        return { passwordStep: shortest('passwordStep'), secondStep: shortest('secondStep'), all: runs.flatMap((r) => r.passwordStep.concat(r.secondStep)) };
      };
      const off = await least();
      assert.ok(off.secondStep.length > 0);
      assert.ok(!off.all.some((sql) => sql.includes('remembered_devices')), 'off: nothing asks about remembered devices');
      await server.db.updateTable('accounts').set({ remember_device_days: 30 }).where('id', '=', account.account.id).execute();
      const on = await least();
      assert.equal(on.secondStep.length, off.secondStep.length, `the second step: ${off.secondStep.length} statements off, ${on.secondStep.length} on`);
      assert.equal(on.passwordStep.length, off.passwordStep.length + 1, `on: one lookup at the password step of a personal device\n${on.passwordStep.join('\n')}`);
      assert.equal(on.passwordStep.filter((sql) => sql.includes('remembered_devices')).length, 1);
    } finally {
      current = undefined;
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
