// npm run bench [-- name ...]: runs every benchmark (or the named ones), prints one table and
// writes bench/results/<name>.json per benchmark plus bench/results/summary.json.
//
// Names: totp, security-key, sign-in, fanout, enforce (SQLite, and PostgreSQL when its binaries
// are installed or DATABASE_URL is set; `enforce-sqlite` for SQLite only).
// The servers run as in production (own process, SQLite, 127.0.0.1) at LOG_LEVEL=info, the
// default; BENCH_LOG_LEVEL=warn runs them quieter.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { runEnforce } from './enforce.js';
import { runFanout } from './fanout.js';
import { postgresAvailable } from './postgres.js';
import { table, writeResults, type Figure } from './lib/report.js';
import { BENCH_LOG_LEVEL } from './lib/server-process.js';
import { runSecurityKey, runTotp } from './second-step.js';
import { runSignIn } from './sign-in.js';

const benchmarks: Record<string, () => Promise<Figure[]>> = {
  totp: runTotp,
  'security-key': runSecurityKey,
  'sign-in': runSignIn,
  fanout: () => runFanout(),
  enforce: () => runEnforce({ postgres: postgresAvailable() || Boolean(process.env.DATABASE_URL) }),
  'enforce-sqlite': () => runEnforce({ postgres: false }),
};
const all = ['totp', 'security-key', 'sign-in', 'fanout', 'enforce'];

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const n of names) {
  if (!benchmarks[n]) {
    console.error(`unknown benchmark ${n}; one of: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
}
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  logLevel: BENCH_LOG_LEVEL,
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
};
console.log(`AgentDesk benchmarks — ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, server LOG_LEVEL=${machine.logLevel}`);
const started = performance.now();
const figures: Figure[] = [];
for (const name of names.length ? names : all) {
  const t0 = performance.now();
  const load = loadavg()[0]!.toFixed(1);
  console.log(`\n▶ ${name} (load average ${load}, ${Math.round(freemem() / 2 ** 20)} MB free)`);
  const result = await benchmarks[name]!();
  writeResults(name, result, { machine, loadAverageAtStart: Number(load), seconds: (performance.now() - t0) / 1000 });
  console.log(table(result));
  figures.push(...result);
}
const seconds = (performance.now() - started) / 1000;
writeResults('summary', figures, { machine, seconds });
console.log(`\nAll figures (${seconds.toFixed(0)} s):\n${table(figures)}`);
