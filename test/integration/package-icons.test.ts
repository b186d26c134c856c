// The committed icons (scripts/packaging/icons.ts, from build/icon.svg): every file and size each
// platform needs, in containers that parse (ICO directory, ICNS elements, PNG headers), macOS
// template tray images that are black + alpha only, and made from the current source image.
// icotool (Debian's icoutils) reads the ICO as Windows tools would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ICNS_TYPES, ICO_SIZES, icnsOf, icoOf, LINUX_SIZES, pngSize, readIcns, readIco, REPO, sourceHash, STAMP, TRAY } from '../../scripts/packaging/icons.ts';

// pngjs (a dependency of qrcode) decodes the pixels; typed here for what is used.
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(b: Buffer): { width: number; height: number; data: Buffer } } } };
const file = (rel: string) => readFileSync(path.join(REPO, rel));

test('build/icon.ico holds PNG images of 16–256 px, each the size its directory entry says', () => {
  const entries = readIco(file('build/icon.ico'));
  assert.deepEqual(entries.map((e) => e.width), [...ICO_SIZES]);
  for (const e of entries) assert.deepEqual(pngSize(e.png), { width: e.width, height: e.height });
});

test('icoutils (a reader nobody here wrote) lists the same seven 32-bit images in build/icon.ico', () => {
  const r = spawnSync('icotool', ['-l', path.join(REPO, 'build/icon.ico')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr || r.error?.message);
  const listed = [...r.stdout.matchAll(/--width=(\d+) --height=(\d+) --bit-depth=32/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(listed, ICO_SIZES.map((s) => [s, s]));
});

test('build/icon.icns holds every macOS size, 16 to 1024 (@2x included), as PNG elements', () => {
  const elements = readIcns(file('build/icon.icns'));
  assert.deepEqual(elements.map((e) => e.type), ICNS_TYPES.map(([t]) => t));
  for (const [i, [, size]] of ICNS_TYPES.entries()) assert.deepEqual(pngSize(elements[i]!.data), { width: size, height: size });
});

test('Linux icons build/icons/NxN.png and the tray images exist at their sizes; template images are black with alpha', () => {
  for (const s of LINUX_SIZES) assert.deepEqual(pngSize(file(`build/icons/${s}x${s}.png`)), { width: s, height: s }, `${s}x${s}`);
  for (const [name, [size, look]] of Object.entries(TRAY)) {
    const img = PNG.sync.read(file(`build/tray/${name}`));
    assert.deepEqual([img.width, img.height], [size, size], name);
    let opaque = 0;
    let coloured = 0;
    for (let i = 0; i < img.data.length; i += 4) {
      if (img.data[i + 3]! > 0) opaque++;
      if (img.data[i + 3]! > 0 && (img.data[i]! > 8 || img.data[i + 1]! > 8 || img.data[i + 2]! > 8)) coloured++;
    }
    assert.ok(opaque > size, `${name} draws something`);
    assert.ok(opaque < size * size, `${name} has transparent pixels`);
    if (look === 'template') assert.equal(coloured, 0, `${name}: a macOS template image is black + alpha only`);
    else assert.ok(coloured > 0, `${name} is the coloured icon`);
  }
});

test('the icons were made from the current build/icon.svg (run npm run icons after changing it)', () => {
  assert.equal(file(STAMP).toString().split(/\s/)[0], sourceHash());
});

test('the ICO and ICNS writers round-trip, and their readers refuse other files', () => {
  const png = file('build/icons/16x16.png');
  const big = file('build/icons/256x256.png');
  assert.deepEqual(readIco(icoOf([png, big])).map((e) => [e.width, e.png.equals(e.width === 16 ? png : big)]), [[16, true], [256, true]]);
  assert.deepEqual(readIcns(icnsOf([['icp4', png]])).map((e) => [e.type, e.data.equals(png)]), [['icp4', true]]);
  assert.throws(() => readIcns(png), /not an icns file/);
  assert.throws(() => readIco(Buffer.from([0, 0, 2, 0, 0, 0])), /not an icon file/);
  assert.throws(() => pngSize(Buffer.from('GIF89a................')), /not a PNG/);
});
