// Sign in with a security key alone from the desktop, end to end on plain Node: main's IPC
// handlers against the embedded identity service on a real port, the CTAP client main builds
// from AGENTDESK_SECURITY_KEY_UDP, and the software authenticator (with a PIN) served over UDP.
// The agent registers the key as a passkey, signs out, and signs in with the key and its PIN.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveFreeUdpPort } from '../server/free-port.js';
import type { SecurityKeyProgress } from '../preload/agentdesk-api.js';
import { SoftAuthenticator } from './security-keys/testing/soft-authenticator.js';
import { serveOverUdp } from './security-keys/testing/udp-simulator.js';
import { createDesktopHandlers, dispatch } from './desktop-handlers.js';
import { DesktopSession } from './desktop-session.js';
import type { InvokeName, IpcResult } from './ipc-channels.js';
import { SecurityKeyCeremonies, securityKeyAuthenticatorFromEnvironment } from './security-key-ceremony.js';
import { connectServer, type ServerConnection } from './server-connection.js';
import { MemorySessionStore } from './session-store.js';

const PASSWORD = 'correct horse battery staple';
const PIN = '4711';

describe('desktop: sign in with a security key alone', () => {
  let userData: string;
  let connection: ServerConnection;
  let key: SoftAuthenticator;
  let simulator: { close(): Promise<void> };
  let session: DesktopSession;
  const store = new MemorySessionStore();
  const progress: SecurityKeyProgress[] = [];
  let invoke: <T = any>(name: InvokeName, ...args: unknown[]) => Promise<IpcResult<T>>;

  before(async () => {
    userData = mkdtempSync(join(tmpdir(), 'agentdesk-passkey-'));
    connection = await connectServer({ env: { AGENTDESK_SERVER_LOG_LEVEL: 'silent' }, userDataDir: userData, log: () => {} });
    key = new SoftAuthenticator({ pin: PIN });
    const listen = await reserveFreeUdpPort();
    const served = await serveOverUdp(key, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: listen });
    simulator = served;
    const authenticator = securityKeyAuthenticatorFromEnvironment({
      AGENTDESK_SECURITY_KEY_UDP: `127.0.0.1:${served.address.port}`,
      AGENTDESK_SECURITY_KEY_UDP_LISTEN: `127.0.0.1:${listen}`,
    });
    session = new DesktopSession({ server: connection.url, storeKey: connection.storeKey, store, onRevoked: () => {}, log: () => {} });
    const securityKeys = new SecurityKeyCeremonies({
      authenticator,
      origin: connection.origin,
      onProgress: (p) => {
        progress.push(p);
        // The renderer answers the PIN prompt through IPC, as the preload would.
        if (p.step === 'pin_needed') setImmediate(() => void invoke('submitSecurityKeyPin', PIN));
      },
    });
    const handlers = createDesktopHandlers({ session, securityKeys });
    invoke = (name, ...args) => dispatch(handlers, name, args, () => {}) as any;

    assert.ok((await invoke('createAccount', { body: { name: 'Acme', slug: 'acme', admin: { name: 'Ada', email: 'ada@acme.test', password: PASSWORD } } })).ok);
    assert.ok((await invoke('signIn', { account: 'acme', email: 'ada@acme.test', password: PASSWORD })).ok);
  });

  after(async () => {
    session.close();
    await simulator.close();
    await connection.close();
    rmSync(userData, { recursive: true, force: true });
  });

  test('with passwordless sign-in off, the key alone is refused with passwordless_disabled', async () => {
    const refused = await invoke('signInWithSecurityKey', { account: 'acme' });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'passwordless_disabled');
  });

  test('a key registered as a passkey (PIN asked) signs the agent in after sign-out, with its PIN and no password', async () => {
    progress.length = 0;
    const added = await invoke('addSecurityKey', 'Desk passkey', { passwordless: true });
    assert.ok(added.ok, JSON.stringify(added));
    assert.equal(added.value.method.passwordless, true);
    assert.ok(progress.some((p) => p.step === 'pin_needed'), 'a passkey registration verifies the user');
    const credentials = [...key.credentials.values()];
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.resident, true, 'the key keeps the credential (a passkey)');

    const settings = await invoke('saveSecuritySettings', { body: { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: true } });
    assert.ok(settings.ok, JSON.stringify(settings));
    assert.ok((await invoke('signOut')).ok);
    assert.equal(session.signedIn, false);

    progress.length = 0;
    const signedIn = await invoke('signInWithSecurityKey', { account: 'acme' });
    assert.ok(signedIn.ok, JSON.stringify(signedIn));
    assert.equal(signedIn.value.session.state, 'active');
    assert.ok(signedIn.value.session.secondFactorAt, 'it counts as both factors');
    assert.equal(signedIn.value.user.email, 'ada@acme.test');
    assert.equal('token' in signedIn.value, false, 'the session token stays in main');
    assert.ok(progress.some((p) => p.step === 'pin_needed'));
    assert.deepEqual(progress.at(-1), { step: 'done' });
    assert.equal(session.signedIn, true);
    const me = await invoke('getMe');
    assert.ok(me.ok);
    assert.equal(me.value.methods[0].passwordless, true);
    // The device token the server issued is kept for the next sign-in.
    assert.ok(await store.getDeviceToken(connection.storeKey));
  });

  // Before, the first account on the key was signed in without asking: no chooser ever showed.
  test('a key holding two accounts of this service: the screen lists both and signs in the one the agent chose', { timeout: 30_000 }, async () => {
    // Bea, a second agent, registers her passkey on the same key (a shared desk's key).
    const invited = await invoke('inviteUser', { body: { name: 'Bea', email: 'bea@acme.test', role: 'agent' } });
    assert.ok(invited.ok, JSON.stringify(invited));
    const token = new URL(invited.value.invitation.link.replace('#/', '')).searchParams.get('token')!;
    assert.ok((await invoke('acceptInvitation', { body: { token, password: PASSWORD } })).ok);
    assert.ok((await invoke('signOut')).ok);
    assert.ok((await invoke('signIn', { account: 'acme', email: 'bea@acme.test', password: PASSWORD })).ok);
    assert.ok((await invoke('addSecurityKey', 'Bea passkey', { passwordless: true })).ok);
    assert.equal([...key.credentials.values()].filter((c) => c.resident).length, 2);
    assert.ok((await invoke('signOut')).ok);

    progress.length = 0;
    let offered: { name: string | null }[] = [];
    const chosen = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const ask = progress.find((p) => p.step === 'choose_account');
        if (!ask || ask.step !== 'choose_account') return;
        clearInterval(poll);
        offered = ask.accounts;
        // The agent picks Bea on the screen; the preload answers through IPC.
        void invoke('chooseSecurityKeyAccount', offered.findIndex((a) => a.name === 'bea@acme.test')).then(() => resolve());
      }, 10);
    });
    const signedIn = await invoke('signInWithSecurityKey', { account: 'acme' });
    await chosen;
    assert.ok(signedIn.ok, JSON.stringify(signedIn));
    assert.deepEqual(offered.map((a) => a.name).sort(), ['ada@acme.test', 'bea@acme.test']);
    assert.equal(signedIn.value.user.email, 'bea@acme.test');
    assert.equal((await invoke('chooseSecurityKeyAccount', 300)).ok ? 'ok' : 'refused', 'refused', 'an index out of range is refused in main');
  });

  test('bad arguments from the renderer are refused in main before anything reaches the key or the server', async () => {
    progress.length = 0;
    for (const args of [[], [{}], [{ account: '' }], [{ account: 'acme', extra: 1 }], [{ account: 'acme', autofill: 'yes' }], ['acme']]) {
      const result = await invoke('signInWithSecurityKey', ...args);
      assert.equal(result.ok ? 'ok' : result.error.code, 'invalid_request', JSON.stringify(args));
    }
    const badAdd = await invoke('addSecurityKey', 'Key', { passwordless: 'yes' });
    assert.equal(badAdd.ok ? 'ok' : badAdd.error.code, 'invalid_request');
    assert.equal(progress.length, 0);
  });
});
