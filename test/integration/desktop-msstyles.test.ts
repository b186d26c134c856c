// A real Windows visual style nobody here wrote — Wine's light.msstyles from Debian's libwine —
// read by the core (values checked against what the file holds), then dropped into a profile's
// Styles/Light/ folder in the desktop preview: it appears in Settings › Skins, is chosen there with
// a click in Debian's Chromium, and the contacts and chat windows draw its colours and its caption
// bitmap. Screenshots: test/artifacts/desktop-msstyles-light-{contacts,chat,settings}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { importMsstyles } from '../../desktop/src/core/skins/msstyles-pe.ts';
import { readPeResources } from '../../desktop/src/core/skins/pe-resources.ts';
import { decodeDib } from '../../desktop/src/core/skins/bmp-png.ts';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { wineLightTheme } from '../fixtures/wine-theme.ts';
import { cssVar, shoot, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

const light = wineLightTheme();
const skip = typeof light === 'string' ? false : light.skip;
const SKIN = 'Light — Blue';

test('Wine’s light.msstyles: scheme, SysMetrics colours and the caption bitmap read from the real file', { skip }, async () => {
  const bytes = readFileSync(light as string);
  const pe = readPeResources(bytes);
  assert.equal(pe.machine, 'x86-64');
  const t = await importMsstyles(bytes);
  assert.equal(t.displayName, 'Light');
  assert.deepEqual(t.schemes.map((s) => [s.name, s.error]), [['Light — Blue', undefined]]);
  const blue = t.schemes[0]!;
  // BLUE_INI [SysMetrics]: ActiveCaption = 50 150 250, Highlight = 48 150 250, BtnFace = 245 245 245.
  assert.equal(blue.css['--herald-active-caption'], 'rgb(50, 150, 250)');
  assert.equal(blue.css['--herald-highlight'], 'rgb(48, 150, 250)');
  assert.equal(blue.css['--herald-button-face'], 'rgb(245, 245, 245)');
  // [Window.Caption] ImageFile = blue_window_caption.bmp, ImageCount = 2 (vertical), SizingMargins = 28, 35, 9, 17.
  const dib = decodeDib(pe.types.get('2')!.get('BLUE_WINDOW_CAPTION_BMP')!);
  assert.deepEqual([dib.width, dib.height], [66, 58]);
  assert.deepEqual([blue.images.Caption!.width, blue.images.Caption!.height], [66, 29]);
  assert.equal(blue.css['--herald-caption-slice'], '9 35 17 28');
  assert.deepEqual([blue.images.FrameLeft!.width, blue.images.FrameLeft!.height], [8, 92]);
  assert.deepEqual(blue.warnings, []);
});

test('Wine’s light.msstyles with bytes of its headers and resource directory changed: each copy imports or is refused with a typed reason', { skip }, async () => {
  const base = readFileSync(light as string);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const seen = new Map<string, number>();
  for (let i = 0; i < 120; i++) {
    const b = Buffer.from(base);
    for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) b[Math.floor(rnd() * 8192)] = Math.floor(rnd() * 256);
    const kind = await importMsstyles(b).then(
      () => 'ok',
      (e: Error) => e.name,
    );
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].filter((k) => !['ok', 'PeFormatError', 'ThemeImportError'].includes(k)), [], JSON.stringify([...seen]));
  assert.ok((seen.get('PeFormatError') ?? 0) > 10 && (seen.get('ok') ?? 0) > 10, JSON.stringify([...seen]));
});

let ui: DesktopUi;
let contacts: OpenedPage;
before(async () => {
  if (skip) return;
  ui = await startDesktopUi();
  await ui.signIn('alice');
  await ui.signIn('bob');
  await until('alice chat online', () => ui.preview.profile('alice').core.chat()?.connection().state === 'online', 15000);
});
after(async () => {
  await ui?.close();
});

test('dropped into Styles/Light/, it is listed, chosen with a click and drawn in the contacts and chat windows', { skip }, async () => {
  const core = ui.preview.profile('alice').core;
  const styles = path.join(ui.root, 'profiles', 'profiles', 'alice', 'Styles', 'Light');
  assert.equal(core.skins().skins.some((s) => s.id === SKIN), false, 'not there before the file is');
  mkdirSync(styles, { recursive: true });
  copyFileSync(light as string, path.join(styles, 'Light.msstyles'));
  // Beside it, a broken copy (cut off after 64 KiB): listed as unusable with the reason.
  const broken = path.join(ui.root, 'profiles', 'profiles', 'alice', 'Styles', 'Broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(path.join(broken, 'Broken.msstyles'), readFileSync(light as string).subarray(0, 64 * 1024));
  await core.reloadSkins();

  const settings = await ui.open('alice', '#/settings', { viewport: { width: 660, height: 640 } });
  await settings.page.getByRole('tab', { name: 'Skins' }).click();
  const problem = settings.page.locator('.problems li').filter({ hasText: 'truncated' });
  await problem.waitFor();
  assert.match((await problem.textContent())!, /^Broken: truncated: section ".rsrc" claims bytes \d+–\d+ of a 65536-byte file$/);
  assert.ok(core.skins().skins.some((s) => s.id === 'Default'), 'the other skins still load');
  await settings.page.getByRole('radio', { name: `Use ${SKIN}` }).click();
  await until('the imported skin chosen', () => core.settings().user.skin === SKIN);
  contacts = await ui.open('alice', '#/contacts', { viewport: { width: 340, height: 620 } });
  await until('Light applied', async () => (await cssVar(contacts.page, '--herald-active-caption')) === 'rgb(50, 150, 250)');
  assert.equal(await contacts.page.evaluate('document.documentElement.dataset.skin'), SKIN);
  assert.equal(await contacts.page.evaluate('document.documentElement.dataset.themeImages'), 'caption frame-left frame-right frame-bottom button');
  // The title bar draws the theme's caption bitmap, served by the app's origin as a PNG.
  const source = await contacts.page.locator('.titlebar').evaluate((el) => getComputedStyle(el).borderImageSource);
  const url = /url\("(.+)"\)/.exec(source)?.[1] ?? '';
  assert.match(url, /\/skins\/Light%20%E2%80%94%20Blue\/theme\/0-caption\.png$/);
  const png = await contacts.page.request.get(url);
  assert.equal(png.status(), 200, `${url}: ${png.status()}`);
  assert.equal(png.headers()['content-type'], 'image/png');
  const body = await png.body();
  assert.deepEqual([body.readUInt32BE(16), body.readUInt32BE(20)], [66, 29]);
  assert.equal(await contacts.page.locator('.titlebar').evaluate((el) => getComputedStyle(el).borderImageSlice), '9 35 17 28 fill');
  await contacts.page.getByRole('option', { name: /^Bob/ }).first().waitFor();
  await shoot(contacts.page, 'msstyles-light-contacts');
  await shoot(settings.page, 'msstyles-light-settings');

  const chat = await ui.open('alice', '#/chat/bob%40example.com', { viewport: { width: 520, height: 560 } });
  const box = chat.page.getByRole('textbox', { name: /^Message to/ });
  await box.fill('Hello in the Light theme');
  await box.press('Enter');
  await chat.page.locator('.msg.out').filter({ hasText: 'Hello in the Light theme' }).waitFor();
  assert.equal(await cssVar(chat.page, '--herald-highlight'), 'rgb(48, 150, 250)');
  await shoot(chat.page, 'msstyles-light-chat');
  assert.deepEqual([...contacts.problems, ...chat.problems, ...settings.problems], []);
  await core.updateSettings({ skin: 'Default' });
});
