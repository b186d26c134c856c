// electron-builder.yml, checked as CI checks it (Electron cannot be downloaded here): the real file
// passes electron-builder's own schema and Herald's checks; broken copies fail, each naming what
// is wrong — through the function and through `npm run check:packaging`'s script. And the app
// staging of `npm run dist`: a package.json without dependencies, a bundle that must not need
// node_modules (a gateway package in it is named), the public key set shipped, never a private one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSigningKey } from '../../gateway/src/provisioning/signing-key.ts';
import { checkPackagingConfig, gatewayOnlyPackages, REPO } from '../../scripts/packaging/check-config.ts';
import { buildDesktop } from '../../desktop/tools/build-desktop.ts';
import { BUILD_MARKER_FILE } from '../../gateway/src/provisioning/build-marker.ts';
import { installKeys, MARKER_DIR, stageApp } from '../../scripts/packaging/dist.ts';
import { runtimeImportsOf, runtimePackages } from '../../scripts/packaging/runtime-imports.ts';
import { makeTestBuilds, TEST_BUILD_LABEL } from '../../scripts/packaging/test-build.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-pkgconfig-'));
after(() => rmSync(root, { recursive: true, force: true }));
const real = readFileSync(path.join(REPO, 'electron-builder.yml'), 'utf8');

function variant(name: string, edit: (yml: string) => string): string {
  const text = edit(real);
  assert.notEqual(text, real, `${name}: the edit changed nothing`);
  const file = path.join(root, `${name}.yml`);
  writeFileSync(file, text);
  return file;
}

test('the real electron-builder.yml passes electron-builder’s schema and Herald’s checks', async () => {
  const { config, problems } = await checkPackagingConfig();
  assert.deepEqual(problems, []);
  assert.equal(config.productName, 'Herald');
  assert.equal(config.directories?.app, '.build/app');
});

test('broken copies fail, each with the reason', async () => {
  const cases: [string, (y: string) => string, RegExp][] = [
    ['unknown key (schema)', (y) => y.replace('linux:\n', 'linux:\n  targt: [snap]\n'), /electron-builder rejects it: .*configuration\.linux/],
    ['wrong type (schema)', (y) => y.replace('asar: true', 'asar: "yes please"'), /electron-builder rejects it/],
    ['no Windows zip', (y) => y.replace('    - { target: zip, arch: [x64, arm64] }\n  icon: build/icon.ico', '  icon: build/icon.ico'), /win\.target lacks zip \(has nsis\)/],
    ['no AppImage', (y) => y.replace('    - { target: AppImage, arch: [x64, arm64] }\n', ''), /linux\.target lacks AppImage/],
    ['a target for the host’s architecture only', (y) => y.replace('    - { target: nsis, arch: [x64, arm64] }', '    - nsis'), /win nsis is not built for x64, arm64/],
    ['no arm64 dmg', (y) => y.replace('    - { target: dmg, arch: [x64, arm64] }', '    - { target: dmg, arch: [x64] }'), /mac dmg is not built for arm64/],
    ['a per-machine installer', (y) => y.replace('perMachine: false', 'perMachine: true'), /nsis\.perMachine must be false/],
    ['no signing hook', (y) => y.replace('afterSign: scripts/packaging/after-sign.mjs\n', ''), /afterSign must be scripts\/packaging\/after-sign\.mjs/],
    ['electron-builder’s own notarization', (y) => y.replace('  notarize: false\n', ''), /mac\.notarize must be false/],
    ['no Herald marker in the resources', (y) => y.replace('    filter: [herald-build.json]', '    filter: [other.json]'), /extraResources must ship \.build\/marker\/herald-build\.json/],
    ['no Windows icon', (y) => y.replace('  icon: build/icon.ico\n', ''), /win\.icon must be build\/icon\.ico/],
    ['a missing macOS icon', (y) => y.replace('icon: build/icon.icns', 'icon: build/nothing.icns'), /mac\.icon must be build\/icon\.icns/],
    ['no herald:// protocol', (y) => y.replace('schemes: [herald]', 'schemes: [heraldx]'), /protocols must register the herald:\/\/ scheme/],
    ['no skins', (y) => y.replace('  - from: styles\n    to: styles\n', '  - from: build\n    to: build\n'), /extraResources must copy styles\/ to styles/],
    ['the repository as the app', (y) => y.replace('app: .build/app', 'app: .'), /directories\.app must be the staging folder/],
    ['gateway files in the app', (y) => y.replace('  - desktop/dist/**/*\n', '  - desktop/dist/**/*\n  - gateway/**/*\n'), /files pattern "gateway\/\*\*\/\*" reaches beyond the desktop bundle/],
    ['artifact names the gateway cannot find', (y) => y.replace('artifactName: ${productName}-${version}-${os}-${arch}.${ext}', 'artifactName: ${productName} Setup ${version}.${ext}'), /would be named Herald Setup 0\.1\.0\.zip, which the gateway's build catalog does not recognise/],
    ['a missing NSIS include', (y) => y.replace('include: build/installer.nsh', 'include: build/nowhere.nsh'), /nsis\.include build\/nowhere\.nsh does not exist/],
  ];
  for (const [name, edit, want] of cases) {
    const { problems } = await checkPackagingConfig({ configFile: variant(name.replace(/\W+/g, '-'), edit) });
    assert.ok(problems.some((p) => want.test(p)), `${name}: ${JSON.stringify(problems)}`);
  }
});

test('`npm run check:packaging` (the script CI runs) exits 0 on the real file and 1, listing problems, on a broken one', () => {
  const script = path.join(REPO, 'scripts/packaging/check-config.ts');
  const ok = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /electron-builder\.yml: valid for electron-builder and Herald/);
  const broken = variant('cli-broken', (y) => y.replace('    - { target: zip, arch: [x64, arm64] }\n  icon: build/icon.icns', '  icon: build/icon.icns').replace('schemes: [herald]', 'schemes: [mailto]'));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', script, broken], { cwd: REPO, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /2 problem\(s\):\n {2}- mac\.target lacks zip.*\n {2}- protocols must register/);
});

