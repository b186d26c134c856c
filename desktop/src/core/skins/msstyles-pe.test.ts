// Windows XP visual styles (.msstyles DLLs), built here with pe-library (the same library reads
// them): a good theme becomes one skin per colour scheme with its colours, fonts and bitmaps as
// PNG; hostile files are refused with a reason in the catalogue, and nothing but the cache folder
// is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import * as PE from 'pe-library';
import { discoverSkins } from './skin-catalog.ts';
import { importMsstyles, resourceNameOf } from './msstyles-pe.ts';
import { loadThemeSkins } from './msstyles-cache.ts';
import { readPeResources } from './pe-resources.ts';
import { decodeDib } from './bmp-png.ts';

const STYLES = path.resolve(import.meta.dirname, '../../../../styles');
let root: string;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-msstyles-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const u16 = (s: string) => new Uint8Array(Buffer.from(s.replace(/\n/g, '\r\n'), 'utf16le'));
const multi = (...names: string[]) => u16(`${names.join('\0')}\0\0`);

/** A bottom-up 24-bit DIB (BITMAPINFOHEADER, no file header), as RT_BITMAP stores it. */
function dib(w: number, h: number, px: (x: number, y: number) => [number, number, number]): Uint8Array {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(40 + stride * h);
  b.writeUInt32LE(40, 0);
  b.writeInt32LE(w, 4);
  b.writeInt32LE(h, 8);
  b.writeUInt16LE(1, 12);
  b.writeUInt16LE(24, 14);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, bl] = px(x, y);
      b.set([bl, g, r], 40 + stride * (h - 1 - y) + x * 3);
    }
  }
  return new Uint8Array(b);
}

const schemeIni = (caption: string, extra = '') => `[SysMetrics]
ActiveCaption = 0 84 227
Window = 255 255 255
WindowText = 0 0 0
Highlight = 49 106 197
HighlightText = 255 255 255
BtnFace = 236 233 216
CaptionFont = Trebuchet MS, 10, Bold
MenuFont = Tahoma, 8
[Window.Caption]
ImageFile = ${caption}
ImageCount = 2
ImageLayout = Vertical
SizingMargins = 4, 5, 6, 2
Transparent = True
${extra}`;

interface ThemeSpec {
  themes?: string;
  colours?: string[];
  files?: string[];
  inis?: Record<string, string>;
  bitmaps?: Record<string, Uint8Array>;
}
/** A resource-only DLL as packthem lays it out (COLORNAMES/SIZENAMES/FILERESNAMES, TEXTFILEs, bitmaps). */
function theme(o: ThemeSpec = {}): Uint8Array {
  const exe = PE.NtExecutable.createEmpty(false, true);
  const res = PE.NtExecutableResource.from(exe);
  const add = (type: string | number, id: string | number, bin: Uint8Array) => res.entries.push({ type, id, lang: 1033, codepage: 1200, bin: bin.slice().buffer });
  add('TEXTFILE', 'THEMES_INI', u16(o.themes ?? '[documentation]\nDisplayName = Luna Test\nAuthor = Test Author\nVersion = 2.0\n[ColorScheme.NormalColor]\nDisplayName = Default (blue)\n'));
  add('COLORNAMES', 1, multi(...(o.colours ?? ['NormalColor', 'Metallic'])));
  add('SIZENAMES', 1, multi('NormalSize', 'LargeFonts'));
  add('FILERESNAMES', 1, multi(...(o.files ?? ['NORMALBLUE_INI', 'LARGEBLUE_INI', 'NORMALMETALLIC_INI', 'LARGEMETALLIC_INI'])));
  const inis = o.inis ?? { NORMALBLUE_INI: schemeIni('Blue\\Caption.bmp'), NORMALMETALLIC_INI: schemeIni('Metallic\\Caption.bmp').replace('0 84 227', '192 192 200') };
  for (const [id, text] of Object.entries(inis)) add('TEXTFILE', id, u16(text));
  // Two frames stacked: the active one red with a magenta (transparent) corner, the inactive grey.
  const bitmaps = o.bitmaps ?? {
    BLUE_CAPTION_BMP: dib(20, 16, (x, y) => (y >= 8 ? [128, 128, 128] : x === 0 && y === 0 ? [255, 0, 255] : [200, 0, 0])),
    METALLIC_CAPTION_BMP: dib(20, 16, () => [150, 150, 160]),
  };
  for (const [id, bin] of Object.entries(bitmaps)) add(2, id, bin);
  res.outputResource(exe);
  return new Uint8Array(exe.generate());
}

