// bench:ctap — the security-key client's own cost per WebAuthn operation.
//
// Register and authenticate round trips through the whole client (WebAuthn client → CTAP2 →
// CTAPHID framing → 64-byte reports) against the software authenticator over the in-memory
// transport, in one process. Per operation it measures the wall time and the process's CPU time,
// and the CPU time the software authenticator spent being the key (taking reports, CBOR, PIN
// ECDH, key generation and signing: charged by its CTAPHID simulator). The client's own share is
// the process CPU minus the key's: CBOR, framing, clientData, the client's half of the PIN
// protocol, response JSON, the race and the link. CPU time, unlike wall time, does not grow when
// other work shares the machine; "wall − key" is printed beside it and includes the link's
// event-loop turns and any waiting the client causes.
//
// The figure is the steady state of a running desktop app: 200 ceremonies warm the JIT first
// (with 10, as before, the PIN path's p50 still held code that was not yet optimised: 1.2-1.3 ms
// where 500 warm rounds measure 0.7 ms). The very first ceremony of each kind is printed apart:
// it pays for loading and compiling the client once per process.
//
//   npm run bench:ctap [-- --rounds 500 --warmup 200]
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { SecurityKeyClient } from '../main/security-keys/webauthn-client.js';
import { listDiscovery } from '../main/security-keys/transport/list-discovery.js';
import { SoftAuthenticator } from '../main/security-keys/testing/soft-authenticator.js';
import { percentile, table, writeResults, type Figure } from './lib/report.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '500' }, warmup: { type: 'string', default: '200' } } });
const rounds = Math.max(10, Number(values.rounds) || 500);
const warmup = Math.max(0, Number(values.warmup) || 0);
const origin = 'http://localhost:3000';
const rpID = 'localhost';

interface Sample {
  wallMs: number;
  processCpuMs: number;
  keyCpuMs: number;
  cryptoMs: number;
}

const CLIENT_TARGET_MS = 1;

async function measure(authenticator: SoftAuthenticator, run: () => Promise<void>): Promise<Sample> {
  const simulator = authenticator.simulator!;
  const keyBefore = simulator.cpuTimeUs;
  const cryptoBefore = authenticator.cryptoTimeNs;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const wallNs = process.hrtime.bigint() - start;
  const used = process.cpuUsage(cpu);
  return {
    wallMs: Number(wallNs) / 1e6,
    processCpuMs: (used.user + used.system) / 1e3,
    keyCpuMs: (simulator.cpuTimeUs - keyBefore) / 1e3,
    cryptoMs: Number(authenticator.cryptoTimeNs - cryptoBefore) / 1e6,
  };
}

const firstCeremony: { name: string; register: Sample; authenticate: Sample }[] = [];

async function scenario(name: string, pin: string | undefined): Promise<Figure[]> {
  const authenticator = new SoftAuthenticator({ keepaliveIntervalMs: 1_000, ...(pin && { pin }) });
  const transport = authenticator.plugIn();
  const client = new SecurityKeyClient({ discovery: listDiscovery(() => [transport]) });
  const uv = pin ? 'required' : 'discouraged';
  const ceremony = { origin, ...(pin && { requestPin: async () => pin }) };
  const register: Sample[] = [];
  const authenticate: Sample[] = [];
  for (let i = 0; i < rounds + warmup; i++) {
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
    if (i === 0) firstCeremony.push({ name, register: r, authenticate: a });
    if (i >= warmup) {
      register.push(r);
      authenticate.push(a);
    }
  }
  return [summarise(`${name}: register`, register), summarise(`${name}: authenticate`, authenticate)].flat();
}

function summarise(label: string, samples: Sample[]): Figure[] {
  const sorted = (pick: (s: Sample) => number) => samples.map(pick).sort((x, y) => x - y);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const figure = (name: string, xs: number[], extra: Partial<Figure> = {}): Figure => ({ figure: `${label} ${name}`, value: mean(xs), unit: 'ms', latency: { p50: percentile(xs, 50), p99: percentile(xs, 99) }, ...extra });
  const client = sorted((s) => s.processCpuMs - s.keyCpuMs);
  const key = sorted((s) => s.keyCpuMs);
  const share = mean(client) / (mean(client) + mean(key));
  return [
    figure('total (wall)', sorted((s) => s.wallMs), { details: { rounds: samples.length } }),
    figure('authenticator CPU', key, { details: { crypto: mean(sorted((s) => s.cryptoMs)) } }),
    figure('wall − authenticator', sorted((s) => s.wallMs - s.keyCpuMs)),
    figure('client CPU', client, { target: `< ${CLIENT_TARGET_MS} ms`, pass: percentile(client, 50) < CLIENT_TARGET_MS, details: { shareOfCpu: share } }),
    { figure: `${label} client share of CPU`, value: share * 100, unit: '%' },
  ];
}

const figures = [...(await scenario('CTAP2', undefined)), ...(await scenario('CTAP2 + PIN (protocol 2)', '135790'))];
console.log(`bench:ctap — ${rounds} rounds per operation after ${warmup} to warm up, in-memory transport, software authenticator, load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs\n`);
console.log(table(figures));
console.log('\nclient CPU per operation (p50), against the 1 ms target, and its share of the CPU the operation took:');
for (const f of figures.filter((f) => f.figure.endsWith('client CPU'))) {
  const share = (f.details?.shareOfCpu as number) * 100;
  console.log(`  ${f.figure.replace(/ client CPU$/, '').padEnd(36)} ${f.latency!.p50.toFixed(3)} ms  (${(f.latency!.p50 / CLIENT_TARGET_MS).toFixed(2)} x target, ${share.toFixed(0)} % of CPU)  ${f.pass ? 'pass' : 'SHORT'}`);
}
console.log('\nthe first ceremony of each kind in this process (loading and compiling the client once), client CPU:');
for (const f of firstCeremony) {
  for (const [op, sample] of [['register', f.register], ['authenticate', f.authenticate]] as const) {
    console.log(`  ${`${f.name}: ${op}`.padEnd(36)} ${(sample.processCpuMs - sample.keyCpuMs).toFixed(2)} ms (wall ${sample.wallMs.toFixed(2)} ms)`);
  }
}
const path = writeResults('ctap', figures, { rounds, warmup, firstCeremony, transport: 'memory', node: process.version, loadAverage: loadavg()[0] });
console.log(`\nwritten ${path}`);
