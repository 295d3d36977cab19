// The second step under load: every operation is a distinct pending sign-in (a session in state
// two_factor_required, seeded beforehand with its user and method) passing a correct, never-used
// code or a fresh security-key assertion. Replay protection is on, as always: no user appears
// twice, so no code is ever reused.
//
//   npm run bench -- totp          npm run bench -- security-key
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { encode } from 'cborg';
import { newId } from '../server/crypto/tokens.js';
import type { MethodsTable, SessionsTable, UsersTable } from '../server/store/schema.js';
import { LEVELS, runLoad, type LevelResult } from './lib/load.js';
import { isMain, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { BENCH_LOG_LEVEL } from './lib/server-process.js';
import { benchPasswordHash, insertMany, seedAccount, sessionRow, totpMethod, totpSecret, userRow } from './lib/seed.js';

export const TOTP_TARGET_PER_S = 2000;

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

async function secondStep(kind: 'totp' | 'security_key', users: number) {
  const scenario = await withSeededServer(kind, async (db, box) => {
    const hash = await benchPasswordHash();
    const account = await seedAccount(db, box, 'bench', hash);
    const now = Date.now();
    const ops: any[] = [];
    for (let start = 0; start < users; start += 10_000) {
      const userRows: UsersTable[] = [];
      const methods: MethodsTable[] = [];
      const sessions: SessionsTable[] = [];
      for (let i = start; i < Math.min(users, start + 10_000); i++) {
        const user = userRow(account.accountId, i, account.slug, hash, true, now);
        userRows.push(user);
        const session = sessionRow(user.id, account.accountId, 'two_factor_required', now);
        sessions.push(session.row);
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
          ops.push({ token: session.token, credentialId, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) });
        }
      }
      await db.transaction().execute(async (trx) => {
        await insertMany(trx, 'users', userRows);
        await insertMany(trx, 'methods', methods);
        await insertMany(trx, 'sessions', sessions);
      });
    }
    return ops;
  });
  try {
    const { server } = scenario;
    return await runLoad({ kind, host: server.host, port: server.port, origin: server.origin, serverPid: server.pid, levels: LEVELS, ops: scenario.seeded }, scenario.dataDir);
  } finally {
    await scenario.close();
  }
}

export async function runTotp(): Promise<Figure[]> {
  // Enough users that none is used twice even at 4,000/s over both levels.
  const results = await secondStep('totp', Number(process.env.BENCH_TOTP_USERS ?? 60_000));
  return loadFigures('second step, authenticator app', results, { perSecond: TOTP_TARGET_PER_S, atConcurrency: 8 });
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
