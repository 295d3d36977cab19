import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { decode } from 'cborg';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { SecurityKeyClient, type KeyAccount, type PinRequest, type SecurityKeyProgress } from './webauthn-client.js';
import { ctap2RequestSize, makeCredentialParameters } from './ctap2.js';
import { CtapError, CtapStatus, SecurityKeyError } from './errors.js';
import { listDiscovery } from './transport/list-discovery.js';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from './testing/soft-authenticator.js';
import type { SecurityKeyTransport } from './transport/transport.js';

const origin = 'http://localhost:3000';
const rpID = 'localhost';

function setup(...keys: SoftAuthenticatorOptions[]) {
  const authenticators = keys.map((o) => new SoftAuthenticator({ keepaliveIntervalMs: 10, ...o }));
  const transports: SecurityKeyTransport[] = authenticators.map((a) => a.plugIn());
  const client = new SecurityKeyClient({ discovery: listDiscovery(() => transports), pollIntervalMs: 20 });
  return { authenticators, transports, client };
}

async function register(client: SecurityKeyClient, extra: Partial<Parameters<typeof generateRegistrationOptions>[0]> = {}, ceremony: Partial<Parameters<SecurityKeyClient['createCredential']>[1]> = {}) {
  const options = await generateRegistrationOptions({ rpName: 'AgentDesk', rpID, userName: 'agent@example.com', attestationType: 'direct', ...extra });
  const response = await client.createCredential(options, { origin, timeoutMs: 3_000, ...ceremony });
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: options.authenticatorSelection?.userVerification === 'required',
  });
  assert.equal(verification.verified, true);
  const info = verification.registrationInfo!;
  return { response, credential: info.credential, info };
}

async function authenticate(client: SecurityKeyClient, credential: WebAuthnCredential, extra: Partial<Parameters<typeof generateAuthenticationOptions>[0]> = {}, ceremony: Partial<Parameters<SecurityKeyClient['getAssertion']>[1]> = {}) {
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }], ...extra });
  const response = await client.getAssertion(options, { origin, timeoutMs: 3_000, ...ceremony });
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential,
    requireUserVerification: options.userVerification === 'required',
  });
  assert.equal(verification.verified, true);
  return { response, verification };
}

test('CTAP2 key: register then authenticate, both accepted by @simplewebauthn/server', async () => {
  const { client } = setup({});
  const events: SecurityKeyProgress['type'][] = [];
  const { response, credential, info } = await register(client, {}, { onProgress: (e) => events.push(e.type) });
  assert.equal(info.fmt, 'packed');
  assert.equal(response.authenticatorAttachment, 'cross-platform');
  assert.deepEqual(events, ['touch_needed', 'processing', 'done']);
  // response.publicKey is the same P-256 key as the attested COSE key, as DER SPKI.
  const spki = createPublicKey({ key: Buffer.from(response.response.publicKey!, 'base64url'), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const cose = decode(credential.publicKey, { useMaps: true }) as Map<number, Uint8Array>;
  assert.equal(spki.x, Buffer.from(cose.get(-2)!).toString('base64url'));
  assert.equal(spki.y, Buffer.from(cose.get(-3)!).toString('base64url'));
  const { verification } = await authenticate(client, credential);
  assert.ok(verification.authenticationInfo.newCounter > 0);
});

test('CTAP 2.0 key (no FIDO_2_1): round trip with PIN protocol 1 and getPinToken', async () => {
  const { client } = setup({ versions: ['U2F_V2', 'FIDO_2_0'], pinProtocols: [1], pin: '2468' });
  const prompts: (number | undefined)[] = [];
  const requestPin = async (r: { retries?: number }) => (prompts.push(r.retries), '2468');
  const { credential, info } = await register(client, { authenticatorSelection: { userVerification: 'required' } }, { requestPin });
  assert.equal(info.userVerified, true);
  await authenticate(client, credential, { userVerification: 'required' }, { requestPin });
  assert.deepEqual(prompts, [8, 8]);
});

test('PIN-protected key (protocol 2, pinUvAuthToken permissions): UV required and reported', async () => {
  const { client } = setup({ pin: '135790' });
  const events: string[] = [];
  const requestPin = async () => '135790';
  const { credential, info } = await register(client, { authenticatorSelection: { userVerification: 'required', residentKey: 'required' } }, { requestPin, onProgress: (e) => events.push(e.type) });
  assert.equal(info.userVerified, true);
  assert.equal(info.credentialDeviceType, 'singleDevice');
  assert.ok(events.includes('pin_needed'));
  const { verification } = await authenticate(client, credential, { userVerification: 'required' }, { requestPin });
  assert.equal(verification.authenticationInfo.userVerified, true);
});

test('discoverable credential: empty allowList returns the userHandle', async () => {
  const { client } = setup({ pin: '1234' });
  const requestPin = async () => '1234';
  const { credential } = await register(client, { userID: new TextEncoder().encode('user-42'), authenticatorSelection: { residentKey: 'required', userVerification: 'required' } }, { requestPin });
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  const response = await client.getAssertion(options, { origin, requestPin, timeoutMs: 3_000 });
  assert.equal(Buffer.from(response.response.userHandle!, 'base64url').toString(), 'user-42');
  const v = await verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID, credential });
  assert.equal(v.verified, true);
});

