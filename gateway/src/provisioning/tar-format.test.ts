// The tar reader and writer against GNU tar itself: long names as GNU writes them (././@LongLink)
// and as pax writes them (path= records), the ustar prefix split for our own long paths, and
// damaged headers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArtifactError } from './app-resources.ts';
import { BLOCK, createTarNameReader, tarFileEntry } from './tar-format.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-tar-'));
after(() => rmSync(root, { recursive: true, force: true }));
const long = `${'very-long-folder-name-'.repeat(6)}x/${'another-long-segment-'.repeat(4)}y/resources/app.asar`;

function namesOf(bytes: Buffer, chunk = 700): string[] {
  const r = createTarNameReader();
  for (let i = 0; i < bytes.length; i += chunk) r.write(bytes.subarray(i, i + chunk)); // odd chunk sizes: headers split across writes
  return r.end();
}

for (const format of ['gnu', 'pax', 'ustar'] as const) {
  test(`names from GNU tar --format=${format}, long ones included (ustar: up to its 255 bytes)`, () => {
    const dir = mkdtempSync(path.join(root, `${format}-`));
    const name = format === 'ustar' ? `${'a'.repeat(90)}/${'b'.repeat(88)}/app.asar` : long;
    mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
    writeFileSync(path.join(dir, name), Buffer.alloc(1500, 1));
    writeFileSync(path.join(dir, 'short.txt'), 'hi');
    const tarFile = path.join(root, `${format}.tar`);
    const r = spawnSync('tar', [`--format=${format}`, '-cf', tarFile, '-C', dir, 'short.txt', name.split('/')[0]!]);
    assert.equal(r.status, 0, String(r.stderr));
    const names = namesOf(readFileSync(tarFile));
    assert.ok(names.includes(name), `${format}: ${names.join(' | ')}`);
    assert.ok(names.includes('short.txt'));
  });
}

test('our header: a long path goes into the ustar prefix; GNU tar lists and extracts it with its content', () => {
  const name = `${'p'.repeat(130)}/resources/provision.json`;
  const data = Buffer.from('{"x":1}\n');
  const entry = tarFileEntry(name, data, new Date('2026-01-02T03:04:05Z'));
  assert.equal(entry.length % BLOCK, 0);
  const file = path.join(root, 'ours.tar');
  writeFileSync(file, Buffer.concat([entry, Buffer.alloc(2 * BLOCK)]));
  const listed = spawnSync('tar', ['-tvf', file], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^-rw-r--r-- root\/root\s+8 2026-01-02 \d\d:04 p{130}\/resources\/provision\.json$/m);
  assert.equal(spawnSync('tar', ['-xOf', file, name], { encoding: 'utf8' }).stdout, '{"x":1}\n');
  assert.deepEqual(namesOf(readFileSync(file)), [name]);
  assert.throws(() => tarFileEntry(`${'q'.repeat(300)}/x`, data, new Date()), /path too long for a ustar header/);
});

test('damaged archives are refused with where and why', () => {
  const good = Buffer.concat([tarFileEntry('a/resources/app.asar', Buffer.alloc(10), new Date()), Buffer.alloc(2 * BLOCK)]);
  const bad = Buffer.from(good);
  bad[10] = bad[10]! ^ 0xff;
  assert.throws(() => namesOf(bad), (e: Error) => e instanceof ArtifactError && /bad tar header checksum at byte 0/.test(e.message));
  assert.throws(() => namesOf(good.subarray(0, BLOCK * 2)), /the tar archive ends early/);
  const lone = Buffer.concat([good.subarray(0, 2 * BLOCK), Buffer.alloc(BLOCK), good.subarray(0, 2 * BLOCK), Buffer.alloc(2 * BLOCK)]);
  assert.throws(() => namesOf(lone), /a lone zero block before byte/);
});
