// Builds the Electron app into desktop/dist (or another folder): the renderer with Vite, the main
// process as one ES module (everything bundled but `electron` itself, so the packaged app needs no
// node_modules), and the preload as one CommonJS file (a sandboxed preload can load no other
// file). `npm run desktop` runs this, then Electron.
//   node --import tsx desktop/tools/build-desktop.ts [outDir]
import path from 'node:path';
import { build } from 'esbuild';
import { buildRenderer } from './build-renderer.ts';

const desktop = path.resolve(import.meta.dirname, '..');

export async function buildDesktop(outDir = path.join(desktop, 'dist')): Promise<{ main: string; preload: string; renderer: string }> {
  const renderer = await buildRenderer(path.join(outDir, 'renderer'));
  const main = path.join(outDir, 'main.mjs');
  const preload = path.join(outDir, 'preload.cjs');
  await build({
    entryPoints: [path.join(desktop, 'src/main/main.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // ws's optional native helpers are optional; electron is the runtime itself.
    external: ['electron', 'bufferutil', 'utf-8-validate'],
    // Bundled CommonJS dependencies call require(): give the ES module one.
    banner: { js: "import { createRequire as __herald_cr } from 'node:module'; const require = __herald_cr(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  await build({
    entryPoints: [path.join(desktop, 'src/preload/preload.ts')],
    outfile: preload,
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    target: 'chrome120',
    minify: true,
    external: ['electron'],
    logLevel: 'warning',
  });
  return { main, preload, renderer };
}

if (process.argv[1] === import.meta.filename) {
  const out = await buildDesktop(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`built ${path.relative(process.cwd(), out.main)}, ${path.relative(process.cwd(), out.preload)}, ${path.relative(process.cwd(), out.renderer)}/`);
}