/** Offsets of the resource section in the file: its start and its RVA. */
function rsrc(b: Uint8Array) {
  const v = new DataView(b.buffer, b.byteOffset);
  const pe = v.getUint32(0x3c, true);
  const table = pe + 24 + v.getUint16(pe + 20, true);
  for (let i = 0; i < v.getUint16(pe + 6, true); i++) {
    const o = table + i * 40;
    if (String.fromCharCode(...b.subarray(o, o + 5)) === '.rsrc') return { at: v.getUint32(o + 20, true), pe, v };
  }
  throw new Error('no .rsrc');
}
/** The first type → name → language entry's offsets (relative to the resource section). */
function firstPath(b: Uint8Array) {
  const { at, v } = rsrc(b);
  const typeEntry = at + 16;
  const nameTable = v.getUint32(typeEntry + 4, true) & 0x7fffffff;
  const langTable = v.getUint32(at + nameTable + 16 + 4, true) & 0x7fffffff;
  const langEntry = at + langTable + 16;
  return { at, v, typeEntry, langEntry, dataEntry: at + v.getUint32(langEntry + 4, true) };
}
const patched = (f: (b: Uint8Array) => void) => {
  const b = theme().slice();
  f(b);
  return b;
};
/** PNG pixel (x, y) as RGBA: our PNGs are 8-bit RGBA, filter 0, one IDAT. */
function pngPixel(png: Buffer, x: number, y: number): number[] {
  const w = png.readUInt32BE(16);
  const raw = inflateSync(png.subarray(41, 41 + png.readUInt32BE(33)));
  const o = y * (w * 4 + 1) + 1 + x * 4;
  return [...raw.subarray(o, o + 4)];
}

test('a theme DLL → one scheme per colour (FILERESNAMES at the first size), SysMetrics colours and fonts, the caption bitmap as PNG', async () => {
  const t = await importMsstyles(theme());
  assert.equal(t.displayName, 'Luna Test');
  assert.deepEqual(t.schemes.map((s) => [s.scheme, s.name, s.error]), [
    ['NormalColor', 'Luna Test — Default (blue)', undefined],
    ['Metallic', 'Luna Test — Metallic', undefined],
  ]);
  const [blue, metal] = t.schemes;
  assert.equal(blue!.css['--herald-active-caption'], 'rgb(0, 84, 227)');
  assert.equal(metal!.css['--herald-active-caption'], 'rgb(192, 192, 200)');
  assert.equal(blue!.css['--herald-button-face'], 'rgb(236, 233, 216)', 'BtnFace is ButtonFace');
  assert.equal(blue!.css['--herald-caption-font-family'], '"Trebuchet MS", system-ui, sans-serif');
  assert.equal(blue!.css['--herald-caption-font-weight'], '700');
  assert.equal(blue!.css['--herald-font-family'], '"Tahoma", system-ui, sans-serif');
  assert.equal(blue!.css['--herald-font-size'], '8pt');
  // SizingMargins = left 4, right 5, top 6, bottom 2 → CSS order top right bottom left.
  assert.equal(blue!.css['--herald-caption-slice'], '6 5 2 4');
  const cap = blue!.images.Caption!;
  assert.deepEqual([cap.width, cap.height], [20, 8], 'the first of two vertically stacked frames');
  assert.deepEqual(pngPixel(cap.png, 5, 5), [200, 0, 0, 255], 'the active frame, not the grey inactive one');
  assert.deepEqual(pngPixel(cap.png, 0, 0), [255, 0, 255, 0], 'magenta is transparent (Transparent = True)');
  assert.deepEqual(pngPixel(metal!.images.Caption!.png, 3, 3), [150, 150, 160, 255]);
});

test('image names are resource names: path tricks are refused, not followed', () => {
  assert.equal(resourceNameOf('Blue\\Caption.bmp'), 'BLUE_CAPTION_BMP');
  for (const bad of ['..\\..\\x.bmp', 'C:\\Windows\\x.bmp', '/etc/passwd', '\\\\server\\share\\x.bmp', 'a\0b']) assert.equal(typeof resourceNameOf(bad), 'object', bad);
});