test('wrong PIN: the agent is told how many tries are left, then the right PIN works', async () => {
  const { client, authenticators } = setup({ pin: '2580' });
  const requests: { retries?: number; wrongPin: boolean }[] = [];
  const pins = ['0000', '1111', '2580'];
  const { info } = await register(client, { authenticatorSelection: { userVerification: 'required' } }, {
    requestPin: async (r) => (requests.push({ ...(r.retries !== undefined && { retries: r.retries }), wrongPin: r.wrongPin }), pins.shift()),
  });
  assert.equal(info.userVerified, true);
  assert.deepEqual(requests, [{ retries: 8, wrongPin: false }, { retries: 7, wrongPin: true }, { retries: 6, wrongPin: true }]);
  assert.equal(authenticators[0]!.pinRetries, 8);
});

test('PIN blocked after the last try gives a typed error in plain words', async () => {
  const { client, authenticators } = setup({ pin: '2580', maxPinRetries: 2 });
  await assert.rejects(register(client, { authenticatorSelection: { userVerification: 'required' } }, { requestPin: async () => '9999' }), (error: unknown) => {
    assert.ok(error instanceof CtapError);
    assert.equal(error.code, 'PIN_BLOCKED');
    assert.match(error.message, /blocked/);
    return true;
  });
  assert.equal(authenticators[0]!.pinRetries, 0);
});

test('three wrong PINs in a row: PIN_AUTH_BLOCKED asks for a replug', async () => {
  const { client } = setup({ pin: '2580' });
  await assert.rejects(register(client, { authenticatorSelection: { userVerification: 'required' } }, { requestPin: async () => '9999' }), (error: unknown) => {
    assert.ok(error instanceof CtapError);
    assert.equal(error.status, CtapStatus.PIN_AUTH_BLOCKED);
    assert.match(error.message, /plug it back in/);
    return true;
  });
});

test('UV required on a key without PIN: typed pin_not_set error', async () => {
  const { client } = setup({});
  await assert.rejects(register(client, { authenticatorSelection: { userVerification: 'required' } }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'pin_not_set');
});

test('U2F-only key: fido-u2f registration and assertion accepted by the server', async () => {
  const { client } = setup({ mode: 'u2f', touchDelayMs: 5 });
  const events: string[] = [];
  const { credential, info } = await register(client, { authenticatorSelection: { userVerification: 'discouraged' } }, { onProgress: (e) => events.push(e.type) });
  assert.equal(info.fmt, 'fido-u2f');
  assert.ok(events.includes('touch_needed'));
  await authenticate(client, credential, { userVerification: 'discouraged' });
});

test('U2F-only key cannot satisfy required UV: typed not_supported', async () => {
  const { client } = setup({ mode: 'u2f' });
  await assert.rejects(register(client, { authenticatorSelection: { userVerification: 'required' } }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'not_supported');
});

for (const mode of ['ctap2', 'u2f'] as const) {
  test(`${mode}: excludeList refuses a second registration of the same key`, async () => {
    const { client } = setup({ mode, touchDelayMs: 2 });
    const { credential } = await register(client, { authenticatorSelection: { userVerification: 'discouraged' } });
    await assert.rejects(register(client, { excludeCredentials: [{ id: credential.id }], authenticatorSelection: { userVerification: 'discouraged' } }), (error: unknown) => {
      assert.ok(error instanceof CtapError);
      assert.equal(error.code, 'CREDENTIAL_EXCLUDED');
      assert.match(error.message, /already registered/);
      return true;
    });
  });

  test(`${mode}: allowList naming another key's credential gives NO_CREDENTIALS`, async () => {
    const { client } = setup({ mode });
    const stranger: WebAuthnCredential = { id: Buffer.from(new Uint8Array(64).fill(7)).toString('base64url'), publicKey: new Uint8Array(), counter: 0 };
    await assert.rejects(authenticate(client, stranger, { userVerification: 'discouraged' }), (error: unknown) => {
      assert.ok(error instanceof CtapError);
      assert.equal(error.status, CtapStatus.NO_CREDENTIALS);
      assert.match(error.message, /isn't registered for this account/);
      return true;
    });
  });
}

test('long allowList is probed in batches that fit maxCredentialCountInList', async () => {
  const { client } = setup({ maxCredentialCountInList: 2 });
  const { credential } = await register(client);
  const decoys = Array.from({ length: 5 }, (_, i) => ({ id: Buffer.from(new Uint8Array(40).fill(i + 1)).toString('base64url') }));
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: [...decoys, { id: credential.id }], userVerification: 'discouraged' });
  const response = await client.getAssertion(options, { origin, timeoutMs: 3_000 });
  assert.equal(response.id, credential.id);
  const v = await verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID, credential, requireUserVerification: false });
  assert.equal(v.verified, true);
});

