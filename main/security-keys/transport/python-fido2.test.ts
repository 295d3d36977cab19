import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { UdpTransport } from './udp.js';
import { SecurityKeyClient } from '../webauthn-client.js';
import { findPythonFido2, PYTHON_FIDO2_SCRIPT, startUdpAuthenticator } from '../testing/udp-authenticator-process.js';

// Issue 19: bench:ctap sets our client beside python-fido2 on one software key served over UDP
// (one 64-byte CTAPHID report per datagram, the key in a process of its own). Both must complete
// real ceremonies against it, or the side-by-side figures compare nothing.
test('UDP, the software key in its own process: our client and python-fido2 both register and authenticate, with and without the PIN (protocol 1)', async (t) => {
  const pin = '135790';
  const key = await startUdpAuthenticator({ pin, pinProtocols: [1] });
  try {
    const origin = 'http://localhost:3000';
    const transport = new UdpTransport(key.device, { host: '127.0.0.1', port: 0 });
    const client = new SecurityKeyClient({ discovery: { list: async () => [transport] }, pollIntervalMs: 20 });
    for (const withPin of [false, true]) {
      const uv = withPin ? 'required' : 'discouraged';
      const ceremony = { origin, timeoutMs: 10_000, ...(withPin && { requestPin: async () => pin }) };
      const regOptions = await generateRegistrationOptions({ rpName: 'AgentDesk', rpID: 'localhost', userName: 'agent@example.com', authenticatorSelection: { userVerification: uv } });
      const registration = await client.createCredential(regOptions, ceremony);
      const registered = await verifyRegistrationResponse({ response: registration, expectedChallenge: regOptions.challenge, expectedOrigin: origin, expectedRPID: 'localhost', requireUserVerification: withPin });
      assert.equal(registered.verified, true, `ours registered${withPin ? ' with the PIN' : ''}`);
      const authOptions = await generateAuthenticationOptions({ rpID: 'localhost', allowCredentials: [{ id: registration.id }], userVerification: uv });
      const assertion = await client.getAssertion(authOptions, ceremony);
      const authenticated = await verifyAuthenticationResponse({ response: assertion, expectedChallenge: authOptions.challenge, expectedOrigin: origin, expectedRPID: 'localhost', credential: registered.registrationInfo!.credential, requireUserVerification: withPin });
      assert.equal(authenticated.verified, true, `ours authenticated${withPin ? ' with the PIN' : ''}`);
    }

    const python = findPythonFido2();
    if (!('python' in python)) {
      t.skip(`${python.missing}: python-fido2's half is skipped`);
      return;
    }
    // The script registers (without and with the PIN), authenticates and verifies the packed
    // attestations and the assertion's signature itself; it exits non-zero on any failure.
    const run = spawnSync(python.python, [PYTHON_FIDO2_SCRIPT, '--device', `${key.device.host}:${key.device.port}`, '--pin', pin, '--check'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, `python-fido2 failed: ${run.stderr}`);
    const result = JSON.parse(run.stdout) as { fido2: string; registered: boolean; authenticated: boolean; uv: boolean };
    assert.equal(result.registered, true);
    assert.equal(result.authenticated, true);
    assert.equal(result.uv, true, 'the PIN (protocol 1) gave a user-verified credential');
    assert.match(result.fido2, /^\d+\.\d+/);
  } finally {
    await key.close();
  }
});
