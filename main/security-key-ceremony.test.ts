// Security keys through main's IPC handlers, end to end on plain Node: the embedded server, the
// CTAP client main builds from AGENTDESK_SECURITY_KEY_UDP, and the software authenticator
// served over UDP as a firmware simulator would be. Registration and the second step with a
// PIN (a wrong one first), progress as the renderer receives it, cancel, a key registered twice.
import { operations } from '../contract/operations.js';
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
import { SecurityKeyCeremonies, securityKeyAuthenticatorFromEnvironment, type PasskeySignInServer } from './security-key-ceremony.js';
import { ApiError } from '../contract/api-error.js';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse, type WebAuthnCredential } from '@simplewebauthn/server';
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
    const securityKeys = new SecurityKeyCeremonies({
      authenticator,
      origin: connection.origin,
      onProgress: (p) => {
        progress.push(p);
        // The renderer answers asynchronously, through IPC, as the preload would.
        setImmediate(() => onProgress(p));
      },
    });
    const handlers = createDesktopHandlers({ session, securityKeys });
    invoke = (name, ...args) => dispatch(handlers, name, args, () => {}) as any;

    const created = await invoke('createAccount', { body: { name: 'Acme', slug: 'acme', admin: { name: 'Ada', email: 'ada@acme.test', password: PASSWORD } } });
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
    // Issue 19: the renderer got touch_needed twice, from the start and again from the key.
    assert.deepEqual(progress, [{ step: 'touch_needed' }, { step: 'processing' }, { step: 'done' }], 'each event once, in order');
    assert.equal(key.credentials.size, 1);
  });

  test('the same key cannot be registered twice', async () => {
    const again = await invoke('addSecurityKey', 'Same key');
    assert.equal(again.ok ? 'ok' : again.error.code, 'method_already_registered');
  });

  test('the second step with a key tells the renderer each step once, in order', async () => {
    assert.ok((await invoke('signOut')).ok);
    const signedIn = await invoke('signIn', { account: 'acme', email: 'ada@acme.test', password: PASSWORD });
    assert.ok(signedIn.ok);
    assert.equal(signedIn.value.session.state, 'two_factor_required');
    progress.length = 0;
    const passed = await invoke('useSecurityKey');
    assert.ok(passed.ok, JSON.stringify(passed));
    assert.equal(passed.value.state, 'active');
    assert.deepEqual(progress, [{ step: 'touch_needed' }, { step: 'processing' }, { step: 'done' }]);
  });

  test('with user verification required, the second step asks for the PIN and says when it was wrong', async () => {
    // The admin demands a PIN (not part of the renderer's settings screen, so straight to the API).
    await session.client.request(operations.saveSecuritySettings, { body: { requireTwoFactor: false, acknowledged: false, userVerification: 'required' } });
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
    assert.deepEqual(progress, [
      { step: 'touch_needed' },
      { step: 'pin_needed', retriesLeft: 8, wrongPin: false },
      { step: 'pin_needed', retriesLeft: 7, wrongPin: true },
      { step: 'processing' },
      // The PIN is in: the key now waits for the touch that confirms, then signs.
      { step: 'touch_needed' },
      { step: 'processing' },
      { step: 'done' },
    ]);
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

  // Issue 19: the server's refusal of a key whose counter went backwards reached the agent in
  // @simplewebauthn's own English ("Response counter value 1 was lower than expected 4").
  test('a copy of the key (its counter behind the original) is refused as "may be a copy: ask your administrator"', async () => {
    const copy = new SoftAuthenticator({ pin: PIN });
    for (const [id, credential] of key.credentials) copy.credentials.set(id, credential);
    const listen = await reserveFreeUdpPort();
    const served = await serveOverUdp(copy, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: listen });
    try {
      const copyKeys = new SecurityKeyCeremonies({
        authenticator: securityKeyAuthenticatorFromEnvironment({ AGENTDESK_SECURITY_KEY_UDP: `127.0.0.1:${served.address.port}`, AGENTDESK_SECURITY_KEY_UDP_LISTEN: `127.0.0.1:${listen}` }),
        origin: connection.origin,
        onProgress: (p) => p.step === 'pin_needed' && setImmediate(() => copyKeys.submitPin(PIN)),
      });
      const result = await dispatch(createDesktopHandlers({ session, securityKeys: copyKeys }), 'useSecurityKey', [], () => {});
      assert.ok(!result.ok);
      // The code and reason reach the window, which says it in the agent's language from its
      // catalogue (error.security_key_rejected.counter_regression: "This key may be a copy: ask
      // your administrator."), never the key library's raw English.
      assert.deepEqual({ code: result.error.code, reason: result.error.reason }, { code: 'security_key_rejected', reason: 'counter_regression' });
      assert.match(result.error.message, /copy.*administrator/);
    } finally {
      await served.close();
    }
  });
});