test('credProtect userVerificationRequired: the credential cannot be used without the PIN', async () => {
  const { client } = setup({ pin: '4321' });
  const requestPin = async () => '4321';
  const { credential } = await register(client, { authenticatorSelection: { userVerification: 'required' }, extensions: { credentialProtectionPolicy: 'userVerificationRequired', enforceCredentialProtectionPolicy: true } } as never, { requestPin });
  await assert.rejects(authenticate(client, credential, { userVerification: 'discouraged' }), (e: unknown) => e instanceof CtapError && e.status === CtapStatus.NO_CREDENTIALS);
  await authenticate(client, credential, { userVerification: 'required' }, { requestPin });
});

test('cancel mid-touch: CTAPHID_CANCEL is sent, the promise rejects as cancelled, progress says so', async () => {
  const { client, authenticators } = setup({ presence: 'manual' });
  const controller = new AbortController();
  const events: string[] = [];
  const pending = register(client, {}, { signal: controller.signal, onProgress: (e) => { events.push(e.type); if (e.type === 'touch_needed') controller.abort(); } });
  await assert.rejects(pending, (e: unknown) => e instanceof SecurityKeyError && e.code === 'cancelled');
  assert.equal(authenticators[0]!.simulator!.stats.cancels, 1);
  assert.deepEqual(events, ['touch_needed', 'cancelled']);
});

