// The update feed's choices (which builds per channel file and channel) and the hash cache.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listBuilds } from './build-catalog.ts';
import { compareVersions, computeFeed, createFileHasher, FEED_FILES, feedBuilds } from './update-feed.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-feed-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('versions: numeric parts as numbers, a release after its pre-releases', () => {
  assert.equal(compareVersions('1.10.0', '1.9.0'), 1);
  assert.equal(compareVersions('1.0.0', '1.0.0-beta.2'), 1);
  assert.equal(compareVersions('1.0.0-beta.2', '1.0.0-beta.10'), -1);
  assert.equal(compareVersions('2.0.0', '2.0.0'), 0);
});

test('per channel file: its kind and arch, the newest version only, stable without pre-releases', () => {
  const dir = path.join(root, 'kinds');
  mkdirSync(dir);
  for (const f of ['Herald-1.9.0-linux-x64.AppImage', 'Herald-1.10.0-linux-x64.AppImage', 'Herald-1.10.0-linux-arm64.AppImage', 'Herald-1.10.0-linux-x64.tar.gz', 'Herald-2.0.0-rc.1-linux-x64.AppImage', 'Herald-1.10.0-mac-universal.zip', 'Herald-1.10.0-mac-universal.dmg'])
    writeFileSync(path.join(dir, f), f);
  // Their builds' channel files vouch for the AppImages (build-catalog.ts: content not checkable).
  const vouch = (yml: string, names: string[]) =>
    writeFileSync(path.join(dir, yml), names.map((n) => `- url: ${n}\n  sha512: ${createHash('sha512').update(n).digest('base64')}\n`).join(''));
  vouch('latest-linux.yml', ['Herald-1.9.0-linux-x64.AppImage', 'Herald-1.10.0-linux-x64.AppImage', 'Herald-2.0.0-rc.1-linux-x64.AppImage']);
  vouch('latest-linux-arm64.yml', ['Herald-1.10.0-linux-arm64.AppImage']);
  const builds = listBuilds(dir);
  const names = (file: string, channel: 'stable' | 'beta' = 'stable') => feedBuilds(builds, FEED_FILES[file]!, channel).map((b) => b.name);
  assert.deepEqual(names('latest-linux.yml'), ['Herald-1.10.0-linux-x64.AppImage']);
  assert.deepEqual(names('latest-linux.yml', 'beta'), ['Herald-2.0.0-rc.1-linux-x64.AppImage']);
  assert.deepEqual(names('latest-linux-arm64.yml'), ['Herald-1.10.0-linux-arm64.AppImage']);
  assert.deepEqual(names('latest-mac.yml'), ['Herald-1.10.0-mac-universal.zip']);
  assert.deepEqual(names('latest.yml'), []);
});

test('hashes: base64 SHA-512 of the whole file, read once per file identity, again after a change', async () => {
  const dir = path.join(root, 'hash');
  mkdirSync(dir);
  const file = path.join(dir, 'Herald-1.0.0-win-x64.exe');
  const a = Buffer.alloc(5_000_000, 7);
  writeFileSync(file, a);
  const hasher = createFileHasher();
  const feed = await computeFeed(listBuilds(dir), FEED_FILES['latest.yml']!, 'stable', hasher);
  assert.equal(feed?.files[0]?.sha512, createHash('sha512').update(a).digest('base64'));
  assert.match(feed!.yaml, /^version: "1\.0\.0"\nfiles:\n {2}- url: "Herald-1\.0\.0-win-x64\.exe"\n {4}sha512: "[A-Za-z0-9+/=]{88}"\n {4}size: 5000000\npath: "Herald-1\.0\.0-win-x64\.exe"\nsha512: "[^"]+"\nreleaseDate: "[^"]+"\n$/);
  await Promise.all([1, 2, 3].map(() => computeFeed(listBuilds(dir), FEED_FILES['latest.yml']!, 'stable', hasher)));
  assert.equal(hasher.reads, 1, 'the same file is hashed once, also by concurrent requests');
  const b = Buffer.from(a);
  b[0] = 8;
  writeFileSync(file, b);
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later);
  const again = await computeFeed(listBuilds(dir), FEED_FILES['latest.yml']!, 'stable', hasher);
  assert.equal(hasher.reads, 2);
  assert.equal(again?.files[0]?.sha512, createHash('sha512').update(b).digest('base64'));
});
