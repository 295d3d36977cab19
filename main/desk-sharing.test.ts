// Attack: a shared contact-centre desk remembers an agent, so the next person at it signs in as
// them with a shoulder-surfed password and no second factor; or the desk is talked back from
// "shared" into "personal" by whoever sits at it next.
// The desktop asks once per desk whether it is shared (main/desk-settings.ts), keeps the answer in
// userData and says it with every sign-in (PUT /sessions/current/device): plain Node, against the
// embedded server started the way the app starts it, through the IPC handlers the preload drives.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../server/testing/totp-reference.js';
import { createDesktopHandlers, dispatch } from './desktop-handlers.js';
import { DeskSettings, DESK_SETTINGS_FILE } from './desk-settings.js';
import { DesktopSession } from './desktop-session.js';
import type { InvokeName } from './ipc-channels.js';
import { SecurityKeyCeremonies, type SecurityKeyAuthenticator } from './security-key-ceremony.js';
import { connectServer, type ServerConnection } from './server-connection.js';
import { MemorySessionStore } from './session-store.js';

const PASSWORD = 'correct horse battery staple';
const noSecurityKey: SecurityKeyAuthenticator = {
  createCredential: () => Promise.reject(new Error('no key in this test')),
  getAssertion: () => Promise.reject(new Error('no key in this test')),
};

describe('desk settings file', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'agentdesk-desk-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('not asked until answered; the answer outlives the app; a broken file is asked again', async () => {
    const file = join(dir, 'a', DESK_SETTINGS_FILE);
    assert.equal(await new DeskSettings(file).shared(), null);
    await new DeskSettings(file).setShared(false);
    assert.equal(await new DeskSettings(file).shared(), false, 'a new run reads the answer');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).shared, false);
    writeFileSync(file, '{"shared": "yes"');
    assert.equal(await new DeskSettings(file).shared(), null);
  });

  test('attack: a desk set up as shared is not talked back into personal', async () => {
    const file = join(dir, 'b', DESK_SETTINGS_FILE);
    const desk = new DeskSettings(file);
    await desk.setShared(true);
    await assert.rejects(desk.setShared(false), { code: 'device_marked_shared' });
    assert.equal(await new DeskSettings(file).shared(), true);
  });
});

describe('the desk says whether it is shared with every sign-in', () => {
  let userData: string;
  let connection: ServerConnection;
  const apps: DesktopSession[] = [];
  let secret: string;
  let recoveryCodes: string[];

  /** One desktop app on its own desk (its device token, its settings file). */
  function desk(name: string, store = new MemorySessionStore()) {
    const settings = new DeskSettings(join(userData, name, DESK_SETTINGS_FILE));
    const session = new DesktopSession({ server: connection.url, storeKey: connection.storeKey, store, desk: settings, onRevoked: () => {}, log: () => {} });
    apps.push(session);
    const handlers = createDesktopHandlers({ session, securityKeys: new SecurityKeyCeremonies({ authenticator: noSecurityKey, origin: connection.origin, onProgress: () => {} }) });
    const invoke = (call: InvokeName, ...args: unknown[]) => dispatch(handlers, call, args, () => {});
    return {
      store,
      settings,
      invoke,
      async value<T = any>(call: InvokeName, ...args: unknown[]): Promise<T> {
        const result = await invoke(call, ...args);
        if (!result.ok) throw new Error(`${call}: ${result.error.code} ${result.error.message}`);
        return result.value as T;
      },
    };
  }
  const signIn = (app: ReturnType<typeof desk>) => app.value('signIn', { account: 'desks', email: 'ada@desks.test', password: PASSWORD });

  before(async () => {
    userData = mkdtempSync(join(tmpdir(), 'agentdesk-desks-'));
    connection = await connectServer({ env: { AGENTDESK_SERVER_LOG_LEVEL: 'silent' }, userDataDir: userData, log: () => {} });
    const first = desk('setup');
    await first.value('createAccount', { body: { name: 'Desks', slug: 'desks', admin: { name: 'Ada Admin', email: 'ada@desks.test', password: PASSWORD } } });
    await signIn(first);
    const setup = await first.value('startAuthenticatorApp', { body: { name: 'Phone' } });
    secret = setup.secret;
    recoveryCodes = (await first.value('confirmAuthenticatorApp', { params: { id: setup.id }, body: { code: totpCode(secret, Date.now()) } })).recoveryCodes;
    const saved = await first.value('saveSessionPolicy', { body: { idleMinutes: 480, absoluteHours: 24, rememberDeviceDays: 7 } });
    assert.equal(saved.rememberDeviceDays, 7);
    await first.value('signOut');
  });
  after(async () => {
    for (const app of apps) app.close();
    await connection.close();
    rmSync(userData, { recursive: true, force: true });
  });

  test('a desk never asked says nothing: remembering is offered, the device undeclared, and the app asks', async () => {
    const app = desk('unasked');
    assert.deepEqual(await app.value('getDeskSharing'), { shared: null });
    const current = await signIn(app);
    assert.equal(current.session.state, 'two_factor_required');
    assert.deepEqual(current.rememberDevice, { days: 7, shared: null });
    // The agent answers "personal" at the second step: kept, and said of this session's device.
    await app.value('setDeskSharing', false);
    assert.deepEqual(await app.value('getDeskSharing'), { shared: false });
    assert.deepEqual((await app.value('getCurrentSession')).rememberDevice, { days: 7, shared: false });
    await app.value('signOut');
  });

  test('a personal desk is declared at sign-in, remembers its agent, and the next sign-in skips the second step', async () => {
    const app = desk('personal');
    await app.settings.setShared(false);
    const current = await signIn(app);
    assert.deepEqual(current.rememberDevice, { days: 7, shared: false }, 'said before the second step is shown');
    await app.value('passSecondFactor', { body: { method: 'totp', code: totpCode(secret, Date.now() + 30_000) } });
    const remembered = await app.value('rememberDevice', { body: {} });
    assert.equal(remembered.days, 7);
    await app.value('signOut');
    const again = await signIn(app);
    assert.equal(again.session.state, 'active');
    assert.equal(again.session.secondFactorAt, null);
    await app.value('signOut');
  });

  test('attack: a shared desk is declared shared at every sign-in and cannot remember anyone', async () => {
    const app = desk('shared');
    await app.value('setDeskSharing', true);
    const current = await signIn(app);
    assert.deepEqual(current.rememberDevice, { days: 7, shared: true });
    await app.value('passSecondFactor', { body: { method: 'recovery_code', code: recoveryCodes[0] } });
    const refused = await app.invoke('rememberDevice', { body: {} });
    assert.equal(!refused.ok && refused.error.code, 'device_not_personal');
    const personal = await app.invoke('setDeskSharing', false);
    assert.equal(!personal.ok && personal.error.code, 'device_marked_shared');
    await app.value('signOut');
    assert.equal((await signIn(app)).session.state, 'two_factor_required');
  });

  test('a desk the server knows as shared becomes shared here too, whatever its file says', async () => {
    const app = desk('relabelled');
    await app.settings.setShared(true);
    await signIn(app);
    await app.value('signOut');
    // The settings file is deleted and the desk answered "personal" again: same device token.
    const file = join(userData, 'relabelled-again', DESK_SETTINGS_FILE);
    const again = desk('relabelled-again', app.store);
    await again.settings.setShared(false);
    const current = await signIn(again);
    assert.deepEqual(current.rememberDevice, { days: 7, shared: true });
    assert.deepEqual(await again.value('getDeskSharing'), { shared: true });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).shared, true);
    await again.value('signOut');
  });
});
