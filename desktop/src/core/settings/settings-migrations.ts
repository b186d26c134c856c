// Settings file migrations: each step takes the parsed JSON of version n and returns version n+1.
// A file without `version` is treated as version 1 (the flat layout of the first format below).
import { SETTINGS_VERSION } from '../../shared/settings.ts';

type Json = Record<string, unknown>;
type Migration = (old: Json) => Json;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * v1 was flat: {dnd, quietHours: "22:00-07:00" | null, sounds: boolean, skin, mutedFolders: [path]}.
 * v2 groups alert settings and sound choices per event.
 */
const v1ToV2: Migration = (old) => {
  const alerts: Json = {};
  if (typeof old.dnd === 'boolean') alerts.doNotDisturb = old.dnd;
  if (typeof old.quietHours === 'string') {
    const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(old.quietHours);
    if (m) alerts.quietHours = { enabled: true, from: m[1], to: m[2] };
  }
  if (Array.isArray(old.mutedFolders)) alerts.folders = Object.fromEntries(old.mutedFolders.filter((f) => typeof f === 'string' && f).map((f) => [f, false]));
  const next: Json = { version: 2, alerts };
  if (typeof old.sounds === 'boolean') next.sounds = { enabled: old.sounds };
  if (typeof old.skin === 'string' || old.skin === null) next.skin = old.skin;
  return next;
};

/** MIGRATIONS[n - 1] turns version n into n + 1. Append; never edit a shipped step. */
const MIGRATIONS: Migration[] = [v1ToV2];

export class SettingsVersionError extends Error {
  override name = 'SettingsVersionError';
}

/** Brings parsed settings JSON up to SETTINGS_VERSION (not yet validated). */
export function migrateSettings(raw: unknown): { value: Json; from: number } {
  if (!isObject(raw)) throw new TypeError('the settings file is not a JSON object');
  const from = raw.version === undefined ? 1 : raw.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) throw new TypeError(`"version" must be a positive integer, not ${JSON.stringify(raw.version)}`);
  if (from > SETTINGS_VERSION) throw new SettingsVersionError(`the settings file has version ${from}, written by a newer Herald (this one reads up to ${SETTINGS_VERSION})`);
  let value: Json = raw;
  for (let v = from; v < SETTINGS_VERSION; v++) value = MIGRATIONS[v - 1]!(value);
  return { value, from };
}
