// Which build the download page serves for which computer: names as electron-builder.yml makes
// them, the newest version, a stampable archive before an installer, and the platform a browser
// says it runs on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildFor, classifyBuild, listBuilds, platformById, platformFromBrowser } from './build-catalog.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-catalog-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('build names: what electron-builder writes is recognised; anything else is ignored', () => {
  assert.deepEqual(classifyBuild('Herald-0.1.0-linux-x64.tar.gz'), { name: 'Herald-0.1.0-linux-x64.tar.gz', version: '0.1.0', os: 'linux', arch: 'x64', stampable: 'tar.gz', ext: 'tar.gz' });
  assert.equal(classifyBuild('Herald-0.1.0-linux-amd64.deb')?.arch, 'x64');
  assert.equal(classifyBuild('Herald-0.1.0-linux-x86_64.AppImage')?.stampable, undefined);
  assert.equal(classifyBuild('Herald-1.2.0-beta.3-mac-universal.zip')?.arch, 'universal');
  assert.equal(classifyBuild('Herald-0.1.0-win-arm64.exe')?.os, 'win');
  for (const bad of ['Herald Setup 0.1.0.exe', 'Herald-0.1.0-linux-x64.tar.xz', 'notes.txt', 'Herald-0.1-linux-x64.zip', 'Herald-0.1.0-solaris-x64.zip']) assert.equal(classifyBuild(bad), undefined, bad);
});

test('per platform: the newest version; at one version a zip/tar.gz before an installer; universal Macs serve both', () => {
  const dir = path.join(root, 'builds');
  mkdirSync(dir);
  const files = ['Herald-0.9.0-linux-x64.tar.gz', 'Herald-0.10.0-linux-x64.AppImage', 'Herald-0.10.0-linux-x64.tar.gz', 'Herald-0.10.0-win-x64.exe', 'Herald-1.0.0-beta.1-win-x64.zip', 'Herald-1.0.0-mac-universal.dmg', 'README.txt'];
  for (const f of files) writeFileSync(path.join(dir, f), f);
  // Their builds' channel files vouch for the AppImage and the dmg (content not checkable).
  channelFile(dir, 'latest-linux.yml', ['Herald-0.10.0-linux-x64.AppImage']);
  channelFile(dir, 'latest-mac.yml', ['Herald-1.0.0-mac-universal.dmg']);
  mkdirSync(path.join(dir, 'Herald-0.10.0-linux-arm64.zip')); // a folder, not a build
  const builds = listBuilds(dir);
  assert.equal(builds.length, 6);
  const pick = (id: string) => buildFor(builds, platformById(id)!)?.name;
  assert.equal(pick('linux-x64'), 'Herald-0.10.0-linux-x64.tar.gz', '0.10 > 0.9 (numeric), and the archive before the AppImage');
  assert.equal(pick('win-x64'), 'Herald-1.0.0-beta.1-win-x64.zip');
  assert.equal(pick('mac-arm64'), 'Herald-1.0.0-mac-universal.dmg');
  assert.equal(pick('mac-x64'), 'Herald-1.0.0-mac-universal.dmg');
  assert.equal(pick('linux-arm64'), undefined);
  writeFileSync(path.join(dir, 'Herald-1.0.0-win-x64.exe'), 'final');
  assert.equal(buildFor(listBuilds(dir), platformById('win-x64')!)?.name, 'Herald-1.0.0-win-x64.exe', '1.0.0 is newer than 1.0.0-beta.1');
  writeFileSync(path.join(dir, 'Herald-1.0.0-win-x64.zip'), 'final zip');
  const old = new Date(Date.now() - 60_000);
  utimesSync(path.join(dir, 'Herald-1.0.0-win-x64.zip'), old, old);
  assert.equal(buildFor(listBuilds(dir), platformById('win-x64')!)?.name, 'Herald-1.0.0-win-x64.zip', 'stampable wins at the same version, even if older');
  assert.deepEqual(listBuilds(path.join(root, 'missing')), []);
});

