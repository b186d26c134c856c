// The bundled skins load; a corpus of broken skins is rejected, each with its reason, and never
// stops the others or reaches outside its folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { discoverSkins, pickSkin } from './skin-catalog.ts';
import { cssVarName } from './skin-css.ts';
import { decodeMsstyles, parseIni } from './msstyles-ini.ts';

const STYLES = path.resolve(import.meta.dirname, '../../../../styles');
let root: string;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-skins-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A real PNG header: signature + IHDR with the given size (the pixel data is not needed to probe). */
function png(w: number, h: number, padTo = 0): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'ascii');
  ihdr.writeUInt32BE(w, 8);
  ihdr.writeUInt32BE(h, 12);
  ihdr.set([8, 6, 0, 0, 0], 16);
  const body = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, deflateSync(Buffer.alloc(4))]);
  return padTo > body.length ? Buffer.concat([body, Buffer.alloc(padTo - body.length)]) : body;
}
// The smallest real WAV: PCM, mono, 8 kHz, 16 bit, one sample (core/sounds/sound-format.ts reads it).
const wav = () => Buffer.from('RIFF\x26\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x02\x00\x00\x00\x00\x00', 'latin1');

const GOOD_METRICS = '[SysMetrics]\nWindow=255 255 255\nWindowText=0 0 0\nHighlight=0 0 128\nHighlightText=255 255 255\n';
const GOOD_IMAGES = '[Images]\nTrayIdle=img\\idle.png\nTrayNewMail=img/new.png\nTrayOffline=img\\off.png\n';
const goodIni = (name: string, extra = '') => `[Theme]\nName=${name}\n${GOOD_METRICS}${GOOD_IMAGES}${extra}`;

/** Writes styles-root/<id>/<id>.msstyles plus the standard images, then `files`. */
function skin(styles: string, id: string, msstyles: string | Buffer, files: Record<string, Buffer | string> = {}) {
  const dir = path.join(styles, id);
  mkdirSync(path.join(dir, 'img'), { recursive: true });
  for (const f of ['idle', 'new', 'off']) writeFileSync(path.join(dir, 'img', `${f}.png`), png(16, 16));
  writeFileSync(path.join(dir, `${id}.msstyles`), msstyles);
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
  return dir;
}

test('the bundled skins load: Default (UTF-8) and Classic (UTF-16 LE with BOM), with CSS variables, tray images and sounds', async () => {
  const c = await discoverSkins({ bundledDir: STYLES });
  assert.deepEqual(c.rejected, []);
  const ids = c.skins.map((s) => s.id);
  assert.ok(ids.includes('Default') && ids.includes('Classic'), ids.join());
  const raw = readFileSync(path.join(STYLES, 'Classic/Classic.msstyles'));
  assert.deepEqual([...raw.subarray(0, 2)], [0xff, 0xfe], 'Classic is stored as UTF-16 LE with BOM');
  for (const s of c.skins) {
    assert.equal(s.source, 'bundled');
    assert.deepEqual(s.warnings, [], `${s.id}: no warnings`);
    assert.match(s.css['--herald-window']!, /^rgb\(\d+, \d+, \d+\)$/);
    assert.match(s.css['--herald-font-family']!, /^"[A-Za-z ]+", system-ui, sans-serif$/);
    for (const role of ['TrayIdle', 'TrayNewMail', 'TrayOffline', 'TrayChat'] as const) {
      const a = s.images[role]!;
      assert.ok(a.file.startsWith(path.join(STYLES, s.id) + path.sep), `${s.id} ${role} inside its folder`);
      assert.ok(a.width! >= 16 && a.width! <= 32);
    }
    assert.ok(s.sounds.NewMail!.bytes > 1000, `${s.id} has a new-mail sound`);
  }
  const classic = c.skins.find((s) => s.id === 'Classic')!;
  assert.equal(classic.css['--herald-button-face'], 'rgb(212, 208, 200)');
  assert.equal(classic.css['--herald-font-size'], '8pt');
  assert.equal(pickSkin(c, 'classic')?.id, 'Classic', 'names match case-insensitively');
  assert.equal(pickSkin(c, 'NoSuchSkin')?.id, 'Default', 'unknown name falls back to Default');
});

