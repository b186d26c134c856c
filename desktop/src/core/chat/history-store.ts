// The local history folder: <dir>/<conversation>/<YYYY-MM-DD>.txt, one folder per conversation
// (a contact's or a room's bare address, file-name safe), one file per UTC day, one line per message
// (history-format.ts) — plain text a person can read, grep or delete. Lines are appended; a message
// that arrives late (an older archive page) is appended too and reading sorts a file when needed.
//
// The store is also where duplicates stop (dedupe.ts): before a line is written, its keys are
// looked up in the files of the message's day and the days beside it (a resend keeps the XEP-0203
// stamp of its first sending, so its copies fall on the same day or, around midnight, the next),
// loaded once and kept in a small cache. One write at a time per conversation, so two copies
// arriving together cannot both pass the check.
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { messageKeys } from './dedupe.ts';
import { dayOf, formatLine, parseLine, type HistoryEntry } from './history-format.ts';

export interface HistoryReadOptions {
  /** Only messages before this one: a message id, or an ISO 8601 time. */
  before?: string;
  max: number;
  /** Case-insensitive text to look for (in the text and the sender). */
  text?: string;
}

export interface HistoryStore {
  readonly dir: string;
  /** Appends unless the message is already there; false for a duplicate. */
  add(conversation: string, e: HistoryEntry): Promise<boolean>;
  /** Whether a message with these keys is stored (same day or the days beside it). */
  has(conversation: string, e: HistoryEntry): Promise<boolean>;
  /** Up to `max` messages, oldest first, the newest that match. */
  read(conversation: string, o: HistoryReadOptions): Promise<HistoryEntry[]>;
  /** The addresses that have a history folder. */
  conversations(): Promise<string[]>;
}

const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.txt$/;
const CACHE_FILES = 64;

/** A file name for an address: lower case; anything but [a-z0-9@._+-] as %XX (UTF-8); never a dot first. */
export function conversationFolder(jid: string): string {
  let out = '';
  for (const ch of jid.toLowerCase()) {
    if (/[a-z0-9@._+-]/.test(ch) && !(out === '' && ch === '.')) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).padStart(2, '0')}`;
  }
  return out.slice(0, 200) || '%00';
}

const folderToJid = (name: string): string => {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
};

function neighbourDays(day: string): string[] {
  const t = Date.parse(`${day}T00:00:00Z`);
  if (!Number.isFinite(t)) return [day];
  return [t - 86_400_000, t, t + 86_400_000].map((x) => new Date(x).toISOString().slice(0, 10));
}

async function readEntries(file: string): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: HistoryEntry[] = [];
  let sorted = true;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const line = nl === -1 ? text.slice(start) : text.slice(start, nl);
    if (line) {
      const e = parseLine(line);
      if (e) {
        if (sorted && out.length && e.at < out[out.length - 1]!.at) sorted = false;
        out.push(e);
      }
    }
    if (nl === -1) break;
    start = nl + 1;
  }
  // Stable: messages of the same millisecond keep the order they were written in.
  if (!sorted) out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return out;
}

export function createHistoryStore({ dir }: { dir: string }): HistoryStore {
  const keyCache = new Map<string, Set<string>>();
  const queues = new Map<string, Promise<unknown>>();
  const made = new Set<string>();

  const fileOf = (conversation: string, day: string) => path.join(dir, conversationFolder(conversation), `${day}.txt`);

  async function keysOf(conversation: string, day: string): Promise<Set<string>> {
    const file = fileOf(conversation, day);
    let keys = keyCache.get(file);
    if (keys) {
      keyCache.delete(file); // most recently used last
      keyCache.set(file, keys);
      return keys;
    }
    keys = new Set();
    for (const e of await readEntries(file)) for (const k of messageKeys(e)) keys.add(k);
    keyCache.set(file, keys);
    while (keyCache.size > CACHE_FILES) keyCache.delete(keyCache.keys().next().value as string);
    return keys;
  }

  async function known(conversation: string, e: HistoryEntry): Promise<boolean> {
    const keys = messageKeys(e);
    for (const day of neighbourDays(dayOf(e.at))) {
      const set = await keysOf(conversation, day);
      if (keys.some((k) => set.has(k))) return true;
    }
    return false;
  }

  function serial<T>(conversation: string, job: () => Promise<T>): Promise<T> {
    const key = conversationFolder(conversation);
    const next = (queues.get(key) ?? Promise.resolve()).then(job, job);
    queues.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }

  return {
    dir,
    has: (conversation, e) => serial(conversation, () => known(conversation, e)),
    add(conversation, e) {
      return serial(conversation, async () => {
        if (await known(conversation, e)) return false;
        const folder = path.join(dir, conversationFolder(conversation));
        if (!made.has(folder)) {
          await mkdir(folder, { recursive: true, mode: 0o700 });
          made.add(folder);
        }
        const day = dayOf(e.at);
        await appendFile(fileOf(conversation, day), formatLine(e), { encoding: 'utf8', mode: 0o600 });
        const set = await keysOf(conversation, day);
        for (const k of messageKeys(e)) set.add(k);
        return true;
      });
    },
    async read(conversation, o) {
      let files: string[];
      try {
        files = (await readdir(path.join(dir, conversationFolder(conversation)))).filter((f) => DAY_FILE.test(f)).sort();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      const needle = o.text?.toLowerCase();
      const beforeTime = o.before && /^\d{4}-\d{2}-\d{2}T/.test(o.before) ? o.before : undefined;
      const beforeId = o.before && !beforeTime ? o.before : undefined;
      // A `before` id: everything older than the newest line with that id (found while reading back).
      let passed = !beforeId;
      const out: HistoryEntry[] = [];
      for (let f = files.length - 1; f >= 0 && out.length < o.max; f--) {
        const name = files[f]!;
        if (beforeTime && name.slice(0, 10) > beforeTime.slice(0, 10)) continue;
        const entries = await readEntries(path.join(dir, conversationFolder(conversation), name));
        for (let i = entries.length - 1; i >= 0 && out.length < o.max; i--) {
          const e = entries[i]!;
          if (!passed) {
            if (e.id === beforeId) passed = true;
            continue;
          }
          if (beforeTime && e.at >= beforeTime) continue;
          if (needle && !e.body.toLowerCase().includes(needle) && !e.from.toLowerCase().includes(needle)) continue;
          out.push(e);
        }
      }
      return out.reverse();
    },
    async conversations() {
      try {
        const names = await readdir(dir, { withFileTypes: true });
        return names.filter((d) => d.isDirectory()).map((d) => folderToJid(d.name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
  };
}
