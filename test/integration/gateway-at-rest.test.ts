// What `serve --demo` has loaded once it listens (issue 12: RSS at rest ≤ 70 MiB). Every module
// loaded at start stays resident, so the ones only some requests need are imported on first use:
// qrcode (the admin console's enrollment and two-factor pages), otpauth (a two-factor sign-in) and
// libmime with its charset tables (the first mail header or invitation read), ical.js (the first
// calendar object or invitation read), resedit with pe-library (the first Windows installer read), ws (the first WebSocket), pg (a cluster's archive on PostgreSQL).
// The modules are logged by a preloaded hook (test/fixtures/module-log.mjs), ES and CommonJS alike.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveDemo } from '../fixtures/serve-demo.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'herald-at-rest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Loaded only when a request needs them, never at start. */
const ON_FIRST_USE = ['qrcode', 'otpauth', 'libmime', 'ical.js', 'resedit', 'pe-library', 'ws', 'pg'];

test('serve --demo listens without having loaded the modules only some requests need', async () => {
  const log = path.join(dir, 'modules.log');
  const r = await serveDemo(process.execPath, ['--import', path.join(root, 'test', 'fixtures', 'module-log.mjs'), path.join(root, 'bin', 'herald-gateway.mjs')], {
    HERALD_TEST_MODULE_LOG: log,
  });
  assert.equal(r.health.status, 200, r.output);
  const loaded = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
  const packages = new Set([...loaded].map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => !!p));
  // The log sees what the gateway does load: ES modules (koa) and CommonJS ones required from them
  // (better-sqlite3's own files).
  assert.ok(packages.has('koa'), `koa is not in the module log: ${[...packages].join(', ')}`);
  assert.ok(
    [...loaded].some((u) => u.includes('/node_modules/better-sqlite3/lib/')),
    'no CommonJS file of better-sqlite3 in the module log',
  );
  for (const p of ON_FIRST_USE) assert.ok(!packages.has(p), `${p} is loaded at start: import it where it is used (loaded: ${[...packages].sort().join(', ')})`);
});
