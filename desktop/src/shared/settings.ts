// The user's settings file (settings.json in the user data folder): one zod schema with every
// default. The core migrates older versions (core/settings/settings-migrations.ts) and lets the
// gateway's admin-locked values win (core/settings/effective-settings.ts). Pure: shared with the
// renderer's settings view.
import { z } from 'zod';

export const SETTINGS_VERSION = 2;

/**
 * Events a skin's [Sounds] section (and the user) can give a sound. Chat events are used by the chat
 * part; ServerMessage is an IM the server itself sends (herald@<domain>: SEM scripts, alert rules,
 * reminders) — a skin without it plays its MessageIn sound (main/sound-choice.ts).
 */
export const SoundEventSchema = z.enum(['NewMail', 'MessageIn', 'MessageOut', 'ContactOnline', 'ContactOffline', 'FileReceived', 'ServerMessage']);
export type SoundEvent = z.infer<typeof SoundEventSchema>;

/**
 * `skin`: the active skin's sound; `none`: silent; `{file}`: a sound file of the user's (absolute
 * path; the app keeps its own copy under <userData>/Sounds, see core/sounds/user-sounds.ts) and
 * the name it had when the user picked it.
 */
export const SoundChoiceSchema = z.union([z.literal('skin'), z.literal('none'), z.strictObject({ file: z.string().min(1).max(4096), name: z.string().min(1).max(255).optional() })]);
export type SoundChoice = z.infer<typeof SoundChoiceSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');

export const WebmailPresetSchema = z.enum(['roundcube', 'sogo', 'snappymail', 'horde']);
export type WebmailPreset = z.infer<typeof WebmailPresetSchema>;

/** The user's own webmail choice: used only when the gateway names no webmail (the admin's template wins). */
export const WebmailChoiceSchema = z.discriminatedUnion('preset', [
  z.strictObject({ preset: WebmailPresetSchema, baseUrl: z.url({ protocol: /^https?$/ }) }),
  z.strictObject({ preset: z.literal('custom'), template: z.string().min(1).max(2000) }),
]);
export type WebmailChoice = z.infer<typeof WebmailChoiceSchema>;

const QuietHoursSchema = z.strictObject({ enabled: z.boolean().default(false), from: hhmm.default('22:00'), to: hhmm.default('07:00') });
const AlertsSchema = z.strictObject({
  /** Pop-ups for new mail at all. */
  enabled: z.boolean().default(true),
  doNotDisturb: z.boolean().default(false),
  /** Local time; `from` after `to` spans midnight (22:00–07:00). */
  quietHours: QuietHoursSchema.prefault({}),
  /** More new messages than this within a burst become one digest; null: the gateway's value. */
  digestThreshold: z.number().int().min(1).max(1000).nullable().default(null),
  /** Per folder path: false switches that folder's pop-ups off (default on). */
  folders: z.record(z.string().min(1).max(1000), z.boolean()).default({}),
});
const SoundsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Per event; an event not listed plays the skin's sound. */
  events: z.partialRecord(SoundEventSchema, SoundChoiceSchema).default({}),
});

export const UserSettingsSchema = z.strictObject({
  version: z.literal(SETTINGS_VERSION).default(SETTINGS_VERSION),
  alerts: AlertsSchema.prefault({}),
  sounds: SoundsSchema.prefault({}),
  /** Skin name; null: the gateway's default skin. */
  skin: z.string().min(1).max(100).nullable().default(null),
  webmail: WebmailChoiceSchema.nullable().default(null),
});
export type UserSettings = z.infer<typeof UserSettingsSchema>;

/** A change to the settings: any part but the version; objects merge one level deep (quietHours two). */
export const UserSettingsPatchSchema = z.strictObject({
  alerts: z
    .strictObject({
      enabled: z.boolean(),
      doNotDisturb: z.boolean(),
      quietHours: z.strictObject({ enabled: z.boolean(), from: hhmm, to: hhmm }).partial(),
      digestThreshold: z.number().int().min(1).max(1000).nullable(),
      folders: z.record(z.string().min(1).max(1000), z.boolean()),
    })
    .partial(),
  sounds: z.strictObject({ enabled: z.boolean(), events: z.partialRecord(SoundEventSchema, SoundChoiceSchema) }).partial(),
  skin: z.string().min(1).max(100).nullable(),
  webmail: WebmailChoiceSchema.nullable(),
}).partial();
export type UserSettingsPatch = z.infer<typeof UserSettingsPatchSchema>;

export const defaultSettings = (): UserSettings => UserSettingsSchema.parse({});

/**
 * The settings a patch makes, without validation: objects merge one level deep (quietHours two).
 * The one merge rule, used by the core when it saves and by the renderer to show a change at once.
 */
export function mergeSettingsPatch(current: UserSettings, patch: UserSettingsPatch): UserSettings {
  return {
    ...current,
    ...patch,
    alerts: { ...current.alerts, ...patch.alerts, quietHours: { ...current.alerts.quietHours, ...patch.alerts?.quietHours } },
    sounds: { ...current.sounds, ...patch.sounds },
    version: current.version,
  };
}

/** Settings after the gateway's admin policy (what the core acts on and the UI shows). */
export interface EffectiveSettings {
  alerts: {
    enabled: boolean;
    doNotDisturb: boolean;
    quietHours: UserSettings['alerts']['quietHours'];
    digestThreshold: number;
    /** Admin policy: all folders, or INBOX only. */
    scope: 'all' | 'inbox';
    folders: Record<string, boolean>;
  };
  sounds: { enabled: boolean; newMailAllowed: boolean; messageInAllowed: boolean; events: UserSettings['sounds']['events'] };
  skin: { name: string; locked: boolean };
  /** Template with `{folder}`/`{user}`/`{folderBase64}` placeholders; '' when there is none. */
  webmail: { template: string; source: 'gateway' | 'user' | 'none' };
  pollIntervalSeconds: number;
  /** Settings the admin decides (the UI greys them out). */
  locked: ('skin' | 'sounds' | 'alerts.scope' | 'pollInterval' | 'webmail')[];
}