// The ceremonies main runs, against the software authenticator over UDP, without the identity
// service: the passkey endpoints (POST /sessions/passkey-options, /sessions/passkey) are served
// here by a relying party made of @simplewebauthn/server's own functions, the same ones the
// server's verification uses.
describe('security-key ceremonies: passkey sign-in and an unanswered PIN prompt', () => {
  const origin = 'http://localhost:3000';
  let key: SoftAuthenticator;
  let simulator: { close(): Promise<void> };
  let authenticator: ReturnType<typeof securityKeyAuthenticatorFromEnvironment>;
  const progress: SecurityKeyProgress[] = [];
  let onProgress: (p: SecurityKeyProgress) => void = () => {};
  const newCeremonies = (timeoutMs?: number) =>
    new SecurityKeyCeremonies({ authenticator, origin, ...(timeoutMs !== undefined && { timeoutMs }), onProgress: (p) => (progress.push(p), setImmediate(() => onProgress(p))) });
  const passkeys = new Map<string, WebAuthnCredential>();
  const calls: { account: string; challengeId?: unknown; userHandle?: string }[] = [];
  const relyingParty: PasskeySignInServer<{ account: string; userHandle: string }> = {
    async passkeyOptions() {
      return { ...(await generateAuthenticationOptions({ rpID: 'localhost', userVerification: 'required' })), challengeId: 'challenge-1' };
    },
    async signInWithPasskey(account, response, options) {
      const credential = passkeys.get(response.id);
      assert.ok(credential, 'a registered passkey');
      const v = await verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: 'localhost', credential, requireUserVerification: true });
      assert.equal(v.verified, true);
      calls.push({ account, challengeId: (options as { challengeId?: unknown }).challengeId, userHandle: response.response.userHandle! });
      return { account, userHandle: Buffer.from(response.response.userHandle!, 'base64url').toString() };
    },
  };

  before(async () => {
    key = new SoftAuthenticator({ pin: PIN });
    const listen = await reserveFreeUdpPort();
    const served = await serveOverUdp(key, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: listen });
    simulator = served;
    authenticator = securityKeyAuthenticatorFromEnvironment({ AGENTDESK_SECURITY_KEY_UDP: `127.0.0.1:${served.address.port}`, AGENTDESK_SECURITY_KEY_UDP_LISTEN: `127.0.0.1:${listen}` });
    for (const name of ['ana@acme.test', 'bob@acme.test']) {
      const options = await generateRegistrationOptions({ rpName: 'AgentDesk', rpID: 'localhost', userName: name, userID: new TextEncoder().encode(name), authenticatorSelection: { residentKey: 'required', userVerification: 'required' } });
      const response = await authenticator.createCredential(options, { origin, requestPin: async () => PIN });
      const v = await verifyRegistrationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: 'localhost' });
      passkeys.set(v.registrationInfo!.credential.id, v.registrationInfo!.credential);
    }
  });

  after(async () => {
    await simulator.close();
  });

  test('passkey sign-in: the PIN through submitPin, the agent picks an account, the server gets {account, response} with the userHandle', async () => {
    const ceremonies = newCeremonies();
    progress.length = 0;
    onProgress = (p) => {
      if (p.step === 'pin_needed') ceremonies.submitPin(PIN);
    };
    let offered: string[] = [];
    const signedIn = await ceremonies.signInWithPasskey(relyingParty, 'acme', {
      chooseAccount: async (accounts) => ((offered = accounts.map((a) => a.name ?? '')), offered.indexOf('bob@acme.test')),
    });
    assert.deepEqual(signedIn, { account: 'acme', userHandle: 'bob@acme.test' });
    assert.deepEqual(offered.sort(), ['ana@acme.test', 'bob@acme.test']);
    assert.equal(calls.at(-1)?.challengeId, 'challenge-1', 'the options reach the second call');
    assert.deepEqual(progress.filter((p) => p.step === 'pin_needed'), [{ step: 'pin_needed', retriesLeft: 8, wrongPin: false }]);
    assert.deepEqual(progress.at(-1), { step: 'done' });
  });

  // Issue 13: on the desktop a PIN prompt left open outlived the server's timeout indefinitely.
  test('a PIN prompt nobody answers ends at the ceremony timeout, and a PIN sent afterwards goes nowhere', async () => {
    const ceremonies = newCeremonies(2_500);
    progress.length = 0;
    let promptedAt = 0;
    onProgress = (p) => {
      if (p.step === 'pin_needed') promptedAt = Date.now();
    };
    const retries = key.pinRetries;
    const started = Date.now();
    await assert.rejects(ceremonies.signInWithPasskey(relyingParty, 'acme'), (e: unknown) => e instanceof ApiError && e.code === 'security_key_cancelled' && /PIN wasn't entered in time/.test(e.message));
    assert.ok(promptedAt > 0, 'the PIN prompt was open');
    assert.ok(Date.now() - started < 4_000, `ended ${Date.now() - started} ms after the start, the timeout being 2500 ms`);
    assert.deepEqual(progress.at(-1), { step: 'cancelled' }, 'the renderer is told to close the prompt');
    ceremonies.submitPin('0000');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(key.pinRetries, retries, 'the late PIN was not tried on the key');
  });

  test('cancel while the PIN prompt is open ends the passkey sign-in at once', async () => {
    const ceremonies = newCeremonies(10_000);
    onProgress = (p) => {
      if (p.step === 'pin_needed') ceremonies.cancel();
    };
    const started = Date.now();
    await assert.rejects(ceremonies.signInWithPasskey(relyingParty, 'acme'), (e: unknown) => e instanceof ApiError && e.code === 'security_key_cancelled');
    assert.ok(Date.now() - started < 2_000);
  });
});

