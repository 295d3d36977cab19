#!/usr/bin/env node
// The one test command: type-check (the Node code and the renderer) and lint, build what the
// end-to-end tests load, then run every `*.test.ts` under node's own test runner, on each
// supported Node.js line and each store.
//
// A full run (no files named) is a matrix of passes, each opened by a header naming its Node and
// its store:
//   - Node 24 (the LTS line CI runs everything on): every file on SQLite, the end-to-end files
//     (e2e/) in a pass of their own one file at a time, then the server suite on PostgreSQL;
//   - the machine's Node 20: the server and security-key suites, on SQLite and on PostgreSQL.
// Node 24 comes from the npm registry (scripts/node-runtimes.mjs fetch 24; .ci/run does it) and
// runs in a copy of the project whose native modules are built for it (.tmp/node-24/), so that
// the two ABIs never share one node_modules. Without Node 24 the whole suite runs on the machine's
// Node instead, after one line saying so; in CI (CI=true) a missing Node 24 is also a failure.
// The PostgreSQL passes need AGENTDESK_TEST_DATABASE_URL (`.ci/run` starts a cluster;
// scripts/postgres-cluster.sh starts one locally): without it they are skipped with one line,
// except in CI (CI=true or AGENTDESK_REQUIRE_POSTGRES=1), where that is a failure.
// The end-to-end files run one at a time because each drives a Chromium and asserts timings
// (signed out within a second): on a 2-core machine two browsers at once starve each other.
// The last line sums every pass: `N passed, N failed, N skipped` (a failed set-up step counts as
// a failure); the exit code is non-zero on any failure.
//
//   node scripts/test.mjs [--store=sqlite|postgres] [--node=all|24|20|current] [files...]
//   node scripts/test.mjs --checks-only    (the type-checks and the lint alone, no test)
//
// Named files run on the Node running this script only (--node=current), unless --node says
// otherwise; with --node=all, the lines after the first run only those of them in the server and
// security-key suites, as in a full run.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { checkNativeModules, findNode, prepareTree, repoRoot } from './node-runtimes.mjs';

/** The Node lines tested, the first on every file, the others on the server and security-key suites. */
const NODE_LINES = [24, 20];

const roots = ['server', 'main', 'preload', 'renderer/src', 'e2e', 'bench'];
const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const storeArg = option('store');
const only = args.filter((a) => !a.startsWith('--')).map((f) => relative(repoRoot, resolve(f)));
const stores = storeArg ? [storeArg] : ['sqlite', 'postgres'];
const ciFlag = process.env.CI === 'true' || process.env.CI === '1';
const inCi = ciFlag || process.env.AGENTDESK_REQUIRE_POSTGRES === '1';
const pgUrl = process.env.AGENTDESK_TEST_DATABASE_URL || undefined;
const currentMajor = Number(process.versions.node.split('.')[0]);
const checksOnly = args.includes('--checks-only');
const nodeArg = option('node') ?? (only.length ? 'current' : 'all');
process.chdir(repoRoot);

const wanted = nodeArg === 'all' ? NODE_LINES : nodeArg === 'current' ? [currentMajor] : [Number(nodeArg)];
if (wanted.some((m) => !Number.isInteger(m) || m <= 0)) {
  console.error(`--node=${nodeArg}: expected all, current or a major version such as 24`);
  process.exit(2);
}

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

// eslint-disable-next-line no-control-regex -- ESC is what an ANSI colour code starts with
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
const seconds = (ms) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

/**
 * How a Node line runs: its binary, the folder it runs in (ours, or the copy whose native modules
 * are built for it) and the environment that makes its child processes (`node`, `npm run`, the
 * tests' own servers) use it too.
 */
function runtimeFor(major) {
  if (major === currentMajor) {
    return { major, version: process.version, node: process.execPath, cwd: repoRoot, env: {} };
  }
  const nodeDir = findNode(major);
  if (!nodeDir) return undefined;
  const bin = join(nodeDir, 'bin');
  const node = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { major, version, node, nodeDir, cwd: undefined, env: {} };
}

