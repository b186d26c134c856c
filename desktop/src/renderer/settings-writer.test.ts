import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SettingsView } from '../shared/ipc.ts';
import { defaultSettings, mergeSettingsPatch, type UserSettingsPatch } from '../shared/settings.ts';
import { Cell } from './cell.ts';
import { createSettingsWriter } from './settings-writer.ts';

const view = (quiet: boolean, dnd = false): SettingsView => {
  const user = mergeSettingsPatch(defaultSettings(), { alerts: { quietHours: { enabled: quiet }, doNotDisturb: dnd } });
  return { user, effective: {} as SettingsView['effective'] };
};

/** A core whose answers the test releases one by one. */
function slowCore(start: SettingsView) {
  let saved = start;
  const calls: { patch: UserSettingsPatch; answer: () => void; refuse: (e: Error) => void }[] = [];
  return {
    calls,
    load: async () => saved,
    send: (patch: UserSettingsPatch) =>
      new Promise<SettingsView>((resolve, reject) => {
        calls.push({
          patch,
          answer: () => {
            saved = { ...saved, user: mergeSettingsPatch(saved.user, patch) };
            resolve(saved);
          },
          refuse: reject,
        });
      }),
  };
}

test('a change shows before the core answers, and the answer keeps it', async () => {
  const cell = new Cell<SettingsView | undefined>(view(false));
  const core = slowCore(view(false));
  const w = createSettingsWriter({ cell, ...core });
  const done = w.change({ alerts: { quietHours: { enabled: true } } });
  assert.equal(cell.value?.user.alerts.quietHours.enabled, true, 'shown at once, not after the round trip');
  core.calls[0]!.answer();
  await done;
  assert.equal(cell.value?.user.alerts.quietHours.enabled, true);
});

test('a push of older settings while a change is on its way does not undo it', async () => {
  const cell = new Cell<SettingsView | undefined>(view(false));
  const core = slowCore(view(false));
  const w = createSettingsWriter({ cell, ...core });
  const first = w.change({ alerts: { quietHours: { enabled: true } } });
  const second = w.change({ alerts: { doNotDisturb: true } });
  core.calls[0]!.answer();
  // The core pushes the state after the first write: DND is still off there.
  w.pushed(view(true, false));
  assert.equal(cell.value?.user.alerts.doNotDisturb, true, 'the second change still shows');
  await first;
  assert.equal(cell.value?.user.alerts.doNotDisturb, true, 'the first answer does not undo the second change either');
  core.calls[1]!.answer();
  await second;
  assert.deepEqual([cell.value?.user.alerts.quietHours.enabled, cell.value?.user.alerts.doNotDisturb], [true, true]);
  // With nothing pending, pushes show as they come (proves the hold above was the pending change's doing).
  w.pushed(view(false, false));
  assert.equal(cell.value?.user.alerts.quietHours.enabled, false);
});

test('a refused change is taken back to what the core holds, and the caller hears why', async () => {
  const cell = new Cell<SettingsView | undefined>(view(false));
  const core = slowCore(view(false));
  const w = createSettingsWriter({ cell, ...core });
  const done = w.change({ alerts: { quietHours: { enabled: true } } });
  assert.equal(cell.value?.user.alerts.quietHours.enabled, true);
  core.calls[0]!.refuse(new Error('disk full'));
  await assert.rejects(done, /disk full/);
  assert.equal(cell.value?.user.alerts.quietHours.enabled, false);
});
