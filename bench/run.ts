// npm run bench [-- name ...]: runs every benchmark (or the named ones), prints one table and
// writes bench/results/<name>.json per benchmark plus bench/results/summary.json.
//
// Names: totp, security-key, sign-in, burst, fanout, enforce, enforce-scope, users, startup, adoption, audit-stream, remember, scim, sso, key-rule (SQLite, and PostgreSQL when its binaries
// are installed or DATABASE_URL is set; `enforce-sqlite`, `enforce-scope-sqlite` and `users-sqlite` for SQLite only).
// The servers run as in production (own process, SQLite, 127.0.0.1) at LOG_LEVEL=info, the
// default; BENCH_LOG_LEVEL=warn runs them quieter.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { runEnforce } from './enforce.js';
import { runKeyRule } from './key-rule.js';
import { runFanout } from './fanout.js';
import { postgresAvailable } from './postgres.js';
import { REPO_ROOT } from './lib/paths.js';
import { RESULTS_DIR, table, writeResults, type Figure } from './lib/report.js';
import { BENCH_LOG_LEVEL } from './lib/server-process.js';
import { runSecurityKey, runTotp } from './second-step.js';
import { runSignIn } from './sign-in.js';
import { runBurst } from './burst.js';
import { runUsers } from './users-list.js';
import { runStartup } from './startup.js';
import { runAdoption } from './adoption.js';
import { runAuditStream } from './audit-stream.js';
import { runRemember } from './remembered-devices.js';
import { runScim } from './scim.js';
import { runSso } from './sso.js';

const benchmarks: Record<string, () => Promise<Figure[]>> = {
  totp: runTotp,
  'security-key': runSecurityKey,
  'sign-in': runSignIn,
  burst: runBurst,
  fanout: () => runFanout(),
  enforce: () => runEnforce({ postgres: postgresAvailable() || Boolean(process.env.DATABASE_URL) }),
  'enforce-sqlite': () => runEnforce({ postgres: false }),
  // Issue 21: required of one group of 10,000 among 100,000 agents (scoped preview p99 and save).
  'enforce-scope': () => runEnforce({ group: 10_000, postgres: postgresAvailable() || Boolean(process.env.DATABASE_URL) }),
  'enforce-scope-sqlite': () => runEnforce({ group: 10_000, postgres: false }),
  users: () => runUsers({ postgres: postgresAvailable() || Boolean(process.env.DATABASE_URL) }),
  'users-sqlite': () => runUsers({ postgres: false }),
  startup: runStartup,
  adoption: () => runAdoption(),
  'audit-stream': () => runAuditStream(),
  remember: () => runRemember(),
  // Issue 20: SCIM provisioning (10,000 creates, then 10,000 deactivations) and SSO sign-in end to end.
  scim: () => runScim(),
  sso: () => runSso(),
  // Issue 21: a security-key model rule saved over 100,000 agents whose keys it refuses (same target as enforcement).
  'key-rule': () => runKeyRule(),
};
const all = ['totp', 'security-key', 'sign-in', 'burst', 'fanout', 'enforce', 'enforce-scope', 'users', 'startup', 'adoption', 'audit-stream', 'remember', 'scim', 'sso', 'key-rule'];

const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
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
if (!process.argv.includes('--one')) console.log(`AgentDesk benchmarks — ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, server LOG_LEVEL=${machine.logLevel}`);
// Each benchmark runs in a process of its own (`--one <name>`), with a time limit, so that one
// that hangs or crashes is reported and the others still run.
const LIMIT_MS: Record<string, number> = { startup: 400_000, enforce: 300_000, 'enforce-sqlite': 180_000, 'enforce-scope': 300_000, 'enforce-scope-sqlite': 180_000, users: 400_000, 'users-sqlite': 200_000, 'audit-stream': 240_000, scim: 600_000, sso: 300_000, 'key-rule': 400_000 };

if (process.argv.includes('--one')) {
  const name = names[0]!;
  const t0 = performance.now();
  const load = loadavg()[0]!;
  const result = await benchmarks[name]!();
  writeResults(name, result, { machine, loadAverageAtStart: load, seconds: (performance.now() - t0) / 1000 });
  console.log(table(result));
} else {
  const started = performance.now();
  const figures: Figure[] = [];
  for (const name of names.length ? names : all) {
    console.log(`\n▶ ${name} (load average ${loadavg()[0]!.toFixed(1)}, ${Math.round(freemem() / 2 ** 20)} MB free)`);
    // One retry: on this shared machine a benchmark process has (rarely) stalled while seeding.
    let completed = false;
    let code: number | null = null;
    for (let attempt = 1; attempt <= 2 && !completed; attempt++) {
      const startedAt = Date.now();
      // Its own process group, so that a stalled one goes with its server and load processes.
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--one', name], { cwd: REPO_ROOT, stdio: 'inherit', detached: true });
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), LIMIT_MS[name] ?? 150_000);
      code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
      clearTimeout(timer);
      const file = join(RESULTS_DIR, `${name}.json`);
      completed = code === 0 && existsSync(file) && statSync(file).mtimeMs >= startedAt - 1000;
      if (!completed) console.log(`  ${name} did not complete (exit ${code})${attempt === 1 ? '; once more' : ''}`);
    }
    if (!completed) {
      figures.push({ figure: `${name}: did not complete`, value: NaN, unit: '', pass: false });
      continue;
    }
    const file = join(RESULTS_DIR, `${name}.json`);
    figures.push(...(JSON.parse(readFileSync(file, 'utf8')) as { figures: Figure[] }).figures);
  }
  const seconds = (performance.now() - started) / 1000;
  writeResults('summary', figures, { machine, seconds });
  console.log(`\nAll figures (${seconds.toFixed(0)} s):\n${table(figures)}`);
}
