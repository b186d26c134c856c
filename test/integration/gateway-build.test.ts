// The built gateway (issue 12): bin/herald-gateway.mjs runs dist/gateway/cli.mjs — made by
// `npm run build`, which `npm ci` runs through "prepare" — so nothing is compiled at run time.
// Every other test runs the sources (scripts/test.mjs sets HERALD_GATEWAY_FROM_SOURCE=1); this
// one runs the build, as `npx herald-gateway` and `npm start` do, and fails when it is missing
// or broken. Without a build and without tsx the bin says what to do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveDemo } from '../fixtures/serve-demo.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const built = path.join(root, 'dist', 'gateway', 'cli.mjs');
/** The environment npx and npm start give the bin: not the tests' "run the sources". */
const BUILT = { HERALD_GATEWAY_FROM_SOURCE: undefined };
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the bin with nothing beside it but `dist` (when given): no sources, no tsx to fall back to. */
function lonelyBin(withDist: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bin-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(bin, path.join(dir, 'bin', 'herald-gateway.mjs'));
  // Node follows the link, so the build's imports (koa, better-sqlite3, ...) resolve in the repo's node_modules.
  if (withDist) symlinkSync(path.join(root, 'dist'), path.join(dir, 'dist'));
  return path.join(dir, 'bin', 'herald-gateway.mjs');
}

function run(file: string, args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the build exists (npm ci / npm run build made dist/gateway/cli.mjs)', () => {
  assert.ok(existsSync(built), `${built} is missing: run \`npm run build\``);
});

test('herald-gateway --help runs the build, not the sources through tsx', async () => {
  const r = await run(bin, ['--help'], BUILT);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: herald-gateway <command>/);
  // The bin notes on stderr when it falls back to the sources.
  assert.equal(r.stderr, '');
});

test('the build runs where neither the sources nor tsx are', async () => {
  const r = await run(lonelyBin(true), ['--help'], BUILT);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: herald-gateway <command>/);
  // The bin notes on stderr when it falls back to the sources.
  assert.equal(r.stderr, '');
});

test('the built gateway serves the demo, answers /api/v1/health and stops on SIGTERM with exit 0', async () => {
  const r = await serveDemo(process.execPath, [lonelyBin(true)], BUILT);
  assert.equal(r.health.status, 200, r.output);
  assert.equal(r.health.json.ok, true);
  assert.equal(r.code, 0, r.output);
  assert.doesNotMatch(r.output, /TypeScript sources/);
  assert.match(r.output, /shutdown complete/);
  // The console's client files are not TypeScript: the build must carry them (they once stayed behind).
  assert.deepEqual({ status: r.consoleScript.status, type: r.consoleScript.type }, { status: 200, type: 'text/javascript; charset=utf-8' });
  assert.ok(r.consoleScript.bytes > 100, `admin.js is ${r.consoleScript.bytes} bytes`);
});

test('the build is ASCII only: module sources stay one byte a character in V8\'s heap (issue 12: RSS at rest)', async () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'herald-build-'));
  dirs.push(outdir);
  const r = await run(path.join(root, 'scripts', 'build-gateway.mjs'), ['--outdir', outdir]);
  assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
  assert.ok(files.length > 1, `no chunks in ${outdir}`);
  for (const f of files) {
    const text = readFileSync(path.join(outdir, f), 'utf8');
    const at = text.search(/[^\x00-\x7f]/);
    assert.equal(at, -1, `${f}: non-ASCII at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
  }
  // The sources do have such characters (the admin console's titles: "page · Herald"): escaped, not dropped.
  assert.ok(files.some((f) => readFileSync(path.join(outdir, f), 'utf8').includes('\\u00b7')));
});

test("zod is bundled without its other languages' messages: not imported from node_modules, English kept (issue 12: RSS at rest)", () => {
  const files = readdirSync(path.dirname(built), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
  const texts = files.map((f) => readFileSync(path.join(path.dirname(built), f), 'utf8'));
  assert.ok(!texts.some((t) => /from "zod(\/[^"]*)?"/.test(t)), 'the build imports zod from node_modules (and with it every locale)');
  // de.js's "Ungültige Eingabe" (ASCII-escaped by the build), en.js's "Invalid input".
  assert.ok(!texts.some((t) => t.includes('Ung\\u00FCltige Eingabe') || t.includes('Ung\\u00fcltige Eingabe')), "zod's German messages are in the build");
  assert.ok(texts.some((t) => t.includes('Invalid input')), "zod's English messages are not in the build");
});

test('without a build and without tsx, the bin exits 1 naming `npm run build`', async () => {
  const r = await run(lonelyBin(false), ['--help'], BUILT);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /built gateway \(.*dist\/gateway\/cli\.mjs\) is missing.*run `npm run build`/);
  assert.equal(r.stdout, '');
});