test('gateway-only packages are told apart from what the desktop uses', () => {
  const only = gatewayOnlyPackages();
  for (const p of ['koa', '@koa/router', 'better-sqlite3', 'imapflow', 'pino']) assert.ok(only.includes(p), p);
  for (const p of ['zod', '@xmpp/client']) assert.ok(!only.includes(p), `${p} is used by the desktop too`);
});

test('a bundle’s run-time imports are found on its syntax tree (static, export-from, dynamic, require, esbuild’s __require); electron and Node’s own are fine', () => {
  const code = `import{z as a}from"zod";import fs from "node:fs";import path from 'path';import{app}from"electron";const k=require("koa");const x=await import('@xmpp/client/lib/x.js');import "./chunk.js";export{b}from"../other.js";export*from"pino";const w=__require("ws");`;
  assert.deepEqual(runtimePackages(code), ['@xmpp/client', 'koa', 'pino', 'ws', 'zod']);
  assert.deepEqual(runtimeImportsOf('const k = require(`koa`)').map((i) => i.kind), ['require']);
  assert.deepEqual(runtimePackages('import{ipcRenderer}from"electron";const o=require("node:os")'), []);
  // Hostile text: import-looking words in strings, templates, comments and regexes are not imports.
  const hostile = [
    'const e = "invalid-from";',
    'const s = (subscription === "from") ? "both" : "none";',
    "const t = `import x from 'koa'`; // require('zod')",
    '/* export * from "pino" */ const r = /from "vite"/;',
    "const q = 'require(\"ws\")' + \"import('better-sqlite3')\";",
  ].join('\n');
  assert.deepEqual(runtimeImportsOf(hostile), []);
  assert.throws(() => runtimeImportsOf('import { from "x"'), /Unexpected token/);
});

test('the REAL desktop bundle (npm run desktop:build) needs nothing from node_modules but ws’s optional helpers', async () => {
  const out = mkdtempSync(path.join(root, 'bundle-'));
  const built = await buildDesktop(out);
  const main = readFileSync(built.main, 'utf8');
  // What fooled the old regex is really in there: `from` inside strings.
  assert.ok(main.includes('"invalid-from"') || main.includes('=== "from"'), 'the bundle has `from` in strings');
  const mainImports = runtimeImportsOf(main);
  assert.deepEqual([...new Set(mainImports.map((i) => i.pkg))].sort(), ['bufferutil', 'utf-8-validate'], 'only ws’s optional native helpers');
  assert.deepEqual(runtimePackages(main), []);
  assert.deepEqual(runtimePackages(readFileSync(built.preload, 'utf8'), 'script'), []);
});

