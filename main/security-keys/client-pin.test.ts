import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSecurityKey } from './security-key.js';
import { ClientPin, PinPermission } from './client-pin.js';
import { pinProtocolOne, pinProtocolTwo } from './pin-protocol.js';
import { CtapError, CtapStatus } from './errors.js';
import { SoftAuthenticator } from './testing/soft-authenticator.js';

// The soft authenticator's PIN code (testing/soft-pin.ts) is written separately from the
// client's, so agreement here means both ends read CTAP 2.1 §6.5 the same way.
for (const protocol of [pinProtocolOne, pinProtocolTwo]) {
  test(`PIN protocol ${protocol.version}: setPIN, changePIN, token, retries`, async () => {
    const authenticator = new SoftAuthenticator({ pinProtocols: [protocol.version] });
    const key = await openSecurityKey(authenticator.plugIn());
    assert.equal(key.kind, 'ctap2');
    if (key.kind !== 'ctap2') return;
    assert.equal(key.info.options.clientPin, false);
    const pin = new ClientPin(key.ctap2, protocol, key.info);
    await pin.setPin('caf\u00e9-1'); // NFC-normalised, non-ASCII
    assert.equal(authenticator.pin, 'café-1');
    await assert.rejects(pin.setPin('other1'), (e: unknown) => e instanceof CtapError && e.status === CtapStatus.NOT_ALLOWED);
    await pin.changePin('café-1', '98765');
    assert.equal(authenticator.pin, '98765');
    const token = await pin.getPinToken('98765', PinPermission.GET_ASSERTION, 'localhost');
    assert.equal(token.length, 32);
    assert.equal(pin.authenticate(token, new Uint8Array(32)).length, protocol.version === 1 ? 16 : 32);
    await assert.rejects(pin.getPinToken('00000', PinPermission.GET_ASSERTION, 'localhost'), (e: unknown) => e instanceof CtapError && e.code === 'PIN_INVALID' && e.retries === 7 && /7 tries left/.test(e.message));
    assert.deepEqual(await pin.getPinRetries(), { retries: 7, powerCycleState: false });
    await pin.getPinToken('98765', PinPermission.GET_ASSERTION, 'localhost');
    assert.equal((await pin.getPinRetries()).retries, 8);
    await key.hid.close();
  });
}

test('PIN policy: too short is refused before anything is sent', async () => {
  const authenticator = new SoftAuthenticator();
  const key = await openSecurityKey(authenticator.plugIn());
  if (key.kind !== 'ctap2') throw new Error('expected CTAP2');
  await assert.rejects(ClientPin.for(key.ctap2, key.info).setPin('12'), /at least 4/);
  assert.equal(authenticator.pin, undefined);
  await key.hid.close();
});

test('getInfo is parsed into typed fields; a U2F-only key is recognised as such', async () => {
  const ctap2 = await openSecurityKey(new SoftAuthenticator({ pin: '1234' }).plugIn());
  assert.equal(ctap2.kind, 'ctap2');
  if (ctap2.kind === 'ctap2') {
    assert.deepEqual(ctap2.info.versions, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
    assert.equal(ctap2.info.options.clientPin, true);
    assert.deepEqual(ctap2.info.pinUvAuthProtocols, [2, 1]);
    assert.equal(ctap2.info.aaguid.length, 16);
    assert.equal(ctap2.hid.maxRequestSize, 1200, "requests are cut to the key's maxMsgSize");
    assert.equal(ctap2.hid.maxMessageSize, 7609, "answers may use all CTAPHID can frame");
  }
  await ctap2.hid.close();
  const u2f = await openSecurityKey(new SoftAuthenticator({ mode: 'u2f' }).plugIn());
  assert.equal(u2f.kind, 'u2f');
  assert.equal(await u2f.u2f!.version(), 'U2F_V2');
  await u2f.hid.close();
});