test('a corpus of broken skins is rejected, each with its reason; good ones beside them still load', async () => {
  const styles = path.join(root, 'corpus');
  const outside = path.join(root, 'outside-secret.png');
  writeFileSync(outside, png(16, 16));
  const utf16 = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf16le');
  const cases: [string, string | Buffer, Record<string, Buffer | string>, RegExp][] = [
    ['BadIni', '[Theme]\nName=BadIni\nthis line is not ini\n', {}, /line 3: expected \[Section\] or Key=Value/],
    ['KeyBeforeSection', 'Name=x\n[Theme]\n', {}, /line 1: Key=Value before any \[Section\]/],
    ['DuplicateKey', `[Theme]\nName=a\nName=b\n${GOOD_METRICS}${GOOD_IMAGES}`, {}, /line 3: \[Theme\] Name is set twice/],
    ['Utf16NoBom', utf16(goodIni('Utf16NoBom')), {}, /UTF-16 without a byte order mark/],
    ['BadUtf8', Buffer.concat([Buffer.from('[Theme]\nName='), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), {}, /not valid UTF-8/],
    ['NoName', `[Theme]\nAuthor=x\n${GOOD_METRICS}${GOOD_IMAGES}`, {}, /\[Theme\] Name is missing/],
    ['DotDot', goodIni('DotDot', '[Sounds]\nNewMail=..\\..\\outside-secret.png\n'), {}, /NewMail: .*goes up with "\.\."/],
    ['DotDotImage', `[Theme]\nName=x\n${GOOD_METRICS}[Images]\nTrayIdle=img\\..\\..\\..\\outside-secret.png\nTrayNewMail=img\\new.png\nTrayOffline=img\\off.png\n`, {}, /TrayIdle: .*"\.\."/],
    ['Absolute', goodIni('Absolute').replace('TrayIdle=img\\idle.png', `TrayIdle=${outside}`), {}, /TrayIdle: .*absolute/],
    ['DriveLetter', goodIni('DriveLetter').replace('TrayIdle=img\\idle.png', 'TrayIdle=C:\\Windows\\win.ini'), {}, /TrayIdle: .*absolute/],
    ['Unc', goodIni('Unc').replace('TrayIdle=img\\idle.png', 'TrayIdle=\\\\server\\share\\x.png'), {}, /TrayIdle: .*absolute/],
    ['Missing', goodIni('Missing').replace('img\\off.png', 'img\\nope.png'), {}, /TrayOffline: "img\\\\nope.png" does not exist/],
    ['HugeFile', goodIni('HugeFile').replace('img/new.png', 'img/huge.png'), { 'img/huge.png': png(16, 16, 3 * 1024 * 1024) }, /TrayNewMail: img\/huge.png is \d+ bytes; at most 1048576/],
    ['HugePixels', goodIni('HugePixels').replace('img/new.png', 'img/bomb.png'), { 'img/bomb.png': png(100_000, 100_000) }, /TrayNewMail: img\/bomb.png is 100000 × 100000 pixels; at most 256 × 256/],
    ['NotAnImage', goodIni('NotAnImage').replace('img/new.png', 'img/fake.png'), { 'img/fake.png': '<svg onload="alert(1)"/>' }, /TrayNewMail: img\/fake.png is not a PNG, GIF, JPEG or ICO image/],
    ['NotASound', goodIni('NotASound', '[Sounds]\nNewMail=s.wav\n'), { 's.wav': 'MZ\x90\x00 an executable' }, /NewMail: s.wav is not a WAV, Ogg or MP3 sound/],
    ['CssInjection', goodIni('CssInjection').replace('[SysMetrics]\n', '[SysMetrics]\nFont=x; } body { background: url(http://evil), 9\n'), {}, /Font must be "Face, size\[, bold\]"/],
    ['BadColour', goodIni('BadColour').replace('Window=255 255 255', 'Window=300 0 0'), {}, /Window must be three numbers 0–255/],
    ['ColourWords', goodIni('ColourWords').replace('Window=255 255 255', 'Window=red'), {}, /Window must be three numbers/],
    ['NoColours', `[Theme]\nName=x\n[SysMetrics]\nWindow=1 2 3\n${GOOD_IMAGES}`, {}, /\[SysMetrics\] lacks WindowText, Highlight, HighlightText/],
    ['NoTrayImages', `[Theme]\nName=x\n${GOOD_METRICS}`, {}, /\[Images\] lacks TrayIdle, TrayNewMail, TrayOffline/],
    ['ADirectory', goodIni('ADirectory').replace('img/new.png', 'img'), {}, /TrayNewMail: "img" is not a file/],
  ];
  for (const [id, ini, files] of cases) skin(styles, id, ini, files);
  // A link inside the skin's folder that points outside it.
  const linkDir = skin(styles, 'LinkOut', goodIni('LinkOut').replace('img/new.png', 'img/link.png'));
  symlinkSync(outside, path.join(linkDir, 'img', 'link.png'));
  mkdirSync(path.join(styles, 'NoFile'));
  skin(styles, 'Fine', goodIni('Fine'));
  skin(styles, 'Bom8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(goodIni('Bom8'))]));
  skin(styles, 'Utf16Be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(utf16(goodIni('Utf16Be'))).swap16()]));
  skin(styles, 'Warns', goodIni('Warns', '[Extra]\nFoo=1\n[Sounds]\nSneeze=x.wav\nNewMail=s.wav\n').replace('[SysMetrics]\n', '[SysMetrics]\nPurple=1 2 3\n'), { 's.wav': wav() });

  const c = await discoverSkins({ bundledDir: styles });
  const reasons = new Map(c.rejected.map((r) => [r.id, r.reason]));
  for (const [id, , , why] of cases) assert.match(reasons.get(id) ?? `(loaded: ${id})`, why, id);
  assert.match(reasons.get('LinkOut')!, /TrayNewMail: .*outside the skin's folder/);
  assert.match(reasons.get('NoFile')!, /no NoFile.msstyles/);
  assert.deepEqual(c.skins.map((s) => s.id).sort(), ['Bom8', 'Fine', 'Utf16Be', 'Warns']);
  const warns = c.skins.find((s) => s.id === 'Warns')!;
  assert.deepEqual(warns.warnings.map((w) => w.replace(/^line \d+: /, '')).sort(), ['unknown [SysMetrics] key Purple ignored', 'unknown section [Extra] ignored', 'unknown sound event Sneeze ignored']);
  assert.ok(warns.sounds.NewMail);
  for (const s of c.skins) for (const a of Object.values(s.images)) assert.ok(a.file.startsWith(path.join(styles, s.id) + path.sep), `${s.id}: ${a.file}`);
});

test('user skins load beside the bundled ones; a user skin cannot replace a bundled one', async () => {
  const userDir = path.join(root, 'user-styles');
  skin(userDir, 'Mine', goodIni('Mine'));
  skin(userDir, 'Default', goodIni('Default'));
  const c = await discoverSkins({ bundledDir: STYLES, userDir });
  const mine = c.skins.find((s) => s.id === 'Mine')!;
  assert.equal(mine.source, 'user');
  assert.equal(c.skins.find((s) => s.id === 'Default')!.source, 'bundled');
  assert.deepEqual(c.rejected.map((r) => [r.id, r.source, r.reason]), [['Default', 'user', 'a bundled skin has this name']]);
  const none = await discoverSkins({ bundledDir: path.join(root, 'does-not-exist') });
  assert.deepEqual(none, { skins: [], rejected: [] });
  assert.equal(pickSkin(none, 'Default'), undefined);
});

test('INI details: comments, CR/LF/CRLF, case-insensitive sections, BOM handling; CSS variable names', () => {
  const text = decodeMsstyles(Buffer.from('; c\r\n# c\r[theme]\r\nname = X \n\n[SYSMETRICS]\nWindow=1 2 3'));
  assert.deepEqual(parseIni(text), [
    { name: 'theme', line: 3, entries: [{ key: 'name', value: 'X', line: 4 }] },
    { name: 'SYSMETRICS', line: 6, entries: [{ key: 'Window', value: '1 2 3', line: 7 }] },
  ]);
  assert.throws(() => parseIni('[A]\n[a]\n'), /section \[a\] appears twice/);
  assert.throws(() => decodeMsstyles(Buffer.from([0xff, 0xfe, 0x41])), /odd number of bytes/);
  assert.throws(() => decodeMsstyles(Buffer.alloc(70_000, 0x41)), /at most 65536/);
  assert.equal(cssVarName('ButtonDkShadow'), '--herald-button-dk-shadow');
  assert.equal(cssVarName('GradientActiveCaption'), '--herald-gradient-active-caption');
});
