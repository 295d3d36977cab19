// Finds the Electron executable the way node_modules/electron/index.js does (path.txt, or
// ELECTRON_OVERRIDE_DIST_PATH), without requiring that module: requiring it starts a download
// when the binary is missing, and this machine (like many CI runners) cannot download it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where the Electron executable is, or why there is none (with the installed package's version, if any). */
export type ElectronBinary = { found: true; path: string } | { found: false; reason: string; version?: string };

export function findElectronBinary(env: NodeJS.ProcessEnv = process.env, from = import.meta.url): ElectronBinary {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(from).resolve('electron/package.json'));
  } catch {
    return { found: false, reason: 'the electron package is not installed' };
  }
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version;
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const path = override ? join(override, executable || 'electron') : executable ? join(packageDir, 'dist', executable) : undefined;
  if (!path) return { found: false, reason: 'its binary was never downloaded', version };
  if (!existsSync(path)) return { found: false, reason: `${path} does not exist`, version };
  return { found: true, path };
}

/**
 * The one line `npm start` prints where Electron cannot run: how to fetch the binary of the
 * installed electron package (its install.js, which `npm install` does not run: the package has
 * no install script), and the web console meanwhile.
 */
export function missingElectronLine(reason: string, version?: string): string {
  return `AgentDesk desktop: the Electron binary is not installed (${reason}); fetch ${version ? `Electron ${version}'s` : 'it'} once with \`npx --no install-electron\`, or run the web console instead with \`npm run web\`.`;
}