test('the browser’s platform: client hints first, then the User-Agent', () => {
  const cases: [string, { platform?: string; arch?: string }, string | undefined][] = [
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/156.0.0.0', {}, 'win-x64'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64)', { platform: '"Windows"', arch: '"arm"' }, 'win-arm64'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15', {}, 'mac-arm64'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)', { platform: '"macOS"', arch: '"x86"' }, 'mac-x64'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', {}, 'linux-x64'],
    ['Mozilla/5.0 (X11; Linux aarch64) Chrome/156', {}, 'linux-arm64'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/156 Mobile', {}, undefined],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)', {}, undefined],
    ['curl/8.5.0', {}, undefined],
  ];
  for (const [ua, hints, want] of cases) assert.equal(platformFromBrowser(ua, hints), want, ua);
});

/** An electron-builder channel file listing `names` (in `dir`) with their base64 SHA-512. */
function channelFile(dir: string, yml: string, names: string[], sha = (n: string) => createHash('sha512').update(readFileSync(path.join(dir, n))).digest('base64')): void {
  const lines = ['version: 1.0.0', 'files:'];
  for (const n of names) lines.push(`  - url: ${encodeURIComponent(n)}`, `    sha512: ${sha(n)}`, '    size: 1');
  lines.push(`path: ${names[0]}`, `sha512: '${sha(names[0]!)}'`, "releaseDate: '2026-01-01T00:00:00.000Z'");
  writeFileSync(path.join(dir, yml), `${lines.join('\n')}\n`);
}

test('a dmg, AppImage, deb… (content not checkable) is offered only when its build’s channel file lists it with its SHA-512; else skipped, saying why', () => {
  const dir = path.join(root, 'vouched');
  mkdirSync(dir);
  const put = (n: string, body: string) => writeFileSync(path.join(dir, n), body);
  put('Herald-1.0.0-mac-arm64.dmg', 'a Herald dmg');
  put('Herald-1.0.0-mac-x64.dmg', 'some other program, renamed');
  put('Herald-1.0.0-linux-x64.AppImage', 'a Herald AppImage');
  put('Herald-1.0.0-linux-x64.deb', 'a deb nobody vouches for');
  put('Herald-1.0.0-linux-arm64.AppImage', 'changed after its build');
  channelFile(dir, 'latest-mac.yml', ['Herald-1.0.0-mac-arm64.dmg']);
  channelFile(dir, 'latest-linux.yml', ['Herald-1.0.0-linux-x64.AppImage']);
  channelFile(dir, 'latest-linux-arm64.yml', ['Herald-1.0.0-linux-arm64.AppImage'], () => createHash('sha512').update('as built').digest('base64'));
  const skipped: [string, string][] = [];
  const names = listBuilds(dir, (n, why) => skipped.push([n, why])).map((b) => b.name).sort();
  assert.deepEqual(names, ['Herald-1.0.0-linux-x64.AppImage', 'Herald-1.0.0-mac-arm64.dmg']);
  const why = new Map(skipped);
  assert.deepEqual([...why.keys()].sort(), ['Herald-1.0.0-linux-arm64.AppImage', 'Herald-1.0.0-linux-x64.deb', 'Herald-1.0.0-mac-x64.dmg']);
  assert.match(why.get('Herald-1.0.0-mac-x64.dmg')!, /a \.dmg cannot be checked for Herald's marker .* no channel file from its build \(latest\*\.yml\) lists it/);
  assert.match(why.get('Herald-1.0.0-linux-arm64.AppImage')!, /its SHA-512 is not the one latest-linux-arm64\.yml lists for it/);
  assert.equal(buildFor(listBuilds(dir), platformById('mac-x64')!), undefined, 'the unvouched dmg is not served');
  // The top-level path/sha512 pair vouches too (older channel files have only that).
  writeFileSync(path.join(dir, 'latest-mac.yml'), `version: 1.0.0\npath: Herald-1.0.0-mac-x64.dmg\nsha512: ${createHash('sha512').update('some other program, renamed').digest('base64')}\n`);
  assert.ok(listBuilds(dir).some((b) => b.name === 'Herald-1.0.0-mac-x64.dmg'));
  // A file changed after it was vouched for is skipped again (hashes are remembered per file identity, not per name).
  put('Herald-1.0.0-mac-x64.dmg', 'tampered with, after');
  utimesSync(path.join(dir, 'Herald-1.0.0-mac-x64.dmg'), new Date(), new Date(Date.now() + 5000));
  assert.ok(!listBuilds(dir).some((b) => b.name === 'Herald-1.0.0-mac-x64.dmg'));
});
