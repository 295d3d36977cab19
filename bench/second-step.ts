// The second step under load: every operation is a distinct pending sign-in (a session in state
// two_factor_required, seeded beforehand with its user, method and the device its password step
// came from: the agent's own desk, where they signed in before) passing a correct, never-used
// code or a fresh security-key assertion. Replay protection is on, as always: no user appears
// twice, so no code is ever reused.
//
// The authenticator-app bench also measures the floor (issue 18): a bare Fastify route writing
// one SQLite row (bench/lib/floor-server.ts), in the same run, with the same load generator at
// the same concurrency (c=8), windows alternated, and prints the ratio; and it counts the
// statements one second step runs (every one the store executes, BEGIN and COMMIT included).
//
//   npm run bench -- totp          npm run bench -- security-key
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'cborg';
import type { Kysely } from 'kysely';
import { SecretBox } from '../server/crypto/secret-box.js';
import { newId } from '../server/crypto/tokens.js';
import { startServer } from '../server/start.js';
import { openStore } from '../server/store/database.js';
import type { Database, DevicesTable, DeviceUsersTable, MethodsTable, SessionsTable, UsersTable } from '../server/store/schema.js';
import { totpCode } from '../server/testing/totp-reference.js';
import { LEVELS, mergeRounds, runLoad, type LevelResult } from './lib/load.js';
import { isMain, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { BENCH_LOG_LEVEL, startFloorProcess } from './lib/server-process.js';
import { benchPasswordHash, deviceRow, insertMany, seedAccount, sessionRow, totpMethod, totpSecret, userRow } from './lib/seed.js';

export const TOTP_TARGET_PER_S = 2000;
/** Issue 18: the second step by authenticator app at least this fraction of the floor's rate, same run, c=8. */
export const TOTP_FLOOR_RATIO_TARGET = 0.15;

function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(encode(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]])));
}

export function loadFigures(label: string, results: LevelResult[], target?: { perSecond: number; atConcurrency: number }): Figure[] {
  return results.map((r) => {
    const withTarget = target && r.concurrency === target.atConcurrency;
    return {
      figure: `${label}, c=${r.concurrency}`,
      value: r.throughput,
      unit: '/s',
      ...(withTarget ? { target: `>= ${target.perSecond} /s`, pass: r.throughput >= target.perSecond && r.errors === 0 } : {}),
      latency: { p50: r.p50, p99: r.p99 },
      ...(r.serverCpuMsPerOp !== undefined ? { cpuPerOpMs: r.serverCpuMsPerOp } : {}),
      details: { ...r },
    };
  });
}

type SecondStepOp = { token: string; secret: string } | { token: string; credentialId: string; privateKeyPem: string };

/** `users` pending sign-ins, each on the device the user signed in on before; one operation each. */
export async function seedPendingSignIns(db: Kysely<Database>, box: SecretBox, kind: 'totp' | 'security_key', users: number): Promise<SecondStepOp[]> {
  const hash = await benchPasswordHash();
  const account = await seedAccount(db, box, 'bench', hash);
  const now = Date.now();
  const ops: SecondStepOp[] = [];
  for (let start = 0; start < users; start += 10_000) {
    const userRows: UsersTable[] = [];
    const methods: MethodsTable[] = [];
    const sessions: SessionsTable[] = [];
    const devices: DevicesTable[] = [];
    const deviceUsers: DeviceUsersTable[] = [];
    for (let i = start; i < Math.min(users, start + 10_000); i++) {
      const user = userRow(account.accountId, i, account.slug, hash, true, now);
      userRows.push(user);
      const device = deviceRow(now).row;
      devices.push(device);
      deviceUsers.push({ device_id: device.id, user_id: user.id, account_id: account.accountId, first_signed_in_at: now - 86_400_000, last_signed_in_at: now - 86_400_000 });
      const session = sessionRow(user.id, account.accountId, 'two_factor_required', now);
      sessions.push({ ...session.row, device_id: device.id });
      if (kind === 'totp') {
        const secret = totpSecret();
        methods.push(totpMethod(box, user.id, account.accountId, secret, now));
        ops.push({ token: session.token, secret });
      } else {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const credentialId = randomBytes(32).toString('base64url');
        methods.push({
          id: newId(), user_id: user.id, account_id: account.accountId, type: 'security_key', name: 'YubiKey', confirmed: 1,
          created_at: now, last_used_at: null, totp_secret: null, totp_last_step: null, credential_id: credentialId,
          public_key: coseKey(publicKey).toString('base64url'), sign_count: 0, transports: JSON.stringify(['usb']), clone_warning_at: null, session_id: null,
        });
        ops.push({ token: session.token, credentialId, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string });
      }
    }
    await db.transaction().execute(async (trx) => {
      await insertMany(trx, 'users', userRows);
      await insertMany(trx, 'devices', devices);
      await insertMany(trx, 'device_users', deviceUsers);
      await insertMany(trx, 'methods', methods);
      await insertMany(trx, 'sessions', sessions);
    });
  }
  return ops;
}

