#!/usr/bin/env node
// herald-gateway: runs the built gateway, dist/gateway/cli.mjs (`npm run build`, which `npm ci`,
// `npm install` and `npm pack` run through "prepare"), so nothing is compiled at run time.
//
// The TypeScript sources run instead, through tsx (a dev tool, not installed with the package),
//   - when HERALD_GATEWAY_FROM_SOURCE=1: scripts/test.mjs sets it, so tests exercise the sources
//     as they are now, not the last build;
//   - in a checkout that has no build (say `npm ci --ignore-scripts`), with a note on stderr.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// Start-up allocates ~15 MiB that lives on (modules, their code): each scavenge finds most of the
// young generation alive and V8 doubles it, up to 2 x 8 MiB of semi-spaces that stay resident until
// V8's memory reducer shrinks them, tens of seconds later at best (issue 12: RSS at rest <= 70 MiB;
// serve --demo measured 16 MiB of new space at 10 s without this, 2 MiB with it). It stays at its
// first size while the gateway starts; `serve` puts V8's default growth (2) back once it listens
// (main.ts), so a busy gateway's young generation grows as before. V8 reads the flag at each growth.
setFlagsFromString('--semi-space-growth-factor=1');

const built = new URL('../dist/gateway/cli.mjs', import.meta.url);
const fromSource = process.env.HERALD_GATEWAY_FROM_SOURCE === '1';
if (!fromSource && existsSync(built)) {
  await import(built.href);
} else {
  const root = fileURLToPath(new URL('..', import.meta.url));
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    console.error(`herald-gateway: the built gateway (${fileURLToPath(built)}) is missing, and tsx (to run the sources) is not installed: run \`npm run build\` in ${root}`);
    process.exit(1);
  }
  if (!fromSource) console.error(`herald-gateway: no built gateway (dist/gateway/cli.mjs): running the TypeScript sources through tsx (slower start); \`npm run build\` in ${root} makes it`);
  tsx.register();
  await import('../gateway/src/cli.ts');
}
