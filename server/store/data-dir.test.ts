// The data folder and its files are private to the service's user, and the secret key may live
// elsewhere: a copy of the data folder (a backup, a support bundle) must not carry the key that
// decrypts every authenticator-app secret in it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer } from '../start.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const posix = process.platform !== 'win32';
const made: string[] = [];
const folder = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `agentdesk-${name}-`));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function startOn(dataDir: string, extra: Parameters<typeof startServer>[0] = {}) {
  // SQLite always: this is about the files in the data folder.
  return startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', databaseUrl: undefined, ...extra });
}

describe('data folder permissions', { skip: posix ? false : 'file modes are POSIX' }, () => {
  // Attack: another local user (or a backup readable by a wider group) reads the database and
  // secret.key from a 0755 folder of 0644 files and decrypts every TOTP secret.
  test('a new data folder is 0700 and the database, its WAL and the key are 0600, whatever the umask', async () => {
    const parent = folder('fresh');
    const dataDir = join(parent, 'data');
    const umask = process.umask(0o000); // the most permissive umask: modes must not come from it
    try {
      const server = await startOn(dataDir);
      await fetch(`${server.url}/api/v1/signup`);
      await server.close();
    } finally {
      process.umask(umask);
    }
    assert.equal(mode(dataDir), 0o700);
    for (const name of ['agentdesk.sqlite', 'secret.key']) assert.equal(mode(join(dataDir, name)), 0o600, name);
    for (const name of ['agentdesk.sqlite-wal', 'agentdesk.sqlite-shm']) {
      if (existsSync(join(dataDir, name))) assert.equal(mode(join(dataDir, name)), 0o600, name);
    }
  });

  test('a data folder left readable by an older version is made private at start', async () => {
    const dataDir = folder('old');
    const first = await startOn(dataDir);
    const running = join(dataDir, 'agentdesk.sqlite-wal');
    await first.close();
    chmodSync(dataDir, 0o755);
    for (const name of ['agentdesk.sqlite', 'secret.key']) chmodSync(join(dataDir, name), 0o644);
    const second = await startOn(dataDir);
    try {
      assert.equal(mode(dataDir), 0o700);
      for (const name of ['agentdesk.sqlite', 'secret.key']) assert.equal(mode(join(dataDir, name)), 0o600, name);
      if (existsSync(running)) assert.equal(mode(running), 0o600);
    } finally {
      await second.close();
    }
  });
});

describe('AGENTDESK_SECRET_KEY_FILE', { skip: posix ? false : 'file modes are POSIX' }, () => {
  test('a key file readable by others is refused with a message that says how to fix it', async () => {
    const keys = folder('keys');
    const keyFile = join(keys, 'secret.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    chmodSync(keyFile, 0o644);
    await assert.rejects(startOn(folder('refused'), { secretKeyFile: keyFile }), (error: Error) => {
      assert.match(error.message, /AGENTDESK_SECRET_KEY_FILE/);
      assert.match(error.message, /0644/);
      assert.match(error.message, /chmod 600/);
      return true;
    });
  });

  test('a missing or malformed key file is refused at start', async () => {
    const keys = folder('bad-keys');
    await assert.rejects(startOn(folder('missing'), { secretKeyFile: join(keys, 'nope.key') }), /cannot be read/);
    const short = join(keys, 'short.key');
    writeFileSync(short, 'abcd\n', { mode: 0o600 });
    chmodSync(short, 0o600);
    await assert.rejects(startOn(folder('short'), { secretKeyFile: short }), /must hold 32 bytes/);
  });

  test('with a private key file kept elsewhere, the data folder holds no key and secrets still open after a restart', async () => {
    const keys = folder('own-keys');
    mkdirSync(join(keys, 'etc'), { mode: 0o700 });
    const keyFile = join(keys, 'etc', 'secret.key');
    writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    const dataDir = folder('keyless');
    const first = await startOn(dataDir, { secretKeyFile: keyFile });
    const sealed = first.context.box.seal('JBSWY3DPEHPK3PXP');
    await first.close();
    assert.equal(existsSync(join(dataDir, 'secret.key')), false, 'a key was generated into the data folder');
    const second = await startOn(dataDir, { secretKeyFile: keyFile });
    try {
      assert.equal(second.context.box.open(sealed), 'JBSWY3DPEHPK3PXP');
    } finally {
      await second.close();
    }
  });
});
