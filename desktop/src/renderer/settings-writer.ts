// Settings changes as the user sees them: the change shows at once (a checkbox that snapped back
// until the core's answer arrived flickered, and a click landing in that gap was lost — the
// "Clicking the checkbox did not change its state" failure of a busy machine), the core's answer
// then settles the value. While changes are on their way, pushes of older settings from the core
// are held back so they cannot undo what the user just did; the last answer wins. A refused
// change puts back what the core has and says why.
import type { SettingsView } from '../shared/ipc.ts';
import { mergeSettingsPatch, type UserSettingsPatch } from '../shared/settings.ts';
import type { Cell } from './cell.ts';

export interface SettingsWriter {
  /** Shows the change now, saves it; rejects (after restoring the saved settings) when refused. */
  change(patch: UserSettingsPatch): Promise<SettingsView>;
  /** A push from the core: shown unless the user's own changes are still on their way. */
  pushed(view: SettingsView): void;
}

export function createSettingsWriter(deps: {
  cell: Cell<SettingsView | undefined>;
  send: (patch: UserSettingsPatch) => Promise<SettingsView>;
  load: () => Promise<SettingsView>;
}): SettingsWriter {
  let pending = 0;
  /** The newest settings the core confirmed while changes were pending (shown when the last settles). */
  let latest: SettingsView | undefined;
  const settle = (view: SettingsView | undefined) => {
    if (--pending === 0 && view) deps.cell.set(view);
  };
  return {
    async change(patch) {
      const shown = deps.cell.value;
      if (shown) deps.cell.set({ ...shown, user: mergeSettingsPatch(shown.user, patch) });
      pending++;
      try {
        const view = await deps.send(patch);
        latest = view;
        settle(view);
        return view;
      } catch (e) {
        // What the core holds now (the other pending changes may have landed): never leave the
        // refused change showing.
        const saved = await deps.load().catch(() => latest ?? shown);
        latest = saved;
        if (pending === 1 && saved) deps.cell.set(saved);
        settle(undefined);
        throw e;
      }
    },
    pushed(view) {
      latest = view;
      if (pending === 0) deps.cell.set(view);
    },
  };
}