test('hostile theme files: each refused with its reason in the catalogue; the other skins still load; nothing written outside the cache', async () => {
  const styles = path.join(root, 'hostile');
  const cacheDir = path.join(root, 'cache');
  const hugeDib = new Uint8Array(Buffer.alloc(40));
  new DataView(hugeDib.buffer).setUint32(0, 40, true);
  new DataView(hugeDib.buffer).setInt32(4, 100_000, true);
  new DataView(hugeDib.buffer).setInt32(8, 100_000, true);
  new DataView(hugeDib.buffer).setUint16(14, 24, true);
  const good = theme();
  const cases: [string, Uint8Array, RegExp][] = [
    ['Truncated', good.subarray(0, Math.floor(good.length / 2)), /truncated: section "\.rsrc" claims bytes/],
    ['NotPe', new Uint8Array(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)])), /not a Windows PE file \(no "PE" signature/],
    ['WrongMachine', patched((b) => new DataView(b.buffer).setUint16(rsrc(b).pe + 4, 0x1234, true)), /machine type 0x1234, not x86, x86-64, ARM or ARM64/],
    ['HugeResource', patched((b) => new DataView(b.buffer).setUint32(firstPath(b).dataEntry + 4, 0x7fffffff, true)), /claims 2147483647 bytes; at most 2097152/],
    ['Loop', patched((b) => new DataView(b.buffer).setUint32(firstPath(b).typeEntry + 4, 0x80000000, true)), /the table at 0 is reached twice \(a loop\)/],
    ['TooDeep', patched((b) => { const p = firstPath(b); new DataView(b.buffer).setUint32(p.langEntry + 4, 0x80000000 | (p.v.getUint32(p.langEntry + 4, true) + 0x100), true); }), /nests deeper than type, name and language/],
    ['DotDot', theme({ inis: { NORMALBLUE_INI: schemeIni('..\\..\\x.bmp'), NORMALMETALLIC_INI: schemeIni('C:\\Windows\\x.bmp') } }), /colour scheme NormalColor: \[window\.caption\] ImageFile "\.\.\\\\\.\.\\\\x\.bmp" is a path that goes up/],
    ['HugeBitmap', theme({ bitmaps: { BLUE_CAPTION_BMP: hugeDib, METALLIC_CAPTION_BMP: hugeDib } }), /BLUE_CAPTION_BMP: a bitmap of 100000 × 100000 pixels; at most 2048 × 2048/],
    ['NoSysMetrics', theme({ inis: { NORMALBLUE_INI: '[Window.Caption]\nImageFile=x.bmp\n', NORMALMETALLIC_INI: '' } }), /colour scheme NormalColor: the scheme has no \[SysMetrics\] section/],
    ['NoThemesIni', patched((b) => { const i = Buffer.from(b).indexOf(Buffer.from('THEMES_INI', 'utf16le')); b.set(u16('THEMES_INX'), i); }), /no THEMES_INI resource: it is not a Windows XP visual style/],
  ];
  for (const [id, bytes] of cases) {
    mkdirSync(path.join(styles, id), { recursive: true });
    writeFileSync(path.join(styles, id, `${id}.msstyles`), bytes);
  }
  // A resource named like a path: it is only ever looked up, never used as a file name.
  const tricky = theme({ inis: { NORMALBLUE_INI: schemeIni('..\\x'), NORMALMETALLIC_INI: schemeIni('Metallic\\Caption.bmp') }, bitmaps: { '..\\..\\EVIL': dib(2, 2, () => [1, 2, 3]), METALLIC_CAPTION_BMP: dib(4, 4, () => [1, 2, 3]) } });
  mkdirSync(path.join(styles, 'Tricky'));
  writeFileSync(path.join(styles, 'Tricky', 'Tricky.msstyles'), tricky);
  mkdirSync(path.join(styles, 'Luna'));
  writeFileSync(path.join(styles, 'Luna', 'Luna.msstyles'), good);

  const before = readdirSync(root, { recursive: true }).map(String);
  const c = await discoverSkins({ bundledDir: STYLES, userDir: styles, cacheDir });
  const reasons = new Map(c.rejected.map((r) => [r.id, r.reason]));
  for (const [id, , why] of cases) {
    const reason = reasons.get(id) ?? reasons.get(`${id} — NormalColor`) ?? `(loaded: ${id})`;
    assert.match(reason, why, id);
  }
  assert.match(reasons.get('Tricky — NormalColor')!, /"\.\.\\\\x" is a path that goes up with "\.\."/);
  const ids = c.skins.map((s) => s.id);
  for (const id of ['Default', 'Classic', 'Luna — NormalColor', 'Luna — Metallic', 'Tricky — Metallic']) assert.ok(ids.includes(id), `${id} loaded: ${ids.join(', ')}`);
  // Only the cache folder is new, and in it only our own names.
  const added = readdirSync(root, { recursive: true }).map(String).filter((f) => !before.includes(f));
  for (const f of added) assert.match(f, /^cache(\/[0-9a-f]{32}-\d+(\/(manifest\.json|\d-caption\.png))?)?$/, f);
  assert.ok(added.some((f) => f.endsWith('caption.png')));
});

