// Builds the renderer (desktop/src/renderer) into desktop/dist/renderer: Preact with the automatic
// JSX runtime through esbuild, relative asset paths (the same build is served from app://herald/
// in Electron and from the preview server over http), no inline scripts (the CSP forbids them).
import path from 'node:path';
import { defineConfig } from 'vite';

const root = path.resolve(import.meta.dirname, 'src/renderer');

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'chrome120',
    reportCompressedSize: false,
  },
});
