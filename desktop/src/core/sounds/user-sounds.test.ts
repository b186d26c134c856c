// A sound file the user picks is checked, copied into <userData>/Sounds under its content's hash
// and chosen for the event; it still plays after the original is gone; too big or not really a
// sound is refused in words; a window cannot choose an arbitrary path as a "sound". (What our
// origin serves of it: main/app-files.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemorySecretStore, RecordingBrowser, RecordingNotifier, RecordingSoundPlayer, RecordingTray } from '../../../test-support/fake-ports.ts';
import { createHeraldCore } from '../herald-core.ts';
import { createDirStorage } from '../storage/dir-storage.ts';
import { USER_SOUND_MAX_BYTES } from './user-sounds.ts';

const FIX = path.resolve(import.meta.dirname, '../../../../test/fixtures/sounds');
const STYLES = path.resolve(import.meta.dirname, '../../../../styles');

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-user-sounds-'));
  const user = path.join(dir, 'user');
  const core = createHeraldCore({
    storage: createDirStorage(user),
    secrets: new MemorySecretStore(),
    notifier: new RecordingNotifier(),
    sound: new RecordingSoundPlayer(),
    tray: new RecordingTray(),
    browser: new RecordingBrowser(),
    places: { userDataDir: user },
    styles: { bundledDir: STYLES },
  });
  await core.start();
  t.after(async () => {
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { core, dir, user };
}

test('a picked MP3 is kept under its hash in the data folder, chosen for the event, and survives the original being deleted', async (t) => {
  const { core, dir, user } = await setup(t);
  const original = path.join(dir, 'Downloads', 'ding.mp3');
  mkdirSync(path.dirname(original), { recursive: true });
  copyFileSync(path.join(FIX, 'tone.mp3'), original);
  const bytes = readFileSync(original);
  const view = await core.importSound('MessageOut', 'ding.mp3', bytes);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const kept = path.join(user, 'Sounds', `${hash}.mp3`);
  assert.deepEqual(view.user.sounds.events.MessageOut, { file: kept, name: 'ding.mp3' });
  assert.equal(statSync(kept).mode & 0o777, 0o600);
  rmSync(original);
  assert.ok(existsSync(kept));
  assert.deepEqual(readFileSync(kept), bytes);
  // The same sound for another event is stored once.
  await core.importSound('ContactOffline', 'C:\\Users\\me\\Music\\same.mp3', bytes);
  assert.deepEqual(readdirSync(path.join(user, 'Sounds')), [`${hash}.mp3`]);
  assert.deepEqual(core.settings().user.sounds.events.ContactOffline, { file: kept, name: 'same.mp3' });
});

test('Ogg Vorbis, Ogg Opus and WAV files are kept with the format read from their headers, not their names', async (t) => {
  const { core } = await setup(t);
  for (const [fixture, ext] of [['tone.ogg', 'ogg'], ['tone.opus', 'ogg'], ['tone.wav', 'wav']] as const) {
    const v = await core.importSound('NewMail', 'renamed.mp3', readFileSync(path.join(FIX, fixture)));
    const choice = v.user.sounds.events.NewMail as { file: string };
    assert.equal(path.extname(choice.file), `.${ext}`, fixture);
  }
});

test('too big, not a sound, or cut off: refused in words, and the choice stays', async (t) => {
  const { core } = await setup(t);
  const big = new Uint8Array(USER_SOUND_MAX_BYTES + 1);
  big.set(readFileSync(path.join(FIX, 'tone.wav')));
  await assert.rejects(core.importSound('NewMail', 'long.wav', big), { name: 'SoundFileError', message: '“long.wav” is 513 KB; a sound can be at most 512 KB' });
  await assert.rejects(core.importSound('NewMail', 'fake.wav', readFileSync(path.join(FIX, 'fake.wav'))), { message: '“fake.wav” cannot be used as a sound: it is a WAV file without a format chunk' });
  await assert.rejects(core.importSound('NewMail', 'cut.mp3', readFileSync(path.join(FIX, 'truncated.mp3'))), { message: /“cut.mp3” cannot be used as a sound: it is an MP3 file without MPEG Layer III audio frames/ });
  await assert.rejects(core.importSound('NewMail', 'notes.txt', new TextEncoder().encode('just text')), { message: /not a WAV, Ogg or MP3 sound/ });
  assert.equal(core.settings().user.sounds.events.NewMail, undefined);
});

test('a window cannot choose any path as a sound; the file already chosen and "skin"/"none" still can be set', async (t) => {
  const { core } = await setup(t);
  await assert.rejects(core.updateSettings({ sounds: { events: { NewMail: { file: '/home/alice/.ssh/id_ed25519' } } } }), { name: 'SoundFileError', message: /NewMail: a sound file is chosen with "Choose file…"/ });
  await assert.rejects(core.updateSettings({ sounds: { events: { NewMail: { file: path.join(core.userSoundsDir()!, '..', 'settings.json') } } } }), { name: 'SoundFileError' });
  const v = await core.importSound('NewMail', 'ding.wav', readFileSync(path.join(FIX, 'tone.wav')));
  const chosen = v.user.sounds.events.NewMail!;
  // The settings view sends back every event as it is: the chosen file passes, others change.
  await core.updateSettings({ sounds: { events: { NewMail: chosen, MessageIn: 'none', MessageOut: 'skin' } } });
  assert.deepEqual(core.settings().user.sounds.events, { NewMail: chosen, MessageIn: 'none', MessageOut: 'skin' });
});
