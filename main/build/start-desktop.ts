// npm start — builds the renderer and the desktop bundles, then launches Electron on the
// embedded server. Where the Electron binary is missing it says so in one line, with the command
// that fetches it, and exits 1.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildDesktop } from './build-desktop.js';
import { findElectronBinary, missingElectronLine } from './electron-binary.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const electron = findElectronBinary();
if (!electron.found) {
  console.error(missingElectronLine(electron.reason, electron.version));
  process.exit(1);
}

const renderer = spawnSync('npm', ['run', '--silent', 'build:renderer'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (renderer.status !== 0) process.exit(renderer.status ?? 1);
await buildDesktop();

const child = spawn(electron.path, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
