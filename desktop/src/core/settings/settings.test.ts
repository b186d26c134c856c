import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClientConfig } from '../../../../gateway/src/protocol/api.ts';
import { defaultSettings } from '../../shared/settings.ts';
import { createDirStorage } from '../storage/dir-storage.ts';
import { effectiveSettings } from './effective-settings.ts';
import { SETTINGS_FILE, SettingsError, loadSettings } from './settings-store.ts';

let root: string;
let n = 0;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-settings-'));
});
after(() => rmSync(root, { recursive: true, force: true }));
const folder = (content?: string) => {
  const dir = path.join(root, `u${++n}`);
  const storage = createDirStorage(dir);
  return { dir, storage, init: content === undefined ? Promise.resolve() : storage.write(SETTINGS_FILE, content) };
};
const onDisk = (dir: string, name = SETTINGS_FILE) => readFileSync(path.join(dir, name), 'utf8');

test('no file: every default; an update is validated, saved whole and announced', async () => {
  const { dir, storage } = folder();
  const s = await loadSettings(storage);
  assert.deepEqual(s.get(), defaultSettings());
  assert.equal(s.problem, undefined);
  const seen: boolean[] = [];
  s.onChange((v) => seen.push(v.alerts.doNotDisturb));
  await s.update({ alerts: { doNotDisturb: true, quietHours: { enabled: true } }, skin: 'Classic' });
  assert.deepEqual(seen, [true]);
  const saved = JSON.parse(onDisk(dir));
  assert.equal(saved.version, 2);
  assert.equal(saved.alerts.doNotDisturb, true);
  assert.deepEqual(saved.alerts.quietHours, { enabled: true, from: '22:00', to: '07:00' }, 'a partial quietHours keeps the other fields');
  assert.equal((await loadSettings(storage)).get().skin, 'Classic', 'read back after a restart');
});

test('a bad update names the key and changes nothing, in memory or on disk', async () => {
  const { dir, storage } = folder();
  const s = await loadSettings(storage);
  await s.update({ skin: 'Classic' });
  const before = onDisk(dir);
  await assert.rejects(s.update({ alerts: { quietHours: { from: '25:00' } } }), (e: Error) => e instanceof SettingsError && /"alerts.quietHours.from": must be HH:MM/.test(e.message));
  await assert.rejects(s.update({ alerts: { digestThreshold: 0 } }), /"alerts.digestThreshold"/);
  await assert.rejects(s.update({ webmail: { preset: 'roundcube', baseUrl: 'javascript:alert(1)' } }), /"webmail.baseUrl"/);
  assert.equal(s.get().skin, 'Classic');
  assert.equal(onDisk(dir), before);
});

test('migration: a version-1 file (flat layout) becomes version 2, keeping what the user chose', async () => {
  const { dir, storage, init } = folder(JSON.stringify({ dnd: true, quietHours: '21:30-06:45', sounds: false, skin: 'Classic', mutedFolders: ['Lists/dev', 'Spam'] }));
  await init;
  const s = await loadSettings(storage);
  assert.equal(s.problem, undefined);
  const v = s.get();
  assert.equal(v.version, 2);
  assert.equal(v.alerts.doNotDisturb, true);
  assert.deepEqual(v.alerts.quietHours, { enabled: true, from: '21:30', to: '06:45' });
  assert.deepEqual(v.alerts.folders, { 'Lists/dev': false, Spam: false });
  assert.equal(v.sounds.enabled, false);
  assert.equal(v.skin, 'Classic');
  assert.equal(JSON.parse(onDisk(dir)).version, 2, 'the migrated file is written back');
});

test('unusable files are kept, never silently overwritten; a newer version is left alone', async () => {
  {
    const { dir, storage, init } = folder('{"alerts": {"enabled": tru');
    await init;
    const s = await loadSettings(storage);
    assert.deepEqual(s.get(), defaultSettings());
    assert.match(s.problem!.message, /not valid JSON.*kept as settings.json.broken/);
    assert.equal(onDisk(dir, 'settings.json.broken'), '{"alerts": {"enabled": tru');
  }
  {
    const { storage, init } = folder(JSON.stringify({ version: 2, alerts: { digestThreshold: 'many' } }));
    await init;
    const s = await loadSettings(storage);
    assert.match(s.problem!.message, /"alerts.digestThreshold"/);
  }
  {
    const newer = JSON.stringify({ version: 9, future: true });
    const { dir, storage, init } = folder(newer);
    await init;
    const s = await loadSettings(storage);
    assert.match(s.problem!.message, /version 9, written by a newer Herald/);
    await assert.rejects(s.update({ skin: 'x' }), SettingsError);
    assert.equal(onDisk(dir), newer, 'untouched');
  }
});

