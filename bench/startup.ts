// Start-up of the identity service, `tsx server/cli.ts` against the built dist/server/cli.js
// (npm run build:server; what `npm run server` runs): the time from spawning the process to its
// first 200 on GET /api/v1/signup, the CPU time it used until then (less sensitive than the wall
// time to other load on the machine), and its resident memory at that moment. Each way starts once
// unmeasured on its data directory (migrations run, tsx's compile cache and the OS's file cache
// filled, as on a restart in production), then RUNS times, alternating, each on the same store.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveFreePort } from '../server/free-port.js';
import { REPO_ROOT } from './lib/paths.js';
import { isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { BENCH_LOG_LEVEL, cpuMsOf, rssMbOf } from './lib/server-process.js';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 3);
type Way = 'tsx' | 'built';
const args: Record<Way, string[]> = { tsx: ['--import', 'tsx', 'server/cli.ts', 'serve'], built: ['dist/server/cli.js', 'serve'] };

async function startOnce(way: Way, dataDir: string): Promise<{ ms: number; cpuMs: number; rssMb: number }> {
  const port = await reserveFreePort('127.0.0.1');
  const started = performance.now();
  const child = spawn(process.execPath, args[way], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: String(port), AGENTDESK_DATA_DIR: dataDir, LOG_LEVEL: BENCH_LOG_LEVEL },
    stdio: 'ignore',
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exited = false;
  void exit.then(() => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${way} server exited at start`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/signup`);
        if (res.status === 200) {
          const ms = performance.now() - started;
          return { ms, cpuMs: cpuMsOf(child.pid!), rssMb: rssMbOf(child.pid!) };
        }
      } catch {
        /* not listening yet */
      }
      if (performance.now() - started > 120_000) throw new Error(`${way} server did not answer in 120 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exit;
  }
}

export async function runStartup(): Promise<Figure[]> {
  const build = spawnSync(process.execPath, ['scripts/build-server.mjs', '--quiet'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:server failed: ${build.stderr}`);
  const dirs = { tsx: mkdtempSync(join(tmpdir(), 'agentdesk-startup-tsx-')), built: mkdtempSync(join(tmpdir(), 'agentdesk-startup-built-')) };
  const samples: Record<Way, { ms: number[]; cpuMs: number[]; rssMb: number[] }> = { tsx: { ms: [], cpuMs: [], rssMb: [] }, built: { ms: [], cpuMs: [], rssMb: [] } };
  try {
    for (const way of ['tsx', 'built'] as const) await startOnce(way, dirs[way]);
    for (let i = 0; i < RUNS; i++) {
      for (const way of i % 2 ? (['built', 'tsx'] as const) : (['tsx', 'built'] as const)) {
        const s = await startOnce(way, dirs[way]);
        samples[way].ms.push(s.ms);
        samples[way].cpuMs.push(s.cpuMs);
        samples[way].rssMb.push(s.rssMb);
      }
    }
  } finally {
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const ms = { tsx: median(samples.tsx.ms), built: median(samples.built.ms) };
  const cpu = { tsx: median(samples.tsx.cpuMs), built: median(samples.built.cpuMs) };
  const rss = { tsx: median(samples.tsx.rssMb), built: median(samples.built.rssMb) };
  const details = (way: Way) => ({ runs: RUNS, ms: samples[way].ms.map(Math.round), cpuMs: samples[way].cpuMs, rssMb: samples[way].rssMb.map(Math.round) });
  return [
    { figure: 'server start-up to first 200 on /signup, tsx (median)', value: ms.tsx, unit: 'ms', details: details('tsx') },
    { figure: 'server start-up to first 200 on /signup, built (median)', value: ms.built, unit: 'ms', details: details('built') },
    { figure: 'start-up, built / tsx', value: ms.built / ms.tsx, unit: 'x' },
    { figure: 'CPU time to first 200, tsx (median)', value: cpu.tsx, unit: 'ms' },
    { figure: 'CPU time to first 200, built (median)', value: cpu.built, unit: 'ms' },
    { figure: 'CPU time to first 200, built / tsx', value: cpu.built / cpu.tsx, unit: 'x' },
    { figure: 'RSS after start-up, tsx (median)', value: rss.tsx, unit: 'MB' },
    { figure: 'RSS after start-up, built (median)', value: rss.built, unit: 'MB' },
    { figure: 'RSS after start-up, built / tsx', value: rss.built / rss.tsx, unit: 'x' },
  ];
}

if (isMain(import.meta.url)) {
  const figures = await runStartup();
  writeResults('startup', figures);
  console.log(table(figures));
}
