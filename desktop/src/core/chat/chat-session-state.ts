// What the chat keeps between runs in chat-state.json, per account: its XMPP resource (stable, so
// a restart replaces the old session instead of piling up ghosts) and where the next MAM catch-up
// starts (XEP-0313: the last archive id seen, and its time for when the server no longer knows the id).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '../ports/storage.ts';

export const CHAT_STATE_FILE = 'chat-state.json';

const StateSchema = z.object({
  account: z.string(),
  resource: z.string().min(1).max(100),
  archive: z.object({ lastId: z.string(), lastStamp: z.string() }).optional(),
});
export type ChatSessionState = z.infer<typeof StateSchema>;

export function createSessionState(storage: Storage) {
  let state: ChatSessionState | undefined;
  let writing: Promise<void> = Promise.resolve();
  let dirty = false;

  const save = (): Promise<void> => {
    if (dirty) return writing;
    dirty = true;
    // One write at a time; changes made meanwhile go into the next one.
    writing = writing.then(async () => {
      dirty = false;
      if (state) await storage.write(CHAT_STATE_FILE, JSON.stringify(state)).catch(() => {});
    });
    return writing;
  };

  return {
    async load(account: string): Promise<ChatSessionState> {
      let s: ChatSessionState | undefined;
      try {
        const r = StateSchema.safeParse(JSON.parse((await storage.read(CHAT_STATE_FILE)) ?? 'null'));
        if (r.success && r.data.account === account) s = r.data;
      } catch {
        // unreadable: start afresh
      }
      state = s ?? { account, resource: `herald-${randomBytes(4).toString('hex')}` };
      await save();
      return state;
    },
    get: (): ChatSessionState | undefined => state,
    archiveSeen(lastId: string, lastStamp: string): void {
      if (!state) return;
      state.archive = { lastId, lastStamp };
      void save();
    },
    flushed: (): Promise<void> => writing,
  };
}
