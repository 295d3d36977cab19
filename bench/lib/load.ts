// Runs a load job in a child process (bench/lib/load-worker.ts) and returns its per-level results.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LevelResult, LoadJob } from './load-worker.js';
import { REPO_ROOT } from './paths.js';

export type { Level, LevelResult, LoadJob } from './load-worker.js';

/** Concurrency levels of every load benchmark: 2 s warm-up, then 5 s measured, at 8 and at 32. */
export const LEVELS = [
  { concurrency: 8, warmupMs: 2000, durationMs: 5000 },
  { concurrency: 32, warmupMs: 2000, durationMs: 5000 },
];

export async function runLoad(job: LoadJob, workDir: string, env: Record<string, string> = {}): Promise<LevelResult[]> {
  const file = join(workDir, `load-${job.kind}.json`);
  writeFileSync(file, JSON.stringify(job));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/load-worker.ts', file], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => (out += c));
  const code: number = await new Promise((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`load worker (${job.kind}) exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as LevelResult[];
}

/** Several windows of one level as one: summed operations over summed time; latencies of the middle round. */
export function mergeRounds(rounds: LevelResult[]): LevelResult {
  const ops = rounds.reduce((n, r) => n + r.ops, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  const middle = [...rounds].sort((a, b) => a.throughput - b.throughput)[Math.floor(rounds.length / 2)]!;
  const cpu = rounds.filter((r) => r.serverCpuMsPerOp !== undefined);
  return { ...middle, ops, seconds, throughput: ops / seconds, ...(cpu.length ? { serverCpuMsPerOp: cpu.reduce((n, r) => n + r.serverCpuMsPerOp! * r.ops, 0) / Math.max(1, cpu.reduce((n, r) => n + r.ops, 0)) } : {}), errors: rounds.reduce((n, r) => n + r.errors, 0), errorSamples: rounds.flatMap((r) => r.errorSamples).slice(0, 3), exhausted: rounds.some((r) => r.exhausted) };
}
