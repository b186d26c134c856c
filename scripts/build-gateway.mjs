#!/usr/bin/env node
// Builds the gateway into dist/gateway/ (esbuild: our TypeScript bundled into ESM, one chunk per
// lazily loaded command; npm packages stay in node_modules, imported as they are, so
// better-sqlite3's native binary and pino's transport worker (pino-pretty) load as in development).
// `npm ci` / `npm install` run it through "prepare", and so does `npm pack`.
//   node scripts/build-gateway.mjs [--outdir DIR]
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = path.resolve(values.outdir ?? path.join(root, 'dist', 'gateway'));

// Chunks of an earlier build would stay beside the new ones: start empty.
rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'gateway/src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.6',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  // .mjs: ESM whatever package.json around it says.
  outExtension: { '.js': '.mjs' },
  // Readable stack traces in the gateway's log without source maps: not minified.
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
});
// The admin console's client files (plain JS and CSS, served as they are) go beside the chunks:
// gateway/src/http/admin/console-routes.ts looks for them there in the build.
cpSync(path.join(root, 'gateway/src/http/admin/static'), path.join(outdir, 'admin-static'), { recursive: true });
console.log(`built ${path.relative(root, outdir) || outdir}/cli.mjs in ${Math.round(performance.now() - started)} ms`);
