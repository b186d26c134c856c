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
