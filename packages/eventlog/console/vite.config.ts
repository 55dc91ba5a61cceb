/**
 * Builds the web console into the eventlog package's dist/console, which `eventlog serve` serves
 * at `/` (see src/server/http/console-assets.ts). Preact through Vite's own JSX transform.
 */

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The chart library (d3 underneath) is most of the bundle; one file is fine for a console.
    chunkSizeWarningLimit: 1024,
  },
});
