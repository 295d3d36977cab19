#!/usr/bin/env node
// The one test command: type-check, build what the end-to-end tests load, then run every
// `*.test.ts` under node's own test runner, whose closing summary CI reads.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['server', 'main', 'preload', 'renderer/src', 'e2e', 'bench'];
const only = process.argv.slice(2);

function findTests(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

const files = (only.length ? only : roots.flatMap(findTests)).sort();
if (!only.length) {
  if (run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) process.exit(1);
}
// The end-to-end tests load the renderer the web console serves: build it first.
if (files.some((f) => /^e2e[\\/]/.test(f))) {
  if (run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']) !== 0) process.exit(1);
}

const status = run(process.execPath, [
  '--import', 'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
  ...files,
], { NODE_ENV: 'test' });
process.exit(status);
