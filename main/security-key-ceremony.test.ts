// Security keys through main's IPC handlers, end to end on plain Node: the embedded server, the
// CTAP client main builds from AGENTDESK_SECURITY_KEY_UDP, and the software authenticator
// served over UDP as a firmware simulator would be. Registration and the second step with a
// PIN (a wrong one first), progress as the renderer receives it, cancel, a key registered twice.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { reserveFreeUdpPort } from '../server/free-port.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('security keys through main', () => {
  let userData: string;
  let connection: ServerConnection;
  let key: SoftAuthenticator;
  let simulator: { close(): Promise<void> };
  let session: DesktopSession;
  const progress: SecurityKeyProgress[] = [];
  /** What the "renderer" does on each progress event (answer a PIN, press cancel). */
  let onProgress: (p: SecurityKeyProgress) => void = () => {};
  let invoke: <T = any>(name: InvokeName, ...args: unknown[]) => Promise<IpcResult<T>>;

  before(async () => {
    userData = mkdtempSync(join(tmpdir(), 'agentdesk-keys-'));
    connection = await connectServer({ env: { AGENTDESK_SERVER_LOG_LEVEL: 'silent' }, userDataDir: userData, log: () => {} });
    key = new SoftAuthenticator({ pin: PIN, maxPinRetries: 8 });
    const listen = await reserveFreeUdpPort();
    const served = await serveOverUdp(key, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: listen });
    simulator = served;
    // Exactly what main does at start, with the simulator named in the environment.
    const authenticator = securityKeyAuthenticatorFromEnvironment({
      AGENTDESK_SECURITY_KEY_UDP: `127.0.0.1:${served.address.port}`,
      AGENTDESK_SECURITY_KEY_UDP_LISTEN: `127.0.0.1:${listen}`,
    });
    session = new DesktopSession({ server: connection.url, storeKey: connection.storeKey, store: new MemorySessionStore(), onRevoked: () => {}, log: () => {} });
    let handlers: ReturnType<typeof createDesktopHandlers>;
    const securityKeys = new SecurityKeyCeremonies({
      authenticator,
      origin: connection.origin,
      onProgress: (p) => {
        progress.push(p);
        // The renderer answers asynchronously, through IPC, as the preload would.
        setImmediate(() => onProgress(p));
      },
    });
    handlers = createDesktopHandlers({ session, securityKeys });
    invoke = (name, ...args) => dispatch(handlers, name, args, () => {}) as any;

    const created = await invoke('createAccount', { name: 'Acme', slug: 'acme', admin: { name: 'Ada', email: 'ada@acme.test', password: PASSWORD } });
    assert.ok(created.ok);
    const signedIn = await invoke('signIn', { account: 'acme', email: 'ada@acme.test', password: PASSWORD });
    assert.ok(signedIn.ok);
  });

  after(async () => {
    session.close();
    await simulator.close();
    await connection.close();
    rmSync(userData, { recursive: true, force: true });
  });

  test('registering a key reports touch and done, and brings the first recovery codes', async () => {
    progress.length = 0;
    const added = await invoke('addSecurityKey', 'Desk key');
    assert.ok(added.ok, JSON.stringify(added));
    assert.equal(added.value.method.type, 'security_key');
    assert.equal(added.value.method.name, 'Desk key');
    assert.equal(added.value.recoveryCodes.length, 10, 'the first method brings recovery codes');
    assert.deepEqual(progress[0], { step: 'touch_needed' });
    assert.deepEqual(progress.at(-1), { step: 'done' });
    assert.equal(key.credentials.size, 1);
  });

  test('the same key cannot be registered twice', async () => {
    const again = await invoke('addSecurityKey', 'Same key');
    assert.equal(again.ok ? 'ok' : again.error.code, 'method_already_registered');
  });

  test('with user verification required, the second step asks for the PIN and says when it was wrong', async () => {
    // The admin demands a PIN (not part of the renderer's settings screen, so straight to the API).
    await session.client.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false, userVerification: 'required' });
    assert.ok((await invoke('signOut')).ok);
    const signedIn = await invoke('signIn', { account: 'acme', email: 'ada@acme.test', password: PASSWORD });
    assert.ok(signedIn.ok);
    assert.equal(signedIn.value.session.state, 'two_factor_required');
    progress.length = 0;
    onProgress = (p) => {
      if (p.step === 'pin_needed') void invoke('submitSecurityKeyPin', p.wrongPin ? PIN : '0000');
    };
    const passed = await invoke('useSecurityKey');
    assert.ok(passed.ok, JSON.stringify(passed));
    assert.equal(passed.value.state, 'active');
    assert.ok(passed.value.secondFactorAt);
    assert.deepEqual(progress.filter((p) => p.step === 'pin_needed'), [
      { step: 'pin_needed', retriesLeft: 8, wrongPin: false },
      { step: 'pin_needed', retriesLeft: 7, wrongPin: true },
    ]);
    assert.deepEqual(progress.at(-1), { step: 'done' });
  });

  test('cancel stops a key that waits for a touch', async () => {
    key.setPresence('manual');
    progress.length = 0;
    let pinSent = false;
    let cancelled = false;
    onProgress = (p) => {
      if (p.step === 'pin_needed') {
        pinSent = true;
        void invoke('submitSecurityKeyPin', PIN);
      }
      // Once the PIN is in and the key waits for the touch that never comes, the agent presses cancel.
      if (p.step === 'touch_needed' && pinSent && !cancelled) {
        cancelled = true;
        setTimeout(() => void invoke('cancelSecurityKey'), 200);
      }
    };
    const startedAt = Date.now();
    const result = await invoke('useSecurityKey');
    assert.equal(result.ok ? 'ok' : result.error.code, 'security_key_cancelled');
    assert.ok(Date.now() - startedAt < 5000, 'cancel is prompt');
    assert.deepEqual(progress.at(-1), { step: 'cancelled' });
    key.setPresence('touch');
  });

  test('cancel while the PIN is asked for ends the request without trying a PIN', async () => {
    const retriesBefore = key.pinRetries;
    onProgress = (p) => {
      if (p.step === 'pin_needed') void invoke('cancelSecurityKey');
    };
    const result = await invoke('useSecurityKey');
    assert.equal(result.ok ? 'ok' : result.error.code, 'security_key_cancelled');
    assert.equal(key.pinRetries, retriesBefore);
  });
});
