// Messages the server has not acknowledged yet (XEP-0198 §4 "Acks"), kept in chat-outbox.json
// until it has, so nothing the user sent is lost — not to a dropped connection, a failed stream
// resumption or the app being closed. Each entry is the stanza as first sent, with its stable id
// (the receiving side deduplicates by it). `written` says whether it is on the wire of the current
// session, where xmpp.js's stream management tracks and, after a resumption, resends it; the
// others are sent again by the chat once a session is up — then with a XEP-0203 <delay/> of the
// first attempt, so the recipient sees when it was written.
import { parse, type Element } from 'ltx';
import { z } from 'zod';
import type { Storage } from '../ports/storage.ts';
import { NS } from './ns.ts';

export const OUTBOX_FILE = 'chat-outbox.json';
const MAX_ENTRIES = 1000;

const FileSchema = z.object({
  account: z.string(),
  entries: z.array(z.object({ id: z.string(), to: z.string(), kind: z.enum(['chat', 'groupchat']), xml: z.string(), at: z.string() })),
});

export interface OutboxEntry {
  id: string;
  to: string;
  kind: 'chat' | 'groupchat';
  xml: string;
  at: string;
  written: boolean;
}

export interface OutboxOptions {
  /**
   * Saving the file failed (disk full, folder gone, no permission). The messages stay in memory
   * and are still sent; every later change writes the whole list again, so one good write heals
   * it. Called again with `undefined` once a write succeeds after a failure.
   */
  onSaveProblem?: (e: Error | undefined) => void;
}

export function createOutbox(storage: Storage, o: OutboxOptions = {}) {
  let account = '';
  const entries = new Map<string, OutboxEntry>();
  let saving: Promise<void> = Promise.resolve();
  let problem: Error | undefined;

  const save = (): Promise<void> => {
    const snapshot = JSON.stringify({ account, entries: [...entries.values()].map(({ id, to, kind, xml, at }) => ({ id, to, kind, xml, at })) });
    saving = saving
      .then(() => storage.write(OUTBOX_FILE, snapshot))
      .then(
        () => {
          if (!problem) return;
          problem = undefined;
          o.onSaveProblem?.(undefined);
        },
        (e: unknown) => {
          // Not thrown to the sender: the message is kept (in memory) and goes out all the same;
          // what is lost is only its surviving a restart, and that is what the report says.
          problem = e instanceof Error ? e : new Error(String(e));
          o.onSaveProblem?.(problem);
        },
      );
    return saving;
  };

  return {
    /** Reads what an earlier run left unsent for this account (another account's is dropped). */
    async load(forAccount: string): Promise<void> {
      account = forAccount;
      entries.clear();
      try {
        const r = FileSchema.safeParse(JSON.parse((await storage.read(OUTBOX_FILE)) ?? 'null'));
        if (r.success && r.data.account === forAccount) for (const e of r.data.entries) entries.set(e.id, { ...e, written: false });
      } catch {
        // unreadable: nothing to resend
      }
    },
    async add(e: Omit<OutboxEntry, 'written'>): Promise<void> {
      if (entries.size >= MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} messages wait to be sent`);
      entries.set(e.id, { ...e, written: false });
      await save();
    },
    has: (id: string): boolean => entries.has(id),
    get: (id: string): OutboxEntry | undefined => entries.get(id),
    written(id: string, on: boolean): void {
      const e = entries.get(id);
      if (e) e.written = on;
    },
    /** The server has it: forget it. */
    async done(id: string): Promise<OutboxEntry | undefined> {
      const e = entries.get(id);
      if (!e) return undefined;
      entries.delete(id);
      await save();
      return e;
    },
    /** A new session: nothing is on its wire yet. */
    unwriteAll(): void {
      for (const e of entries.values()) e.written = false;
    },
    /** What must be sent (again), oldest first. */
    waiting: (): OutboxEntry[] => [...entries.values()].filter((e) => !e.written).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
    size: (): number => entries.size,
    flushed: (): Promise<void> => saving,
    /** Why the last write of the file failed; undefined when it is on disk as it stands. */
    saveProblem: (): Error | undefined => problem,
  };
}
export type Outbox = ReturnType<typeof createOutbox>;

/** The stanza to send again: as first sent, stamped with the time of the first attempt. */
export function resendStanza(e: OutboxEntry, from: string): Element {
  const el = parse(e.xml);
  if (!el.getChild('delay', NS.delay)) el.c('delay', { xmlns: NS.delay, from, stamp: e.at });
  return el;
}
