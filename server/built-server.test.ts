// The built server (npm run build:server → dist/server/cli.js) run as `npm run server` runs it:
// plain node, no TypeScript loader. It must start, read what it reads at run time from the built
// location (the breached-password list in node_modules), and sign people in over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reserveFreePort } from './free-port.js';
import { apiClient, PASSWORD, signIn } from './testing/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('the built server runs with plain node and signs in over HTTP', { timeout: 120_000 }, async () => {
  const build = spawnSync(process.execPath, ['scripts/build-server.mjs', '--quiet'], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const built = join(root, 'dist/server/cli.js');
  assert.ok(existsSync(built));
  // Compiled JavaScript: no TypeScript syntax left for a loader to strip.
  assert.doesNotMatch(readFileSync(built, 'utf8').slice(0, 20_000), /^import type /m);

  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-built-'));
  const port = await reserveFreePort('127.0.0.1');
  // No tsx anywhere: not in the arguments, not through NODE_OPTIONS.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, HOST: '127.0.0.1', PORT: String(port), AGENTDESK_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
  const server = spawn(process.execPath, [built, 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (c: Buffer) => (output += c.toString()));
  server.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the built server did not start:\n${output}`)), 60_000);
      const poll = setInterval(() => {
        if (output.includes('listening on')) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 50);
      void exited.then((code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`the built server exited (${code}):\n${output}`));
      });
    });
    const api = apiClient(`http://localhost:${port}/api/v1`);
    assert.equal((await api.call('GET', '/signup')).status, 200);

    // The breached list is read from node_modules at run time: found from dist/server too.
    const common = await api.call('POST', '/accounts', { body: { name: 'Built Ltd', slug: 'built', admin: { name: 'Ada Admin', email: 'ada@built.test', password: 'password1234' } } });
    assert.equal(common.status, 400, JSON.stringify(common.body));
    assert.equal(common.body.error.code, 'password_too_common');

    const created = await api.call('POST', '/accounts', { body: { name: 'Built Ltd', slug: 'built', admin: { name: 'Ada Admin', email: 'ada@built.test', password: PASSWORD } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const wrong = await api.call('POST', '/sessions', { body: { account: 'built', email: 'ada@built.test', password: 'not the password at all' } });
    assert.equal(wrong.status, 401);
    const session = await signIn(api, 'built', 'ada@built.test');
    assert.ok(session.token);
    assert.equal((await api.call('GET', '/me', { token: session.token })).status, 200);
  } finally {
    server.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
