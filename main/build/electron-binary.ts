// Finds the Electron executable the way node_modules/electron/index.js does (path.txt, or
// ELECTRON_OVERRIDE_DIST_PATH), without requiring that module: requiring it starts a download
// when the binary is missing, and this machine (like many CI runners) cannot download it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { found: true; path: string } | { found: false; reason: string };

export function findElectronBinary(env: NodeJS.ProcessEnv = process.env, from = import.meta.url): ElectronBinary {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(from).resolve('electron/package.json'));
  } catch {
    return { found: false, reason: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const path = override ? join(override, executable || 'electron') : executable ? join(packageDir, 'dist', executable) : undefined;
  if (!path) return { found: false, reason: 'its binary was never downloaded' };
  if (!existsSync(path)) return { found: false, reason: `${path} does not exist` };
  return { found: true, path };
}

/** The one line `npm start` prints where Electron cannot run. */
export function missingElectronLine(reason: string): string {
  return `AgentDesk desktop: the Electron binary is not installed (${reason}); run the web console instead with \`npm run web\`.`;
}
