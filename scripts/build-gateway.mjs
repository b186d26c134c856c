#!/usr/bin/env node
// Builds the gateway into dist/gateway/ (esbuild: our TypeScript bundled into ESM, one chunk per
// lazily loaded command; npm packages but zod stay in node_modules, imported as they are, so
// better-sqlite3's native binary and pino's transport worker (pino-pretty) load as in development).
// `npm ci` / `npm install` run it through "prepare", and so does `npm pack`.
//   node scripts/build-gateway.mjs [--outdir DIR]
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = path.resolve(values.outdir ?? path.join(root, 'dist', 'gateway'));

// npm packages stay in node_modules, imported as they are, except zod, bundled without its
// translated error messages: `import { z } from 'zod'` loads zod's 63 locales (z.locales, never
// used here; English stays, config(en()) imports it directly), and every module loaded at start
// stays resident (issue 12: RSS at rest). Heap once loaded, one schema built, node 20.20: 3.37 MiB
// from node_modules, 2.14 MiB bundled without the locales. The tests run the sources with zod
// whole: the same schemas and English messages.
const packagesExternalButZod = {
  name: 'packages-external-but-zod',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => (a.path === 'zod' || a.path.startsWith('zod/') ? undefined : { path: a.path, external: true }));
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (a) => (/[\\/]node_modules[\\/]zod[\\/]/.test(a.importer) ? { path: a.path, namespace: 'zod-no-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-no-locales' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

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
  plugins: [packagesExternalButZod],
  chunkNames: 'chunks/[name]-[hash]',
  // .mjs: ESM whatever package.json around it says.
  outExtension: { '.js': '.mjs' },
  // Readable stack traces in the gateway's log without source maps: not minified.
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
});
// ASCII only: V8 keeps every module's source text in the heap for as long as the gateway runs,
// and one character past Latin-1 (an em dash in a comment or a template literal, which esbuild
// leaves as they are) makes it two bytes a character: the main chunk alone cost 1 MiB instead of
// 0.5 (issue 12: RSS at rest). \uXXXX means the same character in a comment, a template literal
// (the code reads template strings cooked, never raw), a regular expression or an identifier.
for (const entry of readdirSync(outdir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.mjs')) continue;
  const file = path.join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) continue;
  // After a backslash the escape would change meaning (`\—` is an escaped dash): refuse rather than guess.
  if (/\\[^\x00-\x7f]/.test(text)) throw new Error(`${file}: a backslash before a non-ASCII character; write it as \\uXXXX in the source`);
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
// The admin console's client files (plain JS and CSS, served as they are) go beside the chunks:
// gateway/src/http/admin/console-routes.ts looks for them there in the build.
cpSync(path.join(root, 'gateway/src/http/admin/static'), path.join(outdir, 'admin-static'), { recursive: true });
console.log(`built ${path.relative(root, outdir) || outdir}/cli.mjs in ${Math.round(performance.now() - started)} ms`);
