// Settings › Sounds in Debian's Chromium through the preview bridge, against a real desktop core:
// every bundled skin's seven sounds decode with Web Audio; a server IM (herald@) has its own event,
// previewed from the settings and played when one arrives; a user's MP3 is picked for "message
// sent", kept by the core in the profile's data folder and previewed from there; a file Chromium
// cannot decode is refused by the page in words before it reaches the core, and one over the
// size limit too. Screenshot: test/artifacts/desktop-settings-sounds.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { SKINS, shoot, sounds, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

const FIX = path.resolve(import.meta.dirname, '../fixtures/sounds');
const FILES = { NewMail: 'new-mail', MessageIn: 'message-in', MessageOut: 'message-out', ContactOnline: 'contact-online', ContactOffline: 'contact-offline', FileReceived: 'file-received', ServerMessage: 'server-message' };
let ui: DesktopUi;
let s: OpenedPage;

before(async () => {
  ui = await startDesktopUi();
  s = await ui.open('alice', '#/settings', { viewport: { width: 700, height: 640 } });
  await s.page.getByRole('tab', { name: 'Sounds' }).click();
});
after(async () => {
  await ui?.close();
});

test('every bundled skin has a sound for every event that Chromium decodes (Web Audio)', async () => {
  const core = ui.preview.profile('alice').core;
  for (const id of SKINS) {
    const skin = core.skins().skins.find((x) => x.id === id)!;
    for (const [event, name] of Object.entries(FILES)) {
      assert.equal(skin.sounds[event as keyof typeof FILES]?.relative, `sounds/${name}.wav`, `${id} ${event}`);
      const seconds = (await s.page.evaluate(`(async () => {
        const res = await fetch('./skins/${id}/sounds/${name}.wav');
        const ctx = new AudioContext();
        try { return (await ctx.decodeAudioData(await res.arrayBuffer())).duration; } finally { ctx.close(); }
      })()`)) as number;
      assert.ok(seconds > 0.03 && seconds < 1.5, `${id} ${event}: ${seconds} s`);
    }
  }
});

test('a picked MP3 becomes the "message sent" sound, kept in the data folder; ▶ plays the kept copy', async () => {
  const page = s.page;
  const core = ui.preview.profile('alice').core;
  const bytes = readFileSync(path.join(FIX, 'tone.mp3'));
  await page.locator('input[type=file][data-event=MessageOut]').setInputFiles({ name: 'my-whoosh.mp3', mimeType: 'audio/mpeg', buffer: bytes });
  const kept = path.join(core.userSoundsDir()!, `${createHash('sha256').update(bytes).digest('hex')}.mp3`);
  await until('the choice saved', () => {
    const c = core.settings().user.sounds.events.MessageOut;
    return typeof c === 'object' && c.file === kept && c.name === 'my-whoosh.mp3';
  });
  assert.deepEqual(readFileSync(kept), bytes);
  const select = page.getByRole('combobox', { name: 'Outgoing message' });
  assert.equal(await select.locator('option:checked').innerText(), 'My file: my-whoosh.mp3');
  await page.getByRole('button', { name: 'Play the sound for Outgoing message' }).click();
  await until('the kept copy played', async () => (await sounds(page)).includes(`/user-sounds/${path.basename(kept)}`));
  const res = await page.request.get(new URL(`/user-sounds/${path.basename(kept)}`, page.url()).href);
  assert.equal(res.headers()['content-type'], 'audio/mpeg');
  assert.deepEqual(await res.body(), bytes);
  await shoot(page, 'settings-sounds');
  assert.deepEqual(s.problems, []);
});

test('a file Chromium cannot decode is refused by the page in words (the core never sees it); one over 512 KB too', async () => {
  const page = s.page;
  const core = ui.preview.profile('alice').core;
  const before = JSON.stringify(core.settings().user.sounds);
  await page.locator('input[type=file][data-event=ContactOffline]').setInputFiles({ name: 'fake.wav', mimeType: 'audio/wav', buffer: readFileSync(path.join(FIX, 'fake.wav')) });
  await page.getByRole('alert').filter({ hasText: '“fake.wav” cannot be played: it is not a WAV, Ogg or MP3 sound this app can decode.' }).waitFor();
  const big = Buffer.alloc(600 * 1024);
  readFileSync(path.join(FIX, 'tone.wav')).copy(big);
  await page.locator('input[type=file][data-event=NewMail]').setInputFiles({ name: 'long.wav', mimeType: 'audio/wav', buffer: big });
  await page.getByRole('alert').filter({ hasText: '“long.wav” is 600 KB; a sound can be at most 512 KB.' }).waitFor();
  assert.equal(JSON.stringify(core.settings().user.sounds), before);
  // Back to the skin's sound: the select offers it again.
  await page.getByRole('combobox', { name: 'Outgoing message' }).selectOption('skin');
  await until('skin sound again', () => core.settings().user.sounds.events.MessageOut === 'skin');
});

test('"Message from Herald (server)" is an event of its own: its row previews the skin’s sound, and a herald@ IM arriving plays it', async () => {
  const page = s.page;
  const core = ui.preview.profile('alice').core;
  const skin = core.activeSkin()!.id;
  const select = page.getByRole('combobox', { name: 'Message from Herald (server)' });
  assert.equal(await select.locator('option:checked').getAttribute('value'), 'skin');
  await page.getByRole('button', { name: 'Play the sound for Message from Herald (server)' }).click();
  await until('the preview played', async () => (await sounds(page)).includes(`/skins/${skin}/sounds/server-message.wav`));
  // A real IM from the server (the gateway's herald@ sender) to the signed-in app: the window that
  // plays sounds (the preview's first page: this one) plays it once more, and no person's sound.
  await ui.signIn('alice');
  await until('alice online', () => core.chat()?.connection().state === 'online', 15000);
  const url = `/skins/${skin}/sounds/server-message.wav`;
  const count = async () => (await sounds(page)).filter((u) => u === url).length;
  const before = await count();
  ui.gw.xmpp!.sendSystemMessage({ from: 'herald@example.com', to: 'alice@example.com', body: 'Reminder: Budget review at 14:00' });
  await until('the server-message sound', async () => (await count()) > before);
  assert.ok(!(await sounds(page)).includes(`/skins/${skin}/sounds/message-in.wav`), 'not the sound of a person’s message');
});