/** PATH for a runtime in a copy: its node first, and the copy's node_modules/.bin for ours. */
function pathFor(runtime) {
  const ourBin = join(repoRoot, 'node_modules', '.bin');
  const parts = (process.env.PATH || '').split(delimiter).map((p) => (p === ourBin ? join(runtime.cwd, 'node_modules', '.bin') : p));
  return [dirname(runtime.node), ...parts].join(delimiter);
}

/** Runs node's test runner over `files`, echoing its output; returns its pass/fail counts. */
function runTests(runtime, files, env, extraArgs = [], concurrency = process.env.TEST_CONCURRENCY ?? 2) {
  return new Promise((resolvePass) => {
    const child = spawn(runtime.node, [
      '--import', 'tsx',
      '--test',
      ...extraArgs,
      `--test-concurrency=${concurrency}`,
      ...files,
    ], {
      cwd: runtime.cwd,
      stdio: ['inherit', 'pipe', 'inherit'],
      env: { ...process.env, NODE_ENV: 'test', ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), ...runtime.env, ...env },
    });
    // The runner's summary (`ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`, `ℹ skipped N`) comes before
    // its list of failures, which can be long: read every line as it comes and keep the last of each.
    const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0 };
    // What a failure left (the runner's list of failures, and what a failed end-to-end test said
    // its pages showed, e2e/support/journey.ts) is kept to be printed again at the very end, where
    // a CI log's tail shows it.
    const failures = [];
    let inFailures = false;
    let inPage = false;
    let partial = '';
    const read = (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const plain = stripAnsi(line).trimEnd();
        const m = /^\S* ?(pass|fail|cancelled|skipped) (\d+)$/.exec(plain);
        if (m) counts[m[1]] = Number(m[2]);
        if (/^✖ failing tests:$/.test(plain)) inFailures = true;
        if (plain.startsWith('--- page ')) inPage = true;
        if (inFailures || inPage) failures.push(plain);
        if (inPage && plain === '---') inPage = false;
      }
    };
    const decoder = new StringDecoder('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      read(decoder.write(chunk));
    });
    child.on('error', (error) => {
      console.log(`Could not start ${runtime.node}: ${error.message}`);
    });
    child.on('close', (code) => {
      read(`${decoder.end()}\n`);
      const passed = counts.pass;
      let failed = counts.fail + counts.cancelled;
      // A runner that died before its summary still counts as a failure.
      if (code !== 0 && failed === 0) failed = 1;
      resolvePass({ passed, failed, skipped: counts.skipped, failures: failed ? failures.join('\n').slice(0, 12_000) : '' });
    });
  });
}

const all = (only.length ? only : roots.flatMap(findTests)).sort();
const isServer = (f) => f.startsWith(`server${sep}`) || f.startsWith('server/');
const isSecurityKeys = (f) => /^main[\\/](security-keys[\\/]|security-key[^\\/]*\.test\.ts$)/.test(f);
const isEndToEnd = (f) => /^(\.[\\/])?e2e[\\/]/.test(f);
// Tests of several instances on one database exist only on PostgreSQL.
const postgresOnly = (f) => f.endsWith('.postgres.test.ts');

const runStarted = Date.now();
let passed = 0;
let failed = 0;
let skipped = 0;
/** One row per pass and per setup step, for the summary before the closing line. */
const rows = [];
/** What each failed pass said about its failures, printed again before the summary. */
const failureReports = [];
const fail = (what) => { failed += 1; rows.push({ what, result: 'FAILED' }); };

async function pass(runtime, label, files, env, extraArgs, concurrency, detail = '') {
  console.log(`\n=== Node ${runtime.version} · ${label}${detail} · ${files.length} file${files.length === 1 ? '' : 's'} ===`);
  const started = Date.now();
  const r = await runTests(runtime, files, env, extraArgs, concurrency);
  const took = seconds(Date.now() - started);
  console.log(`--- Node ${runtime.version} · ${label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, in ${took}`);
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  rows.push({ what: `Node ${runtime.version} · ${label}`, result: `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`, took });
  if (r.failures) failureReports.push(`=== Node ${runtime.version} · ${label}\n${r.failures}`);
}