const config = (over: Partial<ClientConfig> = {}): ClientConfig => ({
  user: { address: 'alice@example.com', displayName: 'Alice' },
  webmail: { urlTemplate: 'https://mail.example.com/?_task=mail&_mbox={folder}' },
  xmpp: { enabled: true, domain: 'example.com', tcp: { host: 'gw', port: 5222 }, websocketUrl: 'ws://gw/xmpp-websocket' },
  pollIntervalSeconds: 30,
  skin: { default: 'Default', locked: false },
  sounds: { newMail: true, messageIn: true },
  alerts: { digestThreshold: 5, folders: 'all' },
  ...over,
});

test('admin-locked settings from the gateway win over the user’s', () => {
  const user = { ...defaultSettings(), skin: 'Classic', webmail: { preset: 'sogo' as const, baseUrl: 'https://other.example/SOGo' } };
  user.alerts = { ...user.alerts, digestThreshold: 3 };
  const free = effectiveSettings(user, config());
  assert.equal(free.skin.name, 'Classic', 'unlocked: the user’s skin');
  assert.equal(free.alerts.digestThreshold, 3, 'the user’s own threshold');
  assert.equal(free.webmail.template, 'https://mail.example.com/?_task=mail&_mbox={folder}', 'the organisation’s webmail wins');
  assert.equal(free.webmail.source, 'gateway');
  assert.equal(free.pollIntervalSeconds, 30);
  assert.ok(free.locked.includes('webmail') && free.locked.includes('pollInterval'));

  const locked = effectiveSettings(user, config({ skin: { default: 'Default', locked: true }, sounds: { newMail: false, messageIn: false }, alerts: { digestThreshold: 5, folders: 'inbox' } }));
  assert.deepEqual(locked.skin, { name: 'Default', locked: true });
  assert.equal(locked.sounds.newMailAllowed, false);
  assert.equal(locked.alerts.scope, 'inbox');
  assert.deepEqual([...locked.locked].sort(), ['alerts.scope', 'pollInterval', 'skin', 'sounds', 'webmail']);

  const noWebmail = effectiveSettings(user, config({ webmail: { urlTemplate: '' } }));
  assert.deepEqual(noWebmail.webmail, { template: 'https://other.example/SOGo/so/{user}/Mail/view#!/Mail/0/{folder}', source: 'user' }, 'the user’s choice when the gateway names none');
  const preset = effectiveSettings(defaultSettings(), config({ webmail: { urlTemplate: 'roundcube:https://mail.example.com/rc' } }));
  assert.equal(preset.webmail.template, 'https://mail.example.com/rc/?_task=mail&_mbox={folder}', 'an admin may name a preset');

  const offline = effectiveSettings(defaultSettings(), undefined);
  assert.deepEqual([offline.skin.name, offline.pollIntervalSeconds, offline.alerts.digestThreshold, offline.webmail.source], ['Default', 60, 5, 'none']);
});

test('storage names cannot leave the data folder; a missing file reads as undefined', async () => {
  const { storage } = folder();
  assert.equal(await storage.read('nothing.json'), undefined);
  for (const bad of ['../evil', '/etc/passwd', 'a/b', '..', '', '.hidden']) {
    await assert.rejects(async () => storage.write(bad, 'x'), /invalid storage name/, bad);
  }
  writeFileSync(path.join(root, 'evil'), 'kept');
  assert.equal(readFileSync(path.join(root, 'evil'), 'utf8'), 'kept');
});

test('changes made at once all land: each merges with the one before (none is lost to a slow save)', async () => {
  const { dir, storage } = folder();
  const s = await loadSettings(storage);
  const results = await Promise.all([
    s.update({ alerts: { quietHours: { enabled: true } } }),
    s.update({ alerts: { quietHours: { from: '21:30' } } }),
    s.update({ alerts: { folders: { 'Projects/Herald': false } } }),
    s.update({ skin: 'x'.repeat(500) }).catch((e: unknown) => e),
    s.update({ sounds: { enabled: false } }),
  ]);
  assert.ok(results[3] instanceof SettingsError, 'a bad change in the middle is refused alone');
  const saved = JSON.parse(onDisk(dir));
  assert.deepEqual(saved.alerts.quietHours, { enabled: true, from: '21:30', to: '07:00' });
  assert.deepEqual(saved.alerts.folders, { 'Projects/Herald': false });
  assert.equal(saved.sounds.enabled, false);
  assert.deepEqual(s.get(), saved);
});
