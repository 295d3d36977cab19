// electron-builder.yml checked by electron-builder's own configuration validator, plus the
// parts the security checklist depends on: native modules unpacked and rebuilt, fuses set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const file = fileURLToPath(new URL('../../electron-builder.yml', import.meta.url));
const yaml = require('js-yaml') as { load(text: string): unknown };
const config = yaml.load(readFileSync(file, 'utf8')) as Record<string, any>;

test('electron-builder accepts the configuration', async () => {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
    validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  await validateConfiguration(structuredClone(config), { isEnabled: false, add() {} });
});

test('every platform target of the issue is built', () => {
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.deepEqual(config.win.target, ['nsis']);
});

test('native modules are unpacked from the asar and rebuilt for Electron', () => {
  for (const name of ['better-sqlite3', 'argon2', 'node-hid', '@napi-rs/keyring']) {
    assert.ok((config.asarUnpack as string[]).some((glob) => glob.includes(name)), name);
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { dependencies: Record<string, string> };
    assert.ok(pkg.dependencies[name], `${name} must be a production dependency to be packaged`);
  }
  assert.equal(config.npmRebuild, true);
});

test('the fuses close what an attacker with local access would use', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  });
});

test('the package points Electron at the bundle npm run build:desktop writes', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { main: string };
  assert.equal(pkg.main, 'dist/desktop/electron-main.mjs');
  assert.ok((config.files as string[]).includes('dist/desktop/**/*'));
});