test('key never touched: typed timeout within the ceremony timeout', async () => {
  const { client } = setup({ presence: 'never' });
  const started = Date.now();
  await assert.rejects(register(client, {}, { timeoutMs: 300 }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'timeout');
  assert.ok(Date.now() - started < 2_000);
});

test('touch refused on the key: OPERATION_DENIED in plain words', async () => {
  const { client } = setup({ presence: 'refuse' });
  await assert.rejects(register(client), (e: unknown) => e instanceof CtapError && e.code === 'OPERATION_DENIED' && /declined/.test(e.message));
});

test('two keys present, one touched: it wins and the other is cancelled', async () => {
  const { client, authenticators } = setup({ presence: 'manual', productName: 'A' }, { presence: 'manual', productName: 'B' });
  const [a, b] = authenticators as [SoftAuthenticator, SoftAuthenticator];
  let touched = false;
  const result = register(client, { authenticatorSelection: { userVerification: 'discouraged' } }, {
    onProgress: (e) => { if (e.type === 'touch_needed' && !touched) { touched = true; setTimeout(() => b.touch(), 30); } },
  });
  const { credential } = await result;
  assert.equal(b.credentials.size, 1);
  assert.equal(a.credentials.size, 0);
  assert.equal(a.simulator!.stats.cancels, 1);
  assert.ok(b.credentials.has(Buffer.from(credential.id, 'base64url').toString('hex')));
});

test('two keys, the PIN key is chosen by touch (selection) before its PIN is asked', async () => {
  const { client, authenticators } = setup({ presence: 'manual', pin: '8642' }, { presence: 'manual', pin: '9753' });
  const [a, b] = authenticators as [SoftAuthenticator, SoftAuthenticator];
  const asked: string[] = [];
  let touches = 0;
  const { info } = await register(client, { authenticatorSelection: { userVerification: 'required' } }, {
    onProgress: (e) => { if (e.type === 'touch_needed') { touches++; setTimeout(() => a.touch(), 20); } },
    requestPin: async (r) => (asked.push(r.keyName), '8642'),
  });
  assert.equal(info.userVerified, true);
  assert.equal(a.credentials.size, 1);
  assert.equal(b.credentials.size, 0);
  assert.equal(asked.length, 1);
  assert.ok(touches >= 1);
});

test('no key yet: waiting_for_key, then a key plugged in is used', async () => {
  const authenticator = new SoftAuthenticator({ keepaliveIntervalMs: 10 });
  const transports: SecurityKeyTransport[] = [];
  const client = new SecurityKeyClient({ discovery: listDiscovery(() => transports), pollIntervalMs: 20 });
  const events: string[] = [];
  const pending = register(client, {}, { onProgress: (e) => { events.push(e.type); if (e.type === 'waiting_for_key') setTimeout(() => transports.push(authenticator.plugIn()), 30); } });
  await pending;
  assert.equal(events[0], 'waiting_for_key');
  assert.equal(events.at(-1), 'done');
});

test('origin and RP ID must match, and an IP address is refused as RP ID', async () => {
  const { client } = setup({});
  const options = await generateRegistrationOptions({ rpName: 'x', rpID: 'agentdesk.example', userName: 'a' });
  await assert.rejects(client.createCredential(options, { origin: 'https://evil.example' }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'invalid_options');
  const ipOptions = { ...options, rp: { ...options.rp, id: '127.0.0.1' } };
  await assert.rejects(client.createCredential(ipOptions, { origin: 'http://127.0.0.1:3000' }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'invalid_options');
});

// Issue 13, found against real key firmware: lists were cut by maxCredentialCountInList only, so
// a key with maxMsgSize 1200 and 20 ids per list got requests it cannot take, the framing refused
// them (message_too_large), the race retried that ~49 times a second and the agent heard "not
// touched in time" after the whole deadline.
const decoyIds = (count: number, length = 64) => Array.from({ length: count }, (_, i) => ({ id: Buffer.from(new Uint8Array(length).fill(0x80 + i)).toString('base64url') }));

test('maxMsgSize 1200, 20 ids per list: a 13-id exclude list is cut to fit and still finds the registered key', async () => {
  const { client, authenticators } = setup({ maxMsgSize: 1200, maxCredentialCountInList: 20 });
  const simulator = authenticators[0]!.simulator!;
  const { credential } = await register(client);
  const excludeCredentials = [...decoyIds(12), { id: credential.id }];
  const wholeList = ctap2RequestSize(makeCredentialParameters({
    clientDataHash: new Uint8Array(32),
    rp: { id: rpID, name: 'AgentDesk' },
    user: { id: new Uint8Array(32), name: 'agent@example.com', displayName: '' },
    pubKeyCredParams: [-8, -7, -257].map((alg) => ({ type: 'public-key' as const, alg })),
    excludeList: excludeCredentials.map((c) => ({ type: 'public-key' as const, id: new Uint8Array(Buffer.from(c.id, 'base64url')) })),
  }));
  assert.ok(wholeList > 1300, `the request with the whole list is ${wholeList} bytes: more than the key takes`);
  const started = Date.now();
  await assert.rejects(register(client, { excludeCredentials }), (e: unknown) => e instanceof CtapError && e.code === 'CREDENTIAL_EXCLUDED');
  assert.ok(Date.now() - started < 1_000, 'settled at once, not at the deadline');
  // Without the registered key in the list the same-sized list lets the registration through.
  await register(client, { excludeCredentials: decoyIds(13) });
  assert.equal(simulator.stats.tooLarge, 0, 'no request was longer than maxMsgSize');
  assert.equal(authenticators[0]!.credentials.size, 2);
});

test('maxMsgSize 1200, 20 ids per list: a 20-id allow list is probed in batches that fit, with and without the PIN', async () => {
  const { client, authenticators } = setup({ maxMsgSize: 1200, maxCredentialCountInList: 20, pin: '2468' });
  const requestPin = async () => '2468';
  const { credential } = await register(client, { authenticatorSelection: { userVerification: 'required' } }, { requestPin });
  const allowCredentials = [...decoyIds(19), { id: credential.id }];
  for (const userVerification of ['discouraged', 'required'] as const) {
    const options = await generateAuthenticationOptions({ rpID, allowCredentials, userVerification });
    const started = Date.now();
    const response = await client.getAssertion(options, { origin, timeoutMs: 3_000, requestPin });
    assert.ok(Date.now() - started < 1_000);
    assert.equal(response.id, credential.id);
    const v = await verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID, credential, requireUserVerification: userVerification === 'required' });
    assert.equal(v.verified, true);
  }
  assert.equal(authenticators[0]!.simulator!.stats.tooLarge, 0);
});

test('a request that can never fit the key is a typed request_too_large at once, not retried until the deadline', async () => {
  const { client, authenticators } = setup({ maxMsgSize: 1024 });
  const started = Date.now();
  await assert.rejects(register(client, { userDisplayName: 'x'.repeat(1_100) }, { timeoutMs: 5_000 }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'request_too_large');
  assert.ok(Date.now() - started < 1_000, 'no retries until the deadline');
  assert.equal(authenticators[0]!.simulator!.stats.inits, 1, 'the key was opened once');
  // One allowed id longer than any request to this key can carry: the same, for authentication.
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: decoyIds(1, 1_000), userVerification: 'discouraged' });
  await assert.rejects(client.getAssertion(options, { origin, timeoutMs: 5_000 }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'request_too_large');
  assert.equal(authenticators[0]!.simulator!.stats.tooLarge, 0);
});

// Issue 13: a PIN prompt left open ignored both the AbortSignal and the deadline, so the request
// outlived the server's timeout for as long as the prompt stayed open.
test('PIN prompt left open: the ceremony deadline ends it with a typed timeout and tells the prompt to close', async () => {
  const { client, authenticators } = setup({ pin: '1357' });
  let prompt: PinRequest | undefined;
  const started = Date.now();
  await assert.rejects(
    register(client, { authenticatorSelection: { userVerification: 'required' } }, { timeoutMs: 3_000, requestPin: (r) => ((prompt = r), new Promise(() => {})) }),
    (e: unknown) => e instanceof SecurityKeyError && e.code === 'timeout' && /PIN wasn't entered in time/.test(e.message),
  );
  assert.ok(Date.now() - started < 4_500, `ended after ${Date.now() - started} ms (the timeout being 3000 ms)`);
  assert.equal(prompt?.signal.aborted, true, 'the prompt was told to close');
  assert.equal(authenticators[0]!.pinRetries, 8, 'no PIN was tried');
});

test('PIN prompt left open: aborting ends it at once as cancelled and tells the prompt to close', async () => {
  const { client } = setup({ pin: '1357' });
  const controller = new AbortController();
  let prompt: PinRequest | undefined;
  const events: string[] = [];
  const pending = register(client, { authenticatorSelection: { userVerification: 'required' } }, {
    signal: controller.signal,
    timeoutMs: 10_000,
    onProgress: (e) => events.push(e.type),
    requestPin: (r) => {
      prompt = r;
      setTimeout(() => controller.abort(), 20);
      return new Promise(() => {});
    },
  });
  const started = Date.now();
  await assert.rejects(pending, (e: unknown) => e instanceof SecurityKeyError && e.code === 'cancelled');
  assert.ok(Date.now() - started < 1_000);
  assert.equal(prompt?.signal.aborted, true);
  assert.equal(events.at(-1), 'cancelled');
});

test('key slow to check the PIN: cancel during it sends CTAPHID_CANCEL and ends the request', async () => {
  const { client, authenticators } = setup({ pin: '1357', pinDelayMs: 5_000 });
  const controller = new AbortController();
  const pending = register(client, { authenticatorSelection: { userVerification: 'required' } }, {
    signal: controller.signal,
    timeoutMs: 10_000,
    requestPin: async () => (setTimeout(() => controller.abort(), 50), '1357'),
  });
  const started = Date.now();
  await assert.rejects(pending, (e: unknown) => e instanceof SecurityKeyError && e.code === 'cancelled');
  assert.ok(Date.now() - started < 2_000);
  assert.equal(authenticators[0]!.simulator!.stats.cancels, 1);
});

// Passwordless: the key finds the agent's discoverable credential (no allow list), the PIN is
// asked as for any UV-required request, and several accounts are fetched with
// authenticatorGetNextAssertion (CTAP 2.1 §6.3) for the agent to choose from.
async function registerPasskey(client: SecurityKeyClient, userName: string, userDisplayName: string, requestPin: () => Promise<string>) {
  return register(client, { userName, userDisplayName, userID: new TextEncoder().encode(`user:${userName}`), authenticatorSelection: { residentKey: 'required', userVerification: 'required' }, extensions: { credProps: true } as never }, { requestPin });
}

test('passwordless registration asks for a discoverable credential with the user entity, behind the PIN', async () => {
  const { client, authenticators } = setup({ pin: '8080' });
  const prompts: string[] = [];
  const { response, info } = await registerPasskey(client, 'ana@acme.test', 'Ana Agent', async () => (prompts.push('pin'), '8080'));
  assert.equal(info.userVerified, true);
  assert.deepEqual(prompts, ['pin']);
  assert.deepEqual(response.clientExtensionResults, { credProps: { rk: true } });
  const stored = [...authenticators[0]!.credentials.values()];
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!.resident, true);
  assert.deepEqual({ name: stored[0]!.user?.name, displayName: stored[0]!.user?.displayName }, { name: 'ana@acme.test', displayName: 'Ana Agent' });
});

