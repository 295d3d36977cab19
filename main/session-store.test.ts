// The keychain session store against a real Secret Service: a private D-Bus session with its
// own gnome-keyring, unlocked with a throw-away password, in a throw-away HOME. The user's own
// keyring is never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemorySessionStore, entryName } from './session-store.js';

const script = fileURLToPath(new URL('./testing/session-store-script.ts', import.meta.url));

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

function runScript(env: NodeJS.ProcessEnv, wrap: (node: string) => string[]) {
  const node = `'${process.execPath}' --import tsx '${script}' AgentDeskTest`;
  const [command, ...args] = wrap(node);
  const result = spawnSync(command!, args, { env, encoding: 'utf8', timeout: 60_000 });
  const line = result.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  assert.ok(line, `script printed nothing (status ${result.status}):\n${result.stderr}`);
  return JSON.parse(line) as {
    kindAtStart: string;
    kindAtEnd: string;
    afterSet: string | null;
    listed: { account: string; token: string }[];
    raw: string[];
    afterDelete: string | null;
    otherServer: string | null;
    logs: string[];
  };
}

test('entries are named by server origin and account', () => {
  assert.equal(entryName('http://localhost:4800/', 'acme'), 'http://localhost:4800#acme');
  assert.equal(entryName('https://agentdesk.example/api/v1', 'acme'), 'https://agentdesk.example#acme');
});

test('the memory store keeps one token per server and account', async () => {
  const store = new MemorySessionStore();
  await store.set('http://a.test', 'acme', 't1');
  await store.set('http://a.test', 'acme', 't2');
  await store.set('http://b.test', 'acme', 't3');
  assert.equal(await store.get('http://a.test/', 'acme'), 't2');
  assert.deepEqual(await store.list('http://a.test'), [{ account: 'acme', token: 't2' }]);
  await store.delete('http://a.test', 'acme');
  assert.equal(await store.get('http://a.test', 'acme'), null);
  assert.equal(await store.get('http://b.test', 'acme'), 't3');
});

const missing = process.platform === 'linux' ? ['dbus-run-session', 'gnome-keyring-daemon'].filter((b) => !onPath(b)) : [];
const notLinux = process.platform !== 'linux' && 'Secret Service tests run on Linux only';

test('tokens live in a real Secret Service (gnome-keyring), one entry per server and account', { skip: notLinux || (missing.length ? `Secret Service test skipped: ${missing.join(' and ')} not installed` : false) }, () => {
  const home = mkdtempSync(join(tmpdir(), 'agentdesk-keyring-'));
  try {
    const runtime = join(home, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const env = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: join(home, 'config') };
    // The daemon reads the new keyring's password on stdin, unlocks it and stays on the private bus.
    const seen = runScript(env, (node) => ['dbus-run-session', '--', 'sh', '-c', `printf throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ${node}`]);
    assert.equal(seen.kindAtStart, 'keychain');
    assert.equal(seen.kindAtEnd, 'keychain', `fell back to memory: ${seen.logs.join(' ')}`);
    assert.equal(seen.afterSet, 'token-acme-2');
    assert.deepEqual(seen.listed, [{ account: 'acme', token: 'token-acme-2' }]);
    assert.deepEqual(seen.raw, ['http://localhost:4800#acme', 'https://agentdesk.example#acme']);
    assert.equal(seen.afterDelete, null);
    assert.equal(seen.otherServer, 'token-other-server');
    assert.deepEqual(seen.logs, []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('with no keychain the store keeps the token in memory and says so once', { skip: notLinux }, () => {
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/agentdesk-test-bus' };
  const seen = runScript(env, (node) => ['sh', '-c', node]);
  assert.equal(seen.kindAtStart, 'memory');
  assert.equal(seen.afterSet, 'token-acme-2');
  assert.deepEqual(seen.listed, [{ account: 'acme', token: 'token-acme-2' }]);
  assert.equal(seen.afterDelete, null);
  assert.equal(seen.otherServer, 'token-other-server');
  assert.equal(seen.logs.length, 1);
  assert.match(seen.logs[0]!, /no OS keychain available.*memory only/);
});