function fakeRepo(bundle: string): string {
  const repo = mkdtempSync(path.join(root, 'repo-'));
  writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'herald', version: '1.2.3', description: 'Herald test', license: 'MIT', dependencies: { koa: '^3', zod: '^4' } }));
  mkdirSync(path.join(repo, 'gateway/src'), { recursive: true });
  writeFileSync(path.join(repo, 'gateway/src/app.ts'), "import Koa from 'koa';\nimport { z } from 'zod';\n");
  mkdirSync(path.join(repo, 'desktop/src'), { recursive: true });
  writeFileSync(path.join(repo, 'desktop/src/core.ts'), "import { z } from 'zod';\n");
  mkdirSync(path.join(repo, 'desktop/dist/renderer'), { recursive: true });
  writeFileSync(path.join(repo, 'desktop/dist/main.mjs'), bundle);
  writeFileSync(path.join(repo, 'desktop/dist/main.mjs.map'), '{}');
  writeFileSync(path.join(repo, 'desktop/dist/preload.cjs'), 'const { contextBridge } = require("electron");');
  writeFileSync(path.join(repo, 'desktop/dist/renderer/index.html'), '<!doctype html>');
  return repo;
}

test('staging: the app’s package.json has no dependencies and the bundle is copied; a bundle that needs node_modules is refused', () => {
  const repo = fakeRepo('import { app } from "electron"; import fs from "node:fs";');
  const { dir, manifest } = stageApp({ repo });
  assert.equal(dir, path.join(repo, '.build/app'));
  assert.deepEqual(manifest.dependencies, {});
  assert.equal(manifest.main, 'desktop/dist/main.mjs');
  assert.equal(manifest.version, '1.2.3');
  assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')), manifest);
  for (const f of ['desktop/dist/main.mjs', 'desktop/dist/preload.cjs', 'desktop/dist/renderer/index.html']) assert.ok(existsSync(path.join(dir, f)), f);
  assert.ok(!existsSync(path.join(dir, 'desktop/dist/main.mjs.map')), 'no source maps in the app');

  const marker = JSON.parse(readFileSync(path.join(repo, MARKER_DIR, BUILD_MARKER_FILE), 'utf8'));
  assert.deepEqual({ ...marker, builtAt: 'x' }, { product: 'org.herald.desktop', productName: 'Herald', version: '1.2.3', builtAt: 'x', testBuild: false });
  const leaky = fakeRepo('import Koa from "koa"; import { z } from "zod";');
  assert.throws(() => stageApp({ repo: leaky }), /main\.mjs loads "koa" at run time \(a gateway package!\): the app ships no node_modules, so bundle it\n.*loads "zod" at run time: /);
  const unbuilt = fakeRepo('');
  rmSync(path.join(unbuilt, 'desktop/dist/preload.cjs'));
  assert.throws(() => stageApp({ repo: unbuilt }), /the desktop bundle is not built \(desktop\/dist\/preload\.cjs missing\)/);
});

test('the gateway’s public key set is shipped; a private key or junk never is', () => {
  const repo = fakeRepo('');
  const key = loadSigningKey(path.join(root, 'gw-data'));
  const target = installKeys(path.join(key.dir, 'provision-keys.json'), repo);
  assert.equal(target, path.join(repo, 'build/provisioning/provision-keys.json'));
  assert.deepEqual(JSON.parse(readFileSync(target, 'utf8')), key.keySet);
  const withPrivate = path.join(root, 'private.json');
  writeFileSync(withPrivate, JSON.stringify({ keys: [{ ...key.publicJwk, d: 'secret' }] }));
  assert.throws(() => installKeys(withPrivate, repo), /contains a private key part/);
  const junk = path.join(root, 'junk.json');
  writeFileSync(junk, '{"keys":[]}');
  assert.throws(() => installKeys(junk, repo), /is not a provision key set/);
});

