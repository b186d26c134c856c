// Every bundled skin (styles/<Name>) has a sound for every event the settings list, each one a
// sound the core reads as playable (core/sounds/sound-format.ts), short enough for a
// notification, and distinct from the skin's other sounds — so no event silently falls back to
// nothing. (The Chromium UI test decodes the same files with Web Audio.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SoundEventSchema } from '../../shared/settings.ts';
import { discoverSkins } from '../skins/skin-catalog.ts';
import { readSoundInfo } from './sound-format.ts';

const STYLES = path.resolve(import.meta.dirname, '../../../../styles');

test('every bundled skin has a playable, distinct sound for every event', async () => {
  const catalog = await discoverSkins({ bundledDir: STYLES });
  assert.deepEqual(catalog.rejected, []);
  assert.deepEqual(catalog.skins.map((s) => s.id).sort(), ['Classic', 'Dark', 'Default']);
  for (const skin of catalog.skins) {
    const hashes = new Set<string>();
    for (const event of SoundEventSchema.options) {
      const asset = skin.sounds[event];
      assert.ok(asset, `${skin.id} has a ${event} sound`);
      const bytes = readFileSync(asset.file);
      const info = readSoundInfo(bytes);
      assert.ok(info.durationMs! >= 30 && info.durationMs! <= 1500, `${skin.id} ${event}: ${info.durationMs} ms`);
      hashes.add(createHash('sha256').update(bytes).digest('hex'));
    }
    assert.equal(hashes.size, SoundEventSchema.options.length, `${skin.id}: every event sounds different`);
  }
});