test('the catalogue: imported schemes borrow tray icons and sounds from Default; the converted skin is cached by hash and mtime', async () => {
  const styles = path.join(root, 'cached');
  const cacheDir = path.join(root, 'cache2');
  mkdirSync(path.join(styles, 'Luna'), { recursive: true });
  const file = path.join(styles, 'Luna', 'Luna.msstyles');
  writeFileSync(file, theme());
  const c = await discoverSkins({ bundledDir: STYLES, userDir: styles, cacheDir });
  const luna = c.skins.find((s) => s.id === 'Luna — NormalColor')!;
  const def = c.skins.find((s) => s.id === 'Default')!;
  assert.equal(luna.name, 'Luna Test — Default (blue)');
  assert.equal(luna.source, 'user');
  assert.deepEqual([luna.author, luna.version], ['Test Author', '2.0']);
  assert.equal(luna.images.TrayIdle!.file, def.images.TrayIdle!.file);
  assert.equal(luna.sounds.NewMail!.file, def.sounds.NewMail!.file);
  assert.ok(luna.images.Caption!.file.startsWith(cacheDir + path.sep));
  assert.equal(luna.images.Caption!.relative, 'theme/0-caption.png');

  const o = { file, id: 'Luna', dir: path.dirname(file), source: 'user' as const, cacheDir, base: def };
  assert.equal((await loadThemeSkins(o)).cached, true, 'the second load reads the manifest');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const again = await loadThemeSkins(o);
  assert.equal(again.cached, false, 'a new mtime converts again');
  assert.equal(readdirSync(cacheDir).length, 2);
  // A manifest that is not ours is not trusted.
  const dir = path.dirname(again.skins[0]!.images.Caption!.file);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 1, displayName: 'x', author: '', themeVersion: '', schemes: [{ scheme: 'x', name: 'x', css: {}, images: { Caption: { relative: '../../etc/passwd', bytes: 1, width: 1, height: 1 } }, warnings: [] }] }));
  const healed = await loadThemeSkins(o);
  assert.equal(healed.cached, false);
  assert.equal(healed.skins[0]!.images.Caption!.relative, 'theme/0-caption.png');
});

test('PE and bitmap limits directly: a file over 16 MiB, a bitmap shorter than its rows', () => {
  assert.throws(() => readPeResources(new Uint8Array(16 * 1024 * 1024 + 1)), /at most 16777216 are read/);
  const short = dib(10, 10, () => [0, 0, 0]).subarray(0, 100);
  assert.throws(() => decodeDib(short), /truncated: 10 × 10 × 24 bits need 360 bytes, the bitmap has 100/);
  const noCatalogCache = discoverSkins({ bundledDir: STYLES, userDir: path.join(root, 'cached') });
  return noCatalogCache.then((c) => assert.match(c.rejected.find((r) => r.id === 'Luna')!.reason, /needs the app's cache folder/));
});

test('a theme that reuses one large bitmap under many schemes: decoded once per layout, and a pixel budget for the whole theme', async () => {
  const big = dib(836, 836, () => [10, 20, 30]); // ~2 MiB, under the per-resource limit
  const colours = Array.from({ length: 16 }, (_, i) => `C${i}`);
  const same = await importMsstyles(theme({ colours, files: colours.flatMap(() => ['S_INI', 'S_INI']), inis: { S_INI: schemeIni('big.bmp') }, bitmaps: { BIG_BMP: big } }));
  assert.deepEqual(same.schemes.map((s) => s.error), colours.map(() => undefined), 'the same image in 16 schemes costs one decode');
  // A different TransparentColor per scheme defeats sharing: the budget stops it after 12 × 836².
  const inis = Object.fromEntries(colours.map((_, i) => [`S${i}_INI`, schemeIni('big.bmp', `TransparentColor = ${i} 0 0\n`)]));
  const varied = await importMsstyles(theme({ colours, files: colours.flatMap((_, i) => [`S${i}_INI`, `S${i}_INI`]), inis, bitmaps: { BIG_BMP: big } }));
  const errors = varied.schemes.map((s) => s.error);
  assert.equal(errors.filter((e) => e === undefined).length, Math.floor((8 * 1024 * 1024) / (836 * 836)));
  assert.match(errors.at(-1)!, /colour scheme C15: \[window\.caption\] BIG_BMP: a bitmap of 836 × 836 pixels goes past the theme's limit on pixels in all/);
});
