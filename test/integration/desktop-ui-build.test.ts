// `npm run desktop` builds what Electron runs (Electron itself cannot be downloaded here): the main
// process as one ES module that imports nothing but `electron` and Node's built-ins (so the
// packaged app needs no node_modules, and no gateway package creeps in), the preload as one
// CommonJS file that requires only `electron` (a sandboxed preload can load nothing else), and the
// renderer with its CSP and no inline script.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { execFileSync } from 'node:child_process';
import { buildDesktop } from '../../desktop/tools/build-desktop.ts';

const out = mkdtempSync(path.join(tmpdir(), 'herald-desktop-build-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('the Electron bundles: main imports only electron and Node built-ins; preload requires only electron; the renderer has its CSP', async () => {
  const built = await buildDesktop(out);
  const main = readFileSync(built.main, 'utf8');
  const imports = new Set([...main.matchAll(/^import\s[^;]*?from\s*"([^"]+)";?$/gm), ...main.matchAll(/\bimport\("([^"]+)"\)/g), ...main.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!));
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const foreign = [...imports].filter((m) => m !== 'electron' && !builtins.has(m) && m !== 'bufferutil' && m !== 'utf-8-validate');
  assert.deepEqual(foreign, [], 'nothing outside the bundle but electron and Node');
  assert.ok(imports.has('electron'));
  for (const pkg of ['koa', 'better-sqlite3', 'imapflow', 'pino']) assert.ok(!main.includes(`node_modules/${pkg}/`), `${pkg} is not in the desktop bundle`);

  // Valid JavaScript for Electron's Node (syntax only: electron cannot be loaded here).
  for (const f of [built.main, built.preload]) execFileSync(process.execPath, ['--check', f]);

  const preload = readFileSync(built.preload, 'utf8');
  assert.deepEqual([...new Set([...preload.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))], ['electron']);
  assert.match(preload, /exposeInMainWorld\("herald"/);

  const html = readFileSync(path.join(built.renderer, 'index.html'), 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'/);
  assert.doesNotMatch(html.replace(/<script type="module" crossorigin src="[^"]+"><\/script>/g, ''), /<script/, 'no inline script');
  assert.ok(readdirSync(path.join(built.renderer, 'assets')).some((f) => f.endsWith('.js')));
});
