// Sign-in (the password step) under load against the raw argon2id rate of this machine, measured
// in the same run with the server's own parameters (passwordHashOptions) and the same libuv
// thread-pool size (UV_THREADPOOL_SIZE as the server gets it: unset, i.e. 4, unless the
// environment sets it), in a process of its own, at the same concurrency levels.
// Target: sign-in throughput >= 0.9 of the raw rate: nothing besides the hash may cost noticeably.
//
//   npm run bench -- sign-in
import { LEVELS, mergeRounds as merge, runLoad, type LevelResult } from './lib/load.js';
import { isMain, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { BENCH_LOG_LEVEL } from './lib/server-process.js';
import { BENCH_PASSWORD, seedAgentsAtTheirDesks } from './lib/seed.js';
import { loadFigures } from './second-step.js';

export const SIGN_IN_RATIO_TARGET = 0.9;
const USERS = 500;

export async function runSignIn(): Promise<Figure[]> {
  // Agents with an authenticator app at their own desks (a device they signed in on before): the
  // answer is two_factor_required with their methods, the common case at shift change once 2FA
  // is required. (A burst of sign-ins from devices nobody used is bench/burst.ts's subject.)
  const scenario = await withSeededServer('sign-in', async (db, box) => {
    const { account, hash, emails, deviceTokens } = await seedAgentsAtTheirDesks(db, box, USERS);
    return { slug: account.slug, hash, emails, deviceTokens };
  });
  // Raw and sign-in windows alternate, three rounds per level, and the ratio is that of the summed throughputs of
  // all rounds (each round's own ratio is kept in the JSON): load from anything else on this
  // shared machine then weighs on both sides alike.
  const ROUNDS = 3;
  const signIn: LevelResult[] = [];
  const raw: LevelResult[] = [];
  const ratios: number[][] = [];
  try {
    const { server, seeded } = scenario;
    const where = { host: server.host, port: server.port, origin: server.origin, reuse: true, serverPid: server.pid };
    for (const base of LEVELS) {
      const level = { ...base, warmupMs: 1000, durationMs: 4000 };
      const rawRounds: LevelResult[] = [];
      const signInRounds: LevelResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // argon2.verify of the same hash with the same parameters, closed loop, in a process of its own.
        rawRounds.push(...(await runLoad({ ...where, serverPid: undefined, kind: 'argon2_raw', levels: [level], ops: [{ hash: seeded.hash, password: BENCH_PASSWORD }] }, scenario.dataDir)));
        signInRounds.push(...(await runLoad({ ...where, kind: 'sign_in', levels: [level], ops: seeded.emails.map((email, i) => ({ account: seeded.slug, email, password: BENCH_PASSWORD, deviceToken: seeded.deviceTokens[i] })) }, scenario.dataDir)));
      }
      ratios.push(rawRounds.map((r, i) => signInRounds[i]!.throughput / r.throughput));
      raw.push(merge(rawRounds));
      signIn.push(merge(signInRounds));
    }
  } finally {
    await scenario.close();
  }
  const figures: Figure[] = [];
  figures.push(...loadFigures('raw argon2id verify (server parameters)', raw));
  figures.push(...loadFigures('sign-in, password step', signIn));
  for (let i = 0; i < signIn.length; i++) {
    const ratio = signIn[i]!.throughput / raw[i]!.throughput;
    figures.push({
      figure: `sign-in / raw argon2id, c=${signIn[i]!.concurrency}`,
      value: ratio,
      unit: 'x',
      target: `>= ${SIGN_IN_RATIO_TARGET}`,
      pass: ratio >= SIGN_IN_RATIO_TARGET && signIn[i]!.errors === 0,
      details: { rounds: ratios[i] },
    });
  }
  return figures;
}

if (isMain(import.meta.url)) {
  console.log(`server LOG_LEVEL=${BENCH_LOG_LEVEL}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  const figures = await runSignIn();
  writeResults('sign-in', figures);
  console.log(table(figures));
}