async function secondStep(kind: 'totp' | 'security_key', users: number) {
  const scenario = await withSeededServer(kind, (db, box) => seedPendingSignIns(db, box, kind, users));
  try {
    const { server } = scenario;
    return await runLoad({ kind, host: server.host, port: server.port, origin: server.origin, serverPid: server.pid, levels: LEVELS, ops: scenario.seeded }, scenario.dataDir);
  } finally {
    await scenario.close();
  }
}

/**
 * The statements of one second step, counted in a server of this process whose store reports
 * each one it runs (StoreOptions.onStatement): `steps` pending sign-ins pass, one at a time, over
 * HTTP, and every statement between sending a request and reading its answer is that step's
 * (the session lookup of the request's authentication included).
 */
export async function countSecondStepStatements(steps = 50): Promise<{ perStep: number; min: number; max: number; statements: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-bench-statements-'));
  try {
    const store = await openStore({ dataDir });
    let ops: SecondStepOp[];
    try {
      ops = await seedPendingSignIns(store.db, SecretBox.fromDataDir(dataDir), 'totp', steps);
    } finally {
      await store.close();
    }
    let current: string[] | undefined;
    const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, logLevel: 'warn' }, { onStatement: (sql) => current?.push(sql) });
    const counts: number[] = [];
    let first: string[] = [];
    try {
      for (const op of ops as { token: string; secret: string }[]) {
        current = [];
        const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/sessions/current/second-factor`, {
          method: 'POST',
          headers: { authorization: `Bearer ${op.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ method: 'totp', code: totpCode(op.secret, Date.now()) }),
        });
        if (res.status !== 200) throw new Error(`second step answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        counts.push(current.length);
        if (counts.length === 1) first = current;
        current = undefined;
      }
    } finally {
      await server.close();
    }
    return { perStep: counts.reduce((a, b) => a + b, 0) / counts.length, min: Math.min(...counts), max: Math.max(...counts), statements: first };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const FLOOR_ROUNDS = Number(process.env.BENCH_TOTP_ROUNDS ?? 3);
/** Each round: the floor, then the second step, 1 s warm-up + 4 s measured each, at c=8. */
const FLOOR_LEVEL = { concurrency: 8, warmupMs: 1000, durationMs: 4000 };
/**
 * Before the measured rounds, one of each that is not counted: both servers have just started,
 * and a cold server is not what the ratio is about. The second step's first round used to
 * cost twice the CPU per step of the later ones (2.04 against 0.90-1.12 ms, six rounds, same
 * run): the 1 s warm-up inside a round is only ~200 steps for a server that has not yet
 * compiled its hot paths. Users for it come out of their own slice, never reused.
 */
const WARMUP_STEPS = 6_000;

export async function runTotp(): Promise<Figure[]> {
  // Enough users that none is used twice up to ~4,000/s in every window (the warm-up, three rounds at c=8, then c=32).
  const users = Number(process.env.BENCH_TOTP_USERS ?? 96_000);
  const scenario = await withSeededServer('totp', (db, box) => seedPendingSignIns(db, box, 'totp', users));
  const floor = await startFloorProcess(scenario.dataDir);
  const stepRounds: LevelResult[] = [];
  const floorRounds: LevelResult[] = [];
  let c32: LevelResult[];
  let warmup: { floor: LevelResult; step: LevelResult };
  try {
    const { server } = scenario;
    const where = { host: server.host, origin: server.origin };
    const floorRound = async () => (await runLoad({ ...where, kind: 'floor', port: floor.port, serverPid: floor.pid, reuse: true, levels: [FLOOR_LEVEL], ops: [{ value: 'agentdesk floor row' }] }, scenario.dataDir))[0]!;
    const stepRound = async (ops: SecondStepOp[], level = FLOOR_LEVEL) => (await runLoad({ ...where, kind: 'totp', port: server.port, serverPid: server.pid, levels: [level], ops }, scenario.dataDir))[0]!;
    warmup = { floor: await floorRound(), step: await stepRound(scenario.seeded.slice(0, WARMUP_STEPS)) };
    console.error(`  warm-up (not counted): second step ${warmup.step.throughput.toFixed(0)}/s, ${warmup.step.serverCpuMsPerOp?.toFixed(2)} ms CPU/step; floor ${warmup.floor.throughput.toFixed(0)}/s`);
    const seeded = scenario.seeded.slice(WARMUP_STEPS);
    const perRound = Math.floor((seeded.length * 2) / 3 / FLOOR_ROUNDS);
    // The floor and the second step take turns, so that whatever else loads this shared
    // machine weighs on both alike; the ratio is that of the summed throughputs.
    for (let round = 0; round < FLOOR_ROUNDS; round++) {
      floorRounds.push(await floorRound());
      stepRounds.push(await stepRound(seeded.slice(round * perRound, (round + 1) * perRound)));
      const [s, f] = [stepRounds[round]!, floorRounds[round]!];
      console.error(`  round ${round + 1}: second step ${s.throughput.toFixed(0)}/s, ${s.serverCpuMsPerOp?.toFixed(2)} ms CPU/step; floor ${f.throughput.toFixed(0)}/s, ${f.serverCpuMsPerOp?.toFixed(3)} ms; ratio ${(s.throughput / f.throughput).toFixed(3)}`);
    }
    c32 = [await stepRound(seeded.slice(FLOOR_ROUNDS * perRound), LEVELS[1]!)];
  } finally {
    await floor.stop();
    await scenario.close();
  }
  const step = mergeRounds(stepRounds);
  const bare = mergeRounds(floorRounds);
  const ratio = step.throughput / bare.throughput;
  const counted = await countSecondStepStatements();
  return [
    ...loadFigures('second step, authenticator app', [step, ...c32], { perSecond: TOTP_TARGET_PER_S, atConcurrency: 8 }),
    ...loadFigures('floor: bare Fastify route writing one SQLite row', [bare]),
    {
      figure: 'second step / floor, c=8',
      value: ratio,
      unit: 'x',
      target: `>= ${TOTP_FLOOR_RATIO_TARGET} x`,
      pass: ratio >= TOTP_FLOOR_RATIO_TARGET && step.errors === 0 && bare.errors === 0,
      details: {
        rounds: stepRounds.map((r, i) => r.throughput / floorRounds[i]!.throughput),
        warmup: { secondStepPerS: warmup.step.throughput, secondStepCpuMs: warmup.step.serverCpuMsPerOp, floorPerS: warmup.floor.throughput },
        cpuPerOp: { secondStepMs: step.serverCpuMsPerOp, floorMs: bare.serverCpuMsPerOp },
      },
    },
    {
      figure: 'server CPU per second step / per floor request, c=8',
      value: (step.serverCpuMsPerOp ?? NaN) / (bare.serverCpuMsPerOp ?? NaN),
      unit: 'x',
    },
    {
      figure: 'statements per second step (BEGIN/COMMIT included)',
      value: counted.perStep,
      unit: '',
      details: { min: counted.min, max: counted.max, oneStep: counted.statements },
    },
  ];
}

export async function runSecurityKey(): Promise<Figure[]> {
  const results = await secondStep('security_key', Number(process.env.BENCH_KEY_USERS ?? 15_000));
  return loadFigures('second step, security key (options + assertion per op)', results);
}

if (isMain(import.meta.url)) {
  const which = process.argv[2] ?? 'totp';
  console.log(`server LOG_LEVEL=${BENCH_LOG_LEVEL}`);
  const figures = which === 'security-key' ? await runSecurityKey() : await runTotp();
  console.log(table(figures));
  writeResults(which, figures);
}
