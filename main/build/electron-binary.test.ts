// `npm start` decides from this whether Electron can run here, without the download that
// requiring the electron package would start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { findElectronBinary, missingElectronLine } from './electron-binary.js';

test('a binary named by ELECTRON_OVERRIDE_DIST_PATH is found; a missing one is reported, not downloaded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-electron-'));
  try {
    const pathFile = join(createRequire(import.meta.url).resolve('electron/package.json'), '..', 'path.txt');
    const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
    assert.deepEqual(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dir }).found, false);
    writeFileSync(join(dir, name), '');
    assert.deepEqual(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dir }), { found: true, path: join(dir, name) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the missing-binary message is one line naming the command that fetches it, and npm run web', () => {
  const line = missingElectronLine('its binary was never downloaded', '45.5.0');
  assert.doesNotMatch(line, /\n/);
  assert.match(line, /Electron binary is not installed/);
  assert.match(line, /fetch Electron 45\.5\.0's once with `npx --no install-electron`/);
  assert.match(line, /npm run web/);
});

test('a missing binary is reported with the installed electron package\'s version', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-electron-'));
  try {
    const installed = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('electron/package.json'), 'utf8')) as { version: string };
    const binary = findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dir });
    assert.equal(binary.found, false);
    assert.equal(!binary.found && binary.version, installed.version);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
