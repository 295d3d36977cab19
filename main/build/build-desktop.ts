// npm run build:desktop — bundles the Electron main process (ESM, node_modules left external so
// native modules load from the package) and the preload (CommonJS, everything inlined but
// `electron`, because a sandboxed preload can require nothing else) into dist/desktop.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export async function buildDesktop(options: { quiet?: boolean } = {}): Promise<void> {
  const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node22', sourcemap: 'linked', logLevel: options.quiet ? 'error' : 'info' } as const;
  await Promise.all([
    build({ ...common, entryPoints: ['main/electron-main.ts'], outfile: 'dist/desktop/electron-main.mjs', format: 'esm', packages: 'external' }),
    build({ ...common, entryPoints: ['preload/preload.ts'], outfile: 'dist/desktop/preload.cjs', format: 'cjs', external: ['electron'] }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildDesktop();
}
