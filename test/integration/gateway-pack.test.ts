// The gateway as a service (issue 15): `npm pack` makes a package that `npm install -g` into an
// empty prefix turns into a working herald-gateway — packed, installed, `serve --demo` asked
// /api/v1/health, stopped with SIGTERM. The packages come from npm's cache (`npm ci` filled it;
// --prefer-offline asks the registry only for what is missing).
//
// better-sqlite3's native binary: its install script (prebuild-install) first looks for a local
// prebuild, then downloads one from GitHub, then compiles SQLite (minutes). This machine has no
// GitHub, and compiling would make this test slow, so it gets the local prebuild: a tarball of the
// binary `npm ci` built for the same better-sqlite3 version and Node ABI, named as
// prebuild-install names it, in the folder npm_config_better_sqlite3_local_prebuilds names.
// An admin's server with internet downloads the same prebuilt file from GitHub (README).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveDemo } from '../fixtures/serve-demo.ts';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const dir = mkdtempSync(path.join(tmpdir(), 'herald-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** better-sqlite3's binary from this checkout, as prebuild-install's local prebuild for its version and Node ABI. */
async function localPrebuild(): Promise<string> {
  const sqlite = path.join(root, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string };
  assert.ok(existsSync(path.join(sqlite, 'build', 'Release', 'better_sqlite3.node')), 'better-sqlite3 has no native binary: run npm ci');
  const prebuilds = path.join(dir, 'prebuilds');
  mkdirSync(prebuilds);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await exec('tar', ['-czf', path.join(prebuilds, name), '-C', sqlite, 'build/Release/better_sqlite3.node']);
  return prebuilds;
}

test('npm pack → npm install -g --prefix TMP → TMP/bin/herald-gateway serve --demo answers', { timeout: 10 * 60_000 }, async (t) => {
  assert.ok(existsSync(path.join(root, 'dist', 'gateway', 'cli.mjs')), 'no build to pack: run `npm run build`');
  const started = performance.now();
  // --ignore-scripts: the build is there already; "prepare" would rebuild dist/ under the other
  // tests that run it at the same time (`npm pack` alone runs it, and packs a fresh build).
  const packed = await exec(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root });
  const [pack] = JSON.parse(packed.stdout) as PackResult[];
  const files = pack!.files.map((f) => f.path).sort();
  // Only what the gateway needs at run time, the README and LICENSE, and the systemd unit and nginx config.
  const strays = files.filter((f) => !['package.json', 'README.md', 'LICENSE', 'bin/herald-gateway.mjs'].includes(f) && !f.startsWith('dist/gateway/') && !f.startsWith('deploy/'));
  assert.deepEqual(strays, []);
  for (const f of ['LICENSE', 'README.md', 'bin/herald-gateway.mjs', 'dist/gateway/cli.mjs', 'deploy/herald-gateway.service']) assert.ok(files.includes(f), `${f} is not in the package`);
  // npm packs package.json's "main" whatever "files" says: once it named the desktop bundle, which
  // came along whenever `npm run desktop:build` had run before (so the list above passed or not by test order).
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string };
  assert.equal(manifest.main, undefined, 'package.json names a "main": npm would pack it into the gateway');
  t.diagnostic(`${pack!.filename}: ${pack!.size} bytes packed, ${pack!.unpackedSize} unpacked, ${files.length} files`);

  const prefix = path.join(dir, 'prefix');
  await exec(
    npm,
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--allow-scripts=better-sqlite3', path.join(dir, pack!.filename)],
    { cwd: dir, env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: await localPrebuild() } },
  );
  const installed = path.join(prefix, 'bin', 'herald-gateway');
  assert.ok(existsSync(installed), `npm install -g made no ${installed}`);
  // Nothing of the development tools came along (tsx compiles at run time; the build needs none).
  assert.ok(!existsSync(path.join(prefix, 'lib', 'node_modules', 'herald', 'node_modules', 'tsx')), 'tsx was installed');

  const r = await serveDemo(installed, [], { HERALD_GATEWAY_FROM_SOURCE: undefined });
  assert.equal(r.health.status, 200, r.output);
  assert.equal(r.health.json.ok, true);
  assert.equal(r.consoleScript.status, 200, 'the installed gateway serves the admin console\'s script');
  assert.equal(r.code, 0, r.output);
  t.diagnostic(`pack + install + serve: ${Math.round((performance.now() - started) / 1000)} s`);
});
