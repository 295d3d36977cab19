// Closed-loop HTTP load generator, run as a child process of its own (never inside the server).
// `concurrency` loops each send one operation, wait for its answer, then send the next, over
// node:http keep-alive connections to 127.0.0.1. The first `warmupMs` are not counted.
//
// argv[2]: a JSON job file { kind, host, port, origin, levels: [{concurrency, warmupMs, durationMs}], ops }
// stdout: one JSON line with a result per level.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import argon2 from 'argon2';
import { SoftAuthenticator, type SoftCredential } from '../../server/testing/soft-webauthn.js';
import { totpCode } from '../../server/testing/totp-reference.js';

export type LoadKind = 'totp' | 'security_key' | 'sign_in' | 'sign_in_totp' | 'argon2_raw' | 'floor' | 'rename';

export interface Level {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadJob {
  kind: LoadKind;
  host: string;
  port: number;
  origin: string;
  levels: Level[];
  /** totp: {token, secret}; security_key: {token, credentialId, privateKeyPem}; sign_in: {account, email, password, deviceToken?, state?}; sign_in_totp: the same and {secret}; argon2_raw: {hash, password}; floor: {value}; rename: {token, methodId} (an audited action) */
  ops: any[];
  /** sign_in and argon2_raw reuse their ops round-robin; the second step never reuses one. */
  reuse?: boolean;
  /** The server's pid: its CPU time over the measured window is divided by the operations. */
  serverPid?: number;
}

export interface LevelResult {
  concurrency: number;
  ops: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  errorSamples: string[];
  exhausted: boolean;
  /** Server process CPU time (user + system) per operation, in ms: steadier than throughput on a shared machine. */
  serverCpuMsPerOp?: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux
function cpuMs(pid: number | undefined): number | undefined {
  if (!pid) {
    // No server (the raw argon2id rate): this process's own CPU time.
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

const job: LoadJob = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(...job.levels.map((l) => l.concurrency)) });

function request(method: string, path: string, token: string | undefined, body: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: job.host,
        port: job.port,
        method,
        path,
        agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const soft = new SoftAuthenticator(1, false);
const credentials = new Map<number, SoftCredential>();
function credentialOf(index: number, op: any): SoftCredential {
  let c = credentials.get(index);
  if (!c) {
    const privateKey = createPrivateKey(op.privateKeyPem);
    c = { id: Buffer.from(op.credentialId, 'base64url'), privateKey, publicKey: createPublicKey(privateKey), counter: 0, rpId: new URL(job.origin).hostname };
    credentials.set(index, c);
  }
  return c;
}
if (job.kind === 'security_key') job.ops.forEach((op, i) => credentialOf(i, op)); // parsed before the clock starts

let renamed = 0;
async function runOp(index: number): Promise<string | null> {
  const op = job.ops[index]!;
  switch (job.kind) {
    case 'totp': {
      const r = await request('POST', '/api/v1/sessions/current/second-factor', op.token, { method: 'totp', code: totpCode(op.secret, Date.now()) });
      return r.status === 200 ? null : `${r.status} ${r.text}`;
    }
    case 'security_key': {
      const options = await request('POST', '/api/v1/sessions/current/security-key-options', op.token, {});
      if (options.status !== 200) return `options ${options.status} ${options.text}`;
      const { challenge } = JSON.parse(options.text) as { challenge: string };
      const response = soft.getAssertion(credentialOf(index, op), { challenge }, job.origin);
      const r = await request('POST', '/api/v1/sessions/current/second-factor', op.token, { method: 'security_key', response });
      return r.status === 200 ? null : `${r.status} ${r.text}`;
    }
    case 'sign_in': {
      const r = await request('POST', '/api/v1/sessions', undefined, { account: op.account, email: op.email, password: op.password, ...(op.deviceToken ? { deviceToken: op.deviceToken } : {}) });
      if (r.status !== 201) return `${r.status} ${r.text}`;
      // `state`: the session the sign-in must answer (a remembered device: active at once).
      return op.state && (JSON.parse(r.text) as { session: { state: string } }).session.state !== op.state ? `not ${op.state}: ${r.text.slice(0, 200)}` : null;
    }
    case 'sign_in_totp': {
      // A whole sign-in: the password step, then the second step with the app's code.
      const signedIn = await request('POST', '/api/v1/sessions', undefined, { account: op.account, email: op.email, password: op.password, ...(op.deviceToken ? { deviceToken: op.deviceToken } : {}) });
      if (signedIn.status !== 201) return `${signedIn.status} ${signedIn.text}`;
      const { token } = JSON.parse(signedIn.text) as { token: string };
      const r = await request('POST', '/api/v1/sessions/current/second-factor', token, { method: 'totp', code: totpCode(op.secret, Date.now()) });
      return r.status === 200 ? null : `${r.status} ${r.text}`;
    }
    case 'rename': {
      // Renames the method: one audit entry (method.renamed) per answer, cheap otherwise.
      const r = await request('PATCH', `/api/v1/me/methods/${op.methodId}`, op.token, { name: `Phone ${++renamed}` });
      return r.status === 200 ? null : `${r.status} ${r.text}`;
    }
    case 'floor': {
      // One row written by a bare route (bench/lib/floor-server.ts).
      const r = await request('POST', '/rows', undefined, { value: op.value });
      return r.status === 200 ? null : `${r.status} ${r.text}`;
    }
    case 'argon2_raw': {
      const ok = await argon2.verify(op.hash, op.password);
      return ok ? null : 'argon2 verify returned false';
    }
  }
}

let next = 0;
function take(): number | undefined {
  if (next >= job.ops.length) {
    if (!job.reuse) return undefined;
    next = 0;
  }
  return next++;
}

async function runLevel(level: Level): Promise<LevelResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let exhausted = false;
  const start = performance.now();
  const measureFrom = start + level.warmupMs;
  const end = measureFrom + level.durationMs;
  let lastDone = measureFrom;
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  const startTimer = setTimeout(() => (cpuStart = cpuMs(job.serverPid)), level.warmupMs);
  const endTimer = setTimeout(() => (cpuEnd = cpuMs(job.serverPid)), level.warmupMs + level.durationMs);
  async function loop() {
    for (;;) {
      const t = performance.now();
      if (t >= end) return;
      const index = take();
      if (index === undefined) {
        exhausted = true;
        return;
      }
      let error: string | null;
      try {
        error = await runOp(index);
      } catch (e) {
        error = String(e);
      }
      const done = performance.now();
      if (t >= measureFrom && done <= end) {
        if (error === null) latencies.push(done - t);
        else {
          errors++;
          if (errorSamples.length < 3) errorSamples.push(error.slice(0, 300));
        }
        lastDone = Math.max(lastDone, done);
      }
    }
  }
  await Promise.all(Array.from({ length: level.concurrency }, loop));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  cpuEnd ??= cpuMs(job.serverPid);
  const seconds = ((exhausted ? lastDone : end) - measureFrom) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (p: number) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! : NaN;
  const serverCpuMsPerOp = cpuStart !== undefined && cpuEnd !== undefined && latencies.length ? (cpuEnd - cpuStart) / latencies.length : undefined;
  return { concurrency: level.concurrency, ops: latencies.length, seconds, throughput: latencies.length / seconds, p50: pick(50), p99: pick(99), errors, errorSamples, exhausted, ...(serverCpuMsPerOp !== undefined ? { serverCpuMsPerOp } : {}) };
}

const results: LevelResult[] = [];
for (const level of job.levels) results.push(await runLevel(level));
agent.destroy();
process.stdout.write(JSON.stringify(results) + '\n');