test('`npm run dist -- --test-build` material: labelled TEST builds the gateway recognises and stamps, which carry no Electron', async () => {
  const repo = fakeRepo('import { app } from "electron";');
  const staged = stageApp({ repo, testBuild: true });
  const out = path.join(repo, 'dist/packages');
  const made = makeTestBuilds({ repo, stageDir: staged.dir, marker: staged.marker });
  assert.deepEqual(made.map((f) => path.basename(f)).sort(), ['linux-arm64.tar.gz', 'linux-x64.tar.gz', 'mac-arm64.zip', 'mac-x64.zip', 'win-arm64.zip', 'win-x64.zip'].map((x) => `Herald-1.2.3-TEST-BUILD-not-runnable-${x}`));
  const { classifyBuild } = await import('../../gateway/src/provisioning/build-catalog.ts');
  const { createStamper } = await import('../../gateway/src/provisioning/stamper.ts');
  for (const f of made) {
    const c = classifyBuild(path.basename(f));
    assert.ok(c, `${f} is recognised by the gateway's catalog`);
    assert.equal(c.version, '1.2.3-TEST-BUILD-not-runnable');
    const listing = f.endsWith('.zip') ? spawnSync('unzip', ['-Z1', f], { encoding: 'utf8' }).stdout : spawnSync('tar', ['-tzf', f], { encoding: 'utf8' }).stdout;
    assert.match(listing, /TEST-BUILD-NOT-RUNNABLE\.txt/);
    assert.match(listing, /resources\/app\/desktop\/dist\/main\.mjs/i);
    assert.doesNotMatch(listing, /(^|\/)(Herald\.exe|herald|MacOS\/Herald)$/m, 'no executable: it cannot run');
    const markerEntry = listing.split('\n').find((l) => l.endsWith(`/${BUILD_MARKER_FILE}`))!;
    const marker = JSON.parse(f.endsWith('.zip') ? spawnSync('unzip', ['-p', f, markerEntry], { encoding: 'utf8' }).stdout : spawnSync('tar', ['-xzOf', f, markerEntry], { encoding: 'utf8' }).stdout);
    assert.equal(marker.testBuild, true);
    assert.ok(marker.note.startsWith(TEST_BUILD_LABEL), marker.note);
    const pkg = await createStamper().stamp(f, Buffer.from('{}'));
    assert.match(pkg.entryName, /resources\/provision\.json$/i);
    await pkg.discard();
  }
  assert.ok(existsSync(out));
});

test('`npm run dist` where Electron cannot be downloaded stops before building, with one sentence saying why and what works here', async () => {
  // A port nothing listens on (just closed).
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const cache = mkdtempSync(path.join(root, 'electron-cache-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'scripts/packaging/dist.ts')], {
    cwd: REPO,
    encoding: 'utf8',
    // A mirror nothing listens on and an empty cache: the same answer on any machine, online or not.
    env: { ...process.env, ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, ELECTRON_CACHE: cache },
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^npm run dist: Electron \d+\.\d+\.\d+ for \w+-\w+ cannot be downloaded \(127\.0\.0\.1:\d+: ECONNREFUSED\), so no app can be built on this machine — run it where Electron can be downloaded \(or set ELECTRON_MIRROR, or put electron-v[\d.]+-\w+-\w+\.zip into .*electron-cache-\w+\); here, `npm run dist -- --test-build` makes labelled TEST builds \(not runnable\) for trying the download page and packaging\.$/);
  assert.doesNotMatch(r.stdout, /staged/, 'nothing was built or staged');
});

test('the afterSign hook signs and notarizes from the standard variables when set, and warns what was skipped when not', () => {
  // The hook is plain JavaScript loaded by electron-builder: run it as electron-builder would, in Node.
  const plan = (platform: string, env: Record<string, string>) => {
    const code = `import { signingPlan } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'scripts/packaging/after-sign.mjs')).href)}; console.log(JSON.stringify(signingPlan(${JSON.stringify(platform)}, ${JSON.stringify(env)})));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { signed: boolean; notarize: boolean; warnings: string[] };
  };
  const apple = { APPLE_ID: 'dev@example.com', APPLE_APP_SPECIFIC_PASSWORD: 'abcd-efgh', APPLE_TEAM_ID: 'TEAM123456' };
  assert.deepEqual(plan('darwin', { CSC_LINK: '/certs/dev.p12', CSC_KEY_PASSWORD: 'x', ...apple }), { signed: true, notarize: true, warnings: [] });
  const unsigned = plan('darwin', {});
  assert.deepEqual([unsigned.signed, unsigned.notarize], [false, false]);
  assert.match(unsigned.warnings.join('\n'), /macOS build NOT signed: set CSC_LINK and CSC_KEY_PASSWORD/);
  const noNotary = plan('darwin', { CSC_LINK: '/certs/dev.p12', APPLE_ID: 'dev@example.com' });
  assert.equal(noNotary.notarize, false);
  assert.match(noNotary.warnings.join('\n'), /macOS build NOT notarized: APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID not set/);
  assert.deepEqual(plan('win32', { WIN_CSC_LINK: 'base64…', WIN_CSC_KEY_PASSWORD: 'x' }), { signed: true, notarize: false, warnings: [] });
  assert.match(plan('win32', {}).warnings.join('\n'), /Windows build NOT signed: set WIN_CSC_LINK and WIN_CSC_KEY_PASSWORD/);
  assert.deepEqual(plan('linux', {}), { signed: false, notarize: false, warnings: [] });
});