/** Runs a tool from node_modules on a runtime, its output shown; resolves to its exit code. */
function runToolAsync(runtime, script, toolArgs) {
  return new Promise((done) => {
    const child = spawn(runtime.node, [join(runtime.cwd, 'node_modules', script), ...toolArgs], {
      cwd: runtime.cwd, stdio: 'inherit', env: { ...process.env, ...runtime.env },
    });
    child.on('error', () => done(1));
    child.on('close', (code) => done(code ?? 1));
  });
}

/** A set-up step: runs a tool on this Node, its output shown, and records its row. */
async function setupStep(what, script, toolArgs) {
  const started = Date.now();
  const code = await runToolAsync(runtimeFor(currentMajor), script, toolArgs);
  rows.push({ what, result: code === 0 ? 'ok' : 'FAILED', took: seconds(Date.now() - started) });
  if (code !== 0) failed += 1;
}

// Set-up, at once: the type-checks and the lint (on this Node) and the copies for the other Node
// lines (a native rebuild is one compiler process; tsc is one more, the lint another). The two
// type-checks run one after the other: two tsc at once would starve the rebuild on 2 cores.
const setup = [];
if (!only.length) {
  setup.push((async () => {
    await setupStep(`type-check: Node code (Node ${process.version})`, 'typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']);
    await setupStep('type-check: renderer', 'typescript/bin/tsc', ['-p', 'renderer/tsconfig.json', '--noEmit']);
  })());
  // Errors only (`npm run lint` lists the warnings too); its cache (under .tmp/, ignored by git)
  // makes a second run check only the files changed since.
  setup.push(setupStep('lint (eslint.config.js)', 'eslint/bin/eslint.js', ['--quiet', '--cache', '--cache-location', '.tmp/eslint-cache', '.']));
}

// Each Node line that can run here, in order; a line that cannot is reported once.
const found = [];
for (const major of checksOnly ? [] : wanted) {
  const runtime = runtimeFor(major);
  found.push(runtime);
  if (!runtime) {
    const required = ciFlag;
    console.log(`Node ${major} passes SKIPPED: no Node ${major} here (node scripts/node-runtimes.mjs fetch ${major} fetches it from the npm registry)${required ? ' (required in CI: failing)' : ''}`);
    if (required) fail(`Node ${major}: not installed`);
    else rows.push({ what: `Node ${major}`, result: 'skipped: not installed' });
  } else if (!runtime.cwd) {
    const started = Date.now();
    console.log(`Preparing a copy of the project for Node ${runtime.version}`);
    setup.push(prepareTree(major, runtime.nodeDir).then((tree) => {
      runtime.cwd = tree.dir;
      runtime.tree = tree;
      runtime.env = { PATH: pathFor(runtime) };
      const how = tree.reused ? 'node_modules reused' : tree.rebuilt.length ? `rebuilt ${tree.rebuilt.join(', ')}` : tree.fromCache?.length ? `${tree.fromCache.join(', ')} from the cache` : 'made';
      rows.push({ what: `Node ${runtime.version}: copy of the project (${how})`, result: 'ok', took: seconds(Date.now() - started) });
    }, (error) => {
      console.log(`Node ${runtime.version} passes FAILED: its copy of the project could not be prepared: ${error.message}`);
      fail(`Node ${runtime.version}: copy of the project`);
      runtime.unusable = true;
    }));
  }
}
await Promise.all(setup);

const runtimes = [];
for (const runtime of found) {
  if (!runtime || runtime.unusable) continue;
  const check = checkNativeModules(runtime.node, runtime.cwd);
  console.log(`Native modules on Node ${runtime.version}: ${check.text}`);
  if (!check.ok) fail(`Node ${runtime.version}: native modules`);
  runtimes.push(runtime);
}

