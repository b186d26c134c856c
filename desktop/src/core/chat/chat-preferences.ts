// The chat's preferences (emoticons, auto-away) in chat-preferences.json, validated by the shared
// schema; an unreadable or invalid file gives the defaults (and is overwritten at the next change).
import { ChatPreferencesPatchSchema, ChatPreferencesSchema, type ChatPreferences, type ChatPreferencesPatch } from '../../shared/chat.ts';
import type { Storage } from '../ports/storage.ts';
import { ChatError } from './chat-errors.ts';

export const PREFERENCES_FILE = 'chat-preferences.json';

export function createChatPreferences(storage: Storage) {
  let prefs: ChatPreferences = ChatPreferencesSchema.parse({});
  let loaded = false;
  return {
    get: (): ChatPreferences => prefs,
    async load(): Promise<ChatPreferences> {
      loaded = true;
      try {
        const r = ChatPreferencesSchema.safeParse(JSON.parse((await storage.read(PREFERENCES_FILE)) ?? '{}'));
        prefs = r.success ? r.data : ChatPreferencesSchema.parse({});
      } catch {
        prefs = ChatPreferencesSchema.parse({});
      }
      return prefs;
    },
    async update(patch: ChatPreferencesPatch): Promise<ChatPreferences> {
      const p = ChatPreferencesPatchSchema.safeParse(patch);
      if (!p.success) {
        const i = p.error.issues[0];
        throw new ChatError('bad_request', `chat preferences${i?.path.length ? ` "${i.path.join('.')}"` : ''}: ${i?.message ?? 'invalid'}`);
      }
      if (!loaded) await this.load();
      const next = ChatPreferencesSchema.parse({ ...prefs, ...p.data, autoAway: { ...prefs.autoAway, ...p.data.autoAway } });
      if (next.autoAway.xaMinutes < next.autoAway.awayMinutes) throw new ChatError('bad_request', 'chat preferences: xaMinutes must not be less than awayMinutes');
      await storage.write(PREFERENCES_FILE, JSON.stringify(next, null, 2));
      prefs = next;
      return prefs;
    },
  };
}
export type ChatPreferencesStore = ReturnType<typeof createChatPreferences>;
