// bench:ctap — the security-key client's own cost per WebAuthn operation.
//
// Register and authenticate round trips through the whole client (WebAuthn client → CTAP2 →
// CTAPHID framing → 64-byte reports) against the software authenticator over the in-memory
// transport. The authenticator's key generation and ES256 signing are timed inside it and
// subtracted, leaving the client's overhead (CBOR, framing, clientData, PIN ECDH/HKDF/AES,
// response JSON, and the in-memory link's one event-loop turn per report).
//
//   npm run bench:ctap [-- --rounds 200]
import { parseArgs } from 'node:util';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { SecurityKeyClient } from '../main/security-keys/webauthn-client.js';
import { listDiscovery } from '../main/security-keys/transport/list-discovery.js';
import { SoftAuthenticator } from '../main/security-keys/testing/soft-authenticator.js';
import { percentile, table, writeResults, type Figure } from './lib/report.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' } } });
const rounds = Math.max(10, Number(values.rounds) || 200);
const origin = 'http://localhost:3000';
const rpID = 'localhost';

interface Sample {
  totalMs: number;
  authenticatorMs: number;
}

async function measure(authenticator: SoftAuthenticator, run: () => Promise<void>): Promise<Sample> {
  const cryptoBefore = authenticator.cryptoTimeNs;
  const start = process.hrtime.bigint();
  await run();
  const totalNs = process.hrtime.bigint() - start;
  return { totalMs: Number(totalNs) / 1e6, authenticatorMs: Number(authenticator.cryptoTimeNs - cryptoBefore) / 1e6 };
}

async function scenario(name: string, pin: string | undefined): Promise<Figure[]> {
  const authenticator = new SoftAuthenticator({ keepaliveIntervalMs: 1_000, ...(pin && { pin }) });
  const transport = authenticator.plugIn();
  const client = new SecurityKeyClient({ discovery: listDiscovery(() => [transport]) });
  const uv = pin ? 'required' : 'discouraged';
  const ceremony = { origin, ...(pin && { requestPin: async () => pin }) };
  const register: Sample[] = [];
  const authenticate: Sample[] = [];
  for (let i = 0; i < rounds + 10; i++) {
    const regOptions = await generateRegistrationOptions({ rpName: 'AgentDesk', rpID, userName: `agent${i}@example.com`, authenticatorSelection: { userVerification: uv } });
    let registration!: Awaited<ReturnType<SecurityKeyClient['createCredential']>>;
    const r = await measure(authenticator, async () => {
      registration = await client.createCredential(regOptions, ceremony);
    });
    const verified = await verifyRegistrationResponse({ response: registration, expectedChallenge: regOptions.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: Boolean(pin) });
    if (!verified.verified) throw new Error('registration not verified');
    const authOptions = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: registration.id }], userVerification: uv });
    let assertion!: Awaited<ReturnType<SecurityKeyClient['getAssertion']>>;
    const a = await measure(authenticator, async () => {
      assertion = await client.getAssertion(authOptions, ceremony);
    });
    const ok = await verifyAuthenticationResponse({ response: assertion, expectedChallenge: authOptions.challenge, expectedOrigin: origin, expectedRPID: rpID, credential: verified.registrationInfo!.credential, requireUserVerification: Boolean(pin) });
    if (!ok.verified) throw new Error('assertion not verified');
    if (i >= 10) {
      // the first ten warm up the JIT
      register.push(r);
      authenticate.push(a);
    }
  }
  return [summarise(`${name}: register`, register), summarise(`${name}: authenticate`, authenticate)].flat();
}

function summarise(label: string, samples: Sample[]): Figure[] {
  const totals = samples.map((s) => s.totalMs).sort((x, y) => x - y);
  const overheads = samples.map((s) => s.totalMs - s.authenticatorMs).sort((x, y) => x - y);
  const signing = samples.map((s) => s.authenticatorMs).sort((x, y) => x - y);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return [
    { figure: `${label} total`, value: mean(totals), unit: 'ms', latency: { p50: percentile(totals, 50), p99: percentile(totals, 99) }, details: { rounds: samples.length } },
    { figure: `${label} authenticator crypto`, value: mean(signing), unit: 'ms', latency: { p50: percentile(signing, 50), p99: percentile(signing, 99) } },
    { figure: `${label} client overhead`, value: mean(overheads), unit: 'ms', latency: { p50: percentile(overheads, 50), p99: percentile(overheads, 99) } },
  ];
}

const figures = [...(await scenario('CTAP2', undefined)), ...(await scenario('CTAP2 + PIN (protocol 2)', '135790'))];
console.log(`bench:ctap — ${rounds} rounds per operation, in-memory transport, software authenticator\n`);
console.log(table(figures));
const path = writeResults('ctap', figures, { rounds, transport: 'memory', node: process.version });
console.log(`\nwritten ${path}`);