test('passwordless sign-in, two accounts on the key: both fetched (getNextAssertion), the agent chooses, the server verifies', async () => {
  const { client, authenticators } = setup({ pin: '8080' });
  const requestPin = async () => '8080';
  const ana = await registerPasskey(client, 'ana@acme.test', 'Ana Agent', requestPin);
  const bob = await registerPasskey(client, 'bob@acme.test', 'Bob Agent', requestPin);
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  assert.equal(options.allowCredentials, undefined);
  let offered: KeyAccount[] = [];
  const pins: string[] = [];
  const response = await client.getAssertion(options, {
    origin,
    timeoutMs: 3_000,
    requestPin: async () => (pins.push('asked'), '8080'),
    chooseAccount: async (accounts) => ((offered = accounts), accounts.findIndex((a) => a.name === 'bob@acme.test')),
  });
  assert.deepEqual(pins, ['asked']);
  assert.deepEqual(offered.map((a) => [a.name, a.displayName, Buffer.from(a.userHandle, 'base64url').toString()]).sort(), [
    ['ana@acme.test', 'Ana Agent', 'user:ana@acme.test'],
    ['bob@acme.test', 'Bob Agent', 'user:bob@acme.test'],
  ]);
  assert.equal(response.id, bob.credential.id);
  assert.equal(Buffer.from(response.response.userHandle!, 'base64url').toString(), 'user:bob@acme.test');
  assert.equal(response.type, 'public-key');
  assert.equal(response.authenticatorAttachment, 'cross-platform');
  const v = await verifyAuthenticationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID, credential: bob.credential, requireUserVerification: true });
  assert.equal(v.verified, true);
  assert.equal(v.authenticationInfo.userVerified, true);
  assert.notEqual(ana.credential.id, bob.credential.id);
  assert.equal(authenticators[0]!.credentials.size, 2);
});

