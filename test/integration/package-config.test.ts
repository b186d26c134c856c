// electron-builder.yml, checked as CI checks it (Electron cannot be downloaded here): the real file
// passes electron-builder's own schema and Herald's checks; broken copies fail, each naming what
// is wrong — through the function and through `npm run check:packaging`'s script. And the app
// staging of `npm run dist`: a package.json without dependencies, a bundle that must not need
// node_modules (a gateway package in it is named), the public key set shipped, never a private one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSigningKey } from '../../gateway/src/provisioning/signing-key.ts';
import { checkPackagingConfig, gatewayOnlyPackages, REPO } from '../../scripts/packaging/check-config.ts';
import { installKeys, runtimeImports, stageApp } from '../../scripts/packaging/dist.ts';

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
    ['no Windows zip', (y) => y.replace('target: [nsis, zip]', 'target: [nsis]'), /win\.target lacks zip \(has nsis\)/],
    ['no AppImage', (y) => y.replace('target: [AppImage, deb, tar.gz]', 'target: [deb, tar.gz]'), /linux\.target lacks AppImage/],
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
  const broken = variant('cli-broken', (y) => y.replace('target: [dmg, zip]', 'target: [dmg]').replace('schemes: [herald]', 'schemes: [mailto]'));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', script, broken], { cwd: REPO, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /2 problem\(s\):\n {2}- mac\.target lacks zip.*\n {2}- protocols must register/);
});

test('gateway-only packages are told apart from what the desktop uses', () => {
  const only = gatewayOnlyPackages();
  for (const p of ['koa', '@koa/router', 'better-sqlite3', 'imapflow', 'pino']) assert.ok(only.includes(p), p);
  for (const p of ['zod', '@xmpp/client']) assert.ok(!only.includes(p), `${p} is used by the desktop too`);
});

test('a bundle’s run-time imports are found (static, dynamic, require), electron and Node’s own are fine', () => {
  const code = `import{z as a}from"zod";import fs from "node:fs";import path from 'path';import{app}from"electron";const k=require("koa");const x=await import('@xmpp/client/lib/x.js');import "./chunk.js";export{b}from"../other.js";`;
  assert.deepEqual(runtimeImports(code), ['@xmpp/client', 'koa', 'zod']);
  assert.deepEqual(runtimeImports('import{ipcRenderer}from"electron";const o=require("node:os")'), []);
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
