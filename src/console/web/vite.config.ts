import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The console's build: React with plain CSS, served by the service under /console from
 * dist/console. The CSP allows no inline script or style, so nothing may be inlined into
 * index.html (no modulepreload polyfill, no inlined assets); file names are hashed.
 */
export default defineConfig({
  root: here('.'),
  base: '/console/',
  logLevel: 'warn',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: here('../../../dist/console'),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
    target: 'es2022',
  },
});
