// Signing out of the desktop while the server cannot be reached, against a real Secret Service
// (a private D-Bus session with its own gnome-keyring, in a throw-away HOME) and a real identity
// service stopped and started again on the same port. Guards against a shared desk's session
// living on after "Sign out": the token waits in the keychain until the server confirms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./testing/sign-out-queue-script.ts', import.meta.url));

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

const missing = process.platform === 'linux' ? ['dbus-run-session', 'gnome-keyring-daemon'].filter((b) => !onPath(b)) : [];
const skip = process.platform !== 'linux' ? 'Secret Service tests run on Linux only' : missing.length ? `skipped: ${missing.join(' and ')} not installed` : false;

test('a sign-out the server could not hear waits in the keychain and is sent on restart and on reconnect, and leaves only when the server confirmed', { skip, timeout: 90_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'agentdesk-keyring-'));
  try {
    const runtime = join(home, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const env = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: join(home, 'config') };
    const node = `'${process.execPath}' --import tsx '${script}' AgentDeskTest`;
    const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', `printf throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ${node}`], {
      env,
      encoding: 'utf8',
      timeout: 80_000,
    });
    const line = result.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    assert.ok(line, `script printed nothing (status ${result.status}):\n${result.stderr}`);
    const seen = JSON.parse(line);

    assert.equal(seen.kind, 'keychain');
    // Signed out at once on this device, without an error, while the server is down...
    assert.equal(seen.signOutError, null);
    assert.equal(seen.signedInAfterSignOut, false);
    assert.equal(seen.sessionsAfterSignOut, 0);
    // ...and the token waits in the keychain (an entry of its own, never a file).
    assert.deepEqual(seen.queuedAfterSignOut, [true]);
    assert.equal(seen.keychainAfterSignOut.filter((n: string) => n.startsWith('revoke:')).length, 1);
    assert.equal(seen.keychainAfterSignOut.filter((n: string) => /^http:\/\/[^#]+#acme$/.test(n)).length, 0);
    // The server still has the session until told.
    assert.equal(seen.serverWhileQueued, 200);
    // The next start sends it, restores nothing, and the queue is empty once the server confirmed.
    assert.equal(seen.restored, false);
    assert.equal(seen.serverAfterRestart, 401);
    assert.equal(seen.queuedAfterRestart, 0);
    assert.deepEqual(seen.keychainAfterRestart.filter((n: string) => n.startsWith('revoke:')), []);
    // Down again: queued; back: the back-off retry sends it with nothing else happening.
    assert.equal(seen.queuedWhileDown, 1);
    assert.equal(seen.serverBeforeRetry, 200);
    assert.equal(seen.retrySentIt, true);
    assert.equal(seen.serverAfterRetry, 401);
    // A token the server does not know (401: already ended) is done too.
    assert.equal(seen.queuedAfterUnknown, 0);
    assert.ok(seen.logs.some((l: string) => /sign-out\(s\) not confirmed by the server/.test(l)), seen.logs.join('\n'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