for (const [index, runtime] of runtimes.entries()) {
  // The first line that runs gets every file; the others the server and security-key suites.
  const scoped = index === 0 ? all : all.filter((f) => isServer(f) || isSecurityKeys(f));
  const named = (label, scope) => (only.length ? label : `${label} · ${scope}`);

  if (stores.includes('sqlite')) {
    const files = scoped.filter((f) => !postgresOnly(f));
    const unit = files.filter((f) => !isEndToEnd(f));
    const endToEnd = files.filter(isEndToEnd);
    if (unit.length) {
      await pass(runtime, named('SQLite', index === 0 ? 'whole suite' : 'server and security-key suites'), unit, { AGENTDESK_TEST_DATABASE_URL: '' }, ['--test-reporter=spec']);
    }
    const browser = endToEnd.length ? findChromium() : undefined;
    if (endToEnd.length && !browser) {
      console.log(`End-to-end journeys SKIPPED: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)${inCi ? ' (required in CI: failing)' : ''}`);
      if (inCi) fail('end-to-end journeys: no Chromium');
      else rows.push({ what: 'end-to-end journeys', result: 'skipped: no Chromium' });
    } else if (endToEnd.length) {
      // The end-to-end tests load the renderer the web console serves: build it first, there.
      const started = Date.now();
      const built = (await runToolAsync(runtime, 'vite/bin/vite.js', ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'])) === 0;
      rows.push({ what: `build the renderer (Node ${runtime.version})`, result: built ? 'ok' : 'FAILED', took: seconds(Date.now() - started) });
      if (!built) failed += 1;
      if (built) {
        await pass(runtime, 'SQLite · end-to-end journeys, one browser at a time', endToEnd, { AGENTDESK_TEST_DATABASE_URL: '', CHROMIUM_PATH: browser }, ['--test-reporter=spec'], 1);
        // What they wrote (screenshots) belongs in our tree, not only in the copy.
        if (runtime.cwd !== repoRoot) {
          for (const out of ['test-results', ...(process.env.AGENTDESK_UPDATE_SCREENSHOTS === '1' ? ['docs/screenshots'] : [])]) {
            if (existsSync(join(runtime.cwd, out))) cpSync(join(runtime.cwd, out), join(repoRoot, out), { recursive: true });
          }
        }
      }
    }
  }

  if (stores.includes('postgres')) {
    const files = scoped.filter(isServer);
    if (files.length) {
      if (!pgUrl) {
        console.log(`PostgreSQL run of the server suite on Node ${runtime.version} SKIPPED: AGENTDESK_TEST_DATABASE_URL is not set${inCi ? ' (required in CI: failing)' : ' (start one with scripts/postgres-cluster.sh start /tmp/agentdesk-pg)'}`);
        if (inCi) fail(`Node ${runtime.version} · PostgreSQL: no database`);
        else rows.push({ what: `Node ${runtime.version} · PostgreSQL`, result: 'skipped: no database' });
      } else {
        await pass(runtime, named('PostgreSQL', 'server suite'), files, { AGENTDESK_TEST_STORE_LABEL: 'postgres' }, [
          `--test-reporter=${new URL('./store-reporter.mjs', import.meta.url).href}`,
        ], undefined, ` (${new URL(pgUrl).host})`);
      }
    }
  }
}

for (const runtime of runtimes) runtime.tree?.remove();

if (failureReports.length) console.log(`\nFailures, again:\n${failureReports.join('\n\n')}`);
if (rows.length > 1) {
  console.log('\nPasses:');
  const width = Math.max(...rows.map((r) => r.what.length));
  for (const r of rows) console.log(`  ${r.what.padEnd(width)}  ${r.result}${r.took ? ` (${r.took})` : ''}`);
  console.log(`  ${'all of it'.padEnd(width)}  ${seconds(Date.now() - runStarted)}`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