test('passwordless sign-in: an account chooser left open ends with the deadline and is told to close', async () => {
  const { client } = setup({ pin: '8080' });
  const requestPin = async () => '8080';
  await registerPasskey(client, 'ana@acme.test', 'Ana Agent', requestPin);
  await registerPasskey(client, 'bob@acme.test', 'Bob Agent', requestPin);
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  let chooser: AbortSignal | undefined;
  const started = Date.now();
  await assert.rejects(
    client.getAssertion(options, { origin, timeoutMs: 1_000, requestPin, chooseAccount: (_accounts, { signal }) => ((chooser = signal), new Promise(() => {})) }),
    (e: unknown) => e instanceof SecurityKeyError && e.code === 'timeout',
  );
  assert.ok(Date.now() - started < 2_500);
  assert.equal(chooser?.aborted, true);
});

test('passwordless sign-in with no passkey on the key: NO_CREDENTIALS after the PIN, in plain words', async () => {
  const { client } = setup({ pin: '8080' });
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  await assert.rejects(client.getAssertion(options, { origin, timeoutMs: 3_000, requestPin: async () => '8080' }), (e: unknown) => e instanceof CtapError && e.status === CtapStatus.NO_CREDENTIALS);
});

test('passwordless sign-in on a U2F-only key: typed not_supported at once', async () => {
  const { client } = setup({ mode: 'u2f' });
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  const started = Date.now();
  await assert.rejects(client.getAssertion(options, { origin, timeoutMs: 3_000 }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'not_supported');
  assert.ok(Date.now() - started < 1_000);
  await assert.rejects(registerPasskey(client, 'ana@acme.test', 'Ana', async () => '0000'), (e: unknown) => e instanceof SecurityKeyError && e.code === 'not_supported');
});