// Issue 19: a key that never answered CTAPHID_INIT reached the agent as "wasn't touched in time".
test('a key silent on INIT reaches the renderer as security_key_not_responding, with what to do', async () => {
  const silent = new SoftAuthenticator({ answersInit: false });
  const listen = await reserveFreeUdpPort();
  const served = await serveOverUdp(silent, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: listen });
  try {
    const progress: SecurityKeyProgress[] = [];
    const ceremonies = new SecurityKeyCeremonies({
      authenticator: securityKeyAuthenticatorFromEnvironment({ AGENTDESK_SECURITY_KEY_UDP: `127.0.0.1:${served.address.port}`, AGENTDESK_SECURITY_KEY_UDP_LISTEN: `127.0.0.1:${listen}` }),
      origin: 'http://localhost:3000',
      timeoutMs: 30_000,
      onProgress: (p) => progress.push(p),
    });
    const server: PasskeySignInServer<never> = {
      passkeyOptions: () => generateAuthenticationOptions({ rpID: 'localhost', userVerification: 'required' }),
      signInWithPasskey: () => assert.fail('no response from a silent key'),
    };
    await assert.rejects(
      ceremonies.signInWithPasskey(server, 'acme'),
      (e: unknown) => e instanceof ApiError && e.code === 'security_key_not_responding' && e.message === 'The security key is not responding. Unplug it and plug it in again.',
    );
    assert.deepEqual(progress, [{ step: 'touch_needed' }, { step: 'cancelled' }]);
  } finally {
    await served.close();
  }
});
