// The settings file: loaded once (migrated, validated, defaults filled in), changed by patches,
// saved whole. A file that cannot be used is never silently overwritten: it is kept beside as
// settings.json.broken (or left alone when a newer Herald wrote it) and the problem reported.
import { UserSettingsSchema, defaultSettings, mergeSettingsPatch, type UserSettings, type UserSettingsPatch } from '../../shared/settings.ts';
import type { Storage } from '../ports/storage.ts';
import { SettingsVersionError, migrateSettings } from './settings-migrations.ts';

export const SETTINGS_FILE = 'settings.json';

export interface SettingsProblem {
  /** What is wrong, naming the key when one is. */
  message: string;
  /** Where the unusable file was kept, if it was moved. */
  keptAs?: string;
}

export interface SettingsStore {
  get(): UserSettings;
  /** Validates the merged result; throws a SettingsError naming the bad key, and changes nothing then. */
  update(patch: UserSettingsPatch): Promise<UserSettings>;
  onChange(listener: (s: UserSettings) => void): () => void;
  /** Set when the file on disk could not be used at load. */
  readonly problem: SettingsProblem | undefined;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const describe = (issues: { path: PropertyKey[]; message: string }[]) =>
  issues.map((i) => `"${i.path.map(String).join('.') || '(root)'}": ${i.message}`).join('; ');

export async function loadSettings(storage: Storage): Promise<SettingsStore> {
  let current = defaultSettings();
  let problem: SettingsProblem | undefined;
  let writable = true;
  const text = await storage.read(SETTINGS_FILE);
  if (text !== undefined) {
    try {
      const { value, from } = migrateSettings(JSON.parse(text));
      const r = UserSettingsSchema.safeParse(value);
      if (!r.success) throw new SettingsError(`invalid settings: ${describe(r.error.issues)}`);
      current = r.data;
      if (from !== current.version) await storage.write(SETTINGS_FILE, `${JSON.stringify(current, null, 2)}\n`);
    } catch (e) {
      if (e instanceof SettingsVersionError) {
        // Leave a newer version's file alone: downgrading the app must not destroy it.
        writable = false;
        problem = { message: `${e.message}; using defaults until it is upgraded` };
      } else {
        const keptAs = `${SETTINGS_FILE}.broken`;
        await storage.write(keptAs, text);
        const message = e instanceof SyntaxError ? `settings.json is not valid JSON (${e.message})` : (e as Error).message;
        problem = { message: `${message}; defaults are used, the old file is kept as ${keptAs}`, keptAs };
      }
    }
  }
  const listeners = new Set<(s: UserSettings) => void>();

  let queue: Promise<unknown> = Promise.resolve();
  async function apply(patch: UserSettingsPatch): Promise<UserSettings> {
    if (!writable) throw new SettingsError(problem?.message ?? 'settings are read-only');
    const r = UserSettingsSchema.safeParse(mergeSettingsPatch(current, patch));
    if (!r.success) throw new SettingsError(`invalid settings: ${describe(r.error.issues)}`);
    await storage.write(SETTINGS_FILE, `${JSON.stringify(r.data, null, 2)}\n`);
    current = r.data;
    for (const l of listeners) l(current);
    return current;
  }

  return {
    get: () => current,
    get problem() {
      return problem;
    },
    update(patch) {
      // One change at a time: two changes merged against the same settings and saved in turn lost
      // the first (ticking "Quiet hours" then typing its start at once kept only the start).
      const run = queue.then(() => apply(patch));
      queue = run.catch(() => undefined);
      return run;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
