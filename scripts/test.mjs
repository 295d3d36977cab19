#!/usr/bin/env node
// The one test command: type-check, build what the end-to-end tests load, then run every
// `*.test.ts` under node's own test runner. The server suite runs twice: once on SQLite (with
// everything else) and once on PostgreSQL when AGENTDESK_TEST_DATABASE_URL names a server
// (`.ci/run` starts one; scripts/postgres-cluster.sh starts one locally). Without it the
// PostgreSQL run is skipped with one line, except in CI (CI=true or AGENTDESK_REQUIRE_POSTGRES=1),
// where that is a failure.
// The end-to-end files (e2e/) run in a pass of their own, one file at a time, after the rest:
// each drives a Chromium and asserts timings (signed out within a second), and on a 2-core CI
// machine two browsers at once starve each other.
// The last line sums every run: `N passed, N failed`.
//
//   node scripts/test.mjs [--store=sqlite|postgres] [files...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

const roots = ['server', 'main', 'preload', 'renderer/src', 'e2e', 'bench'];
const args = process.argv.slice(2);
const storeArg = args.find((a) => a.startsWith('--store='))?.slice('--store='.length);
const only = args.filter((a) => !a.startsWith('--store='));
const stores = storeArg ? [storeArg] : ['sqlite', 'postgres'];
const inCi = process.env.CI === 'true' || process.env.CI === '1' || process.env.AGENTDESK_REQUIRE_POSTGRES === '1';
const pgUrl = process.env.AGENTDESK_TEST_DATABASE_URL || undefined;

/** The Chromium the end-to-end tests drive: CHROMIUM_PATH, else a usual install location. */
function findChromium() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ];
  return candidates.find((path) => path && existsSync(path));
}

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

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Runs node's test runner over `files`, echoing its output; returns its pass/fail counts. */
function runTests(files, env, extraArgs = [], concurrency = process.env.TEST_CONCURRENCY ?? 2) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [
      '--import', 'tsx',
      '--test',
      ...extraArgs,
      `--test-concurrency=${concurrency}`,
      ...files,
    ], { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test', ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), ...env } });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-8192);
    });
    child.on('close', (code) => {
      const text = stripAnsi(tail);
      const count = (name) => Number(new RegExp(`^\\S* ?${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      const passed = count('pass');
      let failed = count('fail') + count('cancelled');
      // A runner that died before its summary still counts as a failure.
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ passed, failed });
    });
  });
}

const all = (only.length ? only : roots.flatMap(findTests)).sort();
const isServer = (f) => f.startsWith(`server${sep}`) || f.startsWith('server/');
const isEndToEnd = (f) => /^(\.[\\/])?e2e[\\/]/.test(f);
// Tests of several instances on one database exist only on PostgreSQL.
const postgresOnly = (f) => f.endsWith('.postgres.test.ts');

if (!only.length) {
  if (run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) process.exit(1);
}

// The end-to-end tests load the renderer the web console serves: build it first.
if (all.some(isEndToEnd)) {
  if (run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']) !== 0) process.exit(1);
}

let passed = 0;
let failed = 0;
const withoutPg = { AGENTDESK_TEST_DATABASE_URL: '' };

if (stores.includes('sqlite')) {
  const files = all.filter((f) => !postgresOnly(f));
  const unit = files.filter((f) => !isEndToEnd(f));
  const endToEnd = files.filter(isEndToEnd);
  if (unit.length) {
    const r = await runTests(unit, withoutPg, ['--test-reporter=spec']);
    passed += r.passed;
    failed += r.failed;
  }
  const browser = endToEnd.length ? findChromium() : undefined;
  if (endToEnd.length && !browser) {
    console.log(`End-to-end journeys SKIPPED: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)${inCi ? ' (required in CI: failing)' : ''}`);
    if (inCi) failed += 1;
  } else if (endToEnd.length) {
    if (unit.length) console.log('\nEnd-to-end journeys, one browser at a time');
    const r = await runTests(endToEnd, { ...withoutPg, CHROMIUM_PATH: browser }, ['--test-reporter=spec'], 1);
    passed += r.passed;
    failed += r.failed;
  }
}

if (stores.includes('postgres')) {
  const files = all.filter(isServer);
  if (files.length) {
    if (!pgUrl) {
      console.log(`PostgreSQL run of the server suite SKIPPED: AGENTDESK_TEST_DATABASE_URL is not set${inCi ? ' (required in CI: failing)' : ' (start one with scripts/postgres-cluster.sh start /tmp/agentdesk-pg)'}`);
      if (inCi) failed += 1;
    } else {
      console.log(`\nServer suite on PostgreSQL (${new URL(pgUrl).host})`);
      const r = await runTests(files, { AGENTDESK_TEST_STORE_LABEL: 'postgres' }, [
        `--test-reporter=${new URL('./store-reporter.mjs', import.meta.url).href}`,
      ]);
      passed += r.passed;
      failed += r.failed;
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
