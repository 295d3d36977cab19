import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));

// The same build is served by the web console at `/` and loaded by the desktop shell.
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Keep every asset a file: the Content-Security-Policy allows no inline data but images.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
