// Burst isolation: a legitimate agent's sign-in while 400 wrong passwords arrive at once from
// another address, against the same agent's sign-in when the server is idle. Every limit is
// reserved before the password is hashed and the address-wide one hashes two at a time, so the
// flood costs at most a couple of hashes at any moment instead of 400.
// Target: the agent's p99 under the burst < 2× its idle p99.
//
//   npm run bench -- burst
import http from 'node:http';
import { isMain, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { benchPasswordHash, BENCH_PASSWORD, insertMany, seedAccount, userRow } from './lib/seed.js';

export const BURST_RATIO_TARGET = 2;
const FLOOD = 400;
const IDLE_SAMPLES = 40;
const MIN_BURST_SAMPLES = 20;

function client(host: string, port: number, localAddress: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: FLOOD, localAddress });
  function signIn(body: object): Promise<number> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request({ host, port, path: '/api/v1/sessions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  return { signIn, close: () => agent.destroy() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runBurst(): Promise<Figure[]> {
  const scenario = await withSeededServer('burst', async (db, box) => {
    const hash = await benchPasswordHash();
    const account = await seedAccount(db, box, 'bench', hash);
    const agent = userRow(account.accountId, 1, account.slug, hash, false, Date.now());
    await insertMany(db, 'users', [agent]);
    return { slug: account.slug, email: agent.email };
  });
  const { server, seeded } = scenario;
  const agent = client(server.host, server.port, '127.0.0.2');
  const attacker = client(server.host, server.port, '127.0.0.3');
  const signInAgent = async () => {
    const t0 = performance.now();
    const status = await agent.signIn({ account: seeded.slug, email: seeded.email, password: BENCH_PASSWORD });
    if (status !== 201) throw new Error(`agent sign-in answered ${status}`);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < 5; i++) await signInAgent(); // warm-up
    const idle: number[] = [];
    for (let i = 0; i < IDLE_SAMPLES; i++) idle.push(await signInAgent());

    // 400 wrong passwords at once from one address, each for another email (spraying).
    let answered = 0;
    const statuses: number[] = [];
    const t0 = performance.now();
    const flood = Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        attacker.signIn({ account: seeded.slug, email: `spray${i}@bench.test`, password: 'not the password' }).then((s) => {
          statuses.push(s);
          answered += 1;
        }),
      ),
    );
    const burst: number[] = [];
    while (answered < FLOOD || burst.length < MIN_BURST_SAMPLES) burst.push(await signInAgent());
    await flood;
    const floodMs = performance.now() - t0;

    idle.sort((a, b) => a - b);
    burst.sort((a, b) => a - b);
    const idleP99 = percentile(idle, 99);
    const burstP99 = percentile(burst, 99);
    const ratio = burstP99 / idleP99;
    const hashed = statuses.filter((s) => s === 401).length;
    return [
      { figure: 'agent sign-in, idle', value: idleP99, unit: 'ms (p99)', latency: { p50: percentile(idle, 50), p99: idleP99 } },
      { figure: `agent sign-in during ${FLOOD} parallel wrong passwords from another address`, value: burstP99, unit: 'ms (p99)', latency: { p50: percentile(burst, 50), p99: burstP99 }, details: { samples: burst.length } },
      { figure: 'burst / idle sign-in p99', value: ratio, unit: 'x', target: `< ${BURST_RATIO_TARGET}`, pass: ratio < BURST_RATIO_TARGET },
      { figure: `wrong passwords hashed of ${FLOOD} (the rest refused before hashing)`, value: hashed, unit: '', target: '<= 100', pass: hashed <= 100, details: { refused: statuses.filter((s) => s === 429).length, floodMs: Math.round(floodMs) } },
    ];
  } finally {
    agent.close();
    attacker.close();
    await scenario.close();
  }
}

if (isMain(import.meta.url)) {
  const figures = await runBurst();
  writeResults('burst', figures);
  console.log(table(figures));
}
