// The IMAP reads a watch makes, one function each: the folder list with every folder's counters
// in one round trip (LIST-STATUS, RFC 5819), STATUS of one folder (RFC 3501 §6.3.10), the
// number of new messages (UID SEARCH UNSEEN, §6.4.4) and the summaries of new messages
// (UID FETCH ENVELOPE FLAGS INTERNALDATE + the priority header fields, §6.4.5), and one
// message's source with a size cap (BODY.PEEK[]<0.n>). Every folder is opened read-only
// (EXAMINE, §6.3.2), so watching never changes a flag.
import type { FetchMessageObject, ImapFlow, ListResponse, StatusObject } from 'imapflow';
import { PRIORITY_HEADERS } from '../priority.ts';
import { guessSpecialUse, type NewMail, type RawMessage } from '../source.ts';
import { newMailFromFetch } from './alert-summary.ts';
import { topUid, uidChunks, type FolderStatus, type TrackedFolder } from './folder-track.ts';

const STATUS_QUERY = { messages: true, unseen: true, uidNext: true, uidValidity: true } as const;
/** Messages per UID FETCH, so that a mailbox full of unalerted mail never builds one huge response. */
const FETCH_CHUNK = 200;

/** The folder's special use as the server states it (RFC 6154), else guessed from its name. */
export function specialUseOf(e: Pick<ListResponse, 'path' | 'delimiter' | 'specialUse' | 'specialUseSource'>): string | null {
  if (e.path.toUpperCase() === 'INBOX') return '\\Inbox';
  if (e.specialUse && e.specialUseSource === 'extension') return e.specialUse;
  return guessSpecialUse(e.path, e.delimiter || '/');
}

function toStatus(path: string, name: string, specialUse: string | null, s: StatusObject): FolderStatus | undefined {
  if (s.messages === undefined || s.uidValidity === undefined) return undefined;
  const uidNext = s.uidNext ?? 0;
  return {
    path,
    name,
    specialUse,
    messages: s.messages,
    unseen: s.unseen ?? 0,
    uidNext,
    uidValidity: Number(s.uidValidity),
  };
}

export interface FolderList {
  /** Selectable folders with their counters. */
  folders: FolderStatus[];
  /** Every selectable folder listed, also those whose counters did not come (kept, not forgotten). */
  listed: Set<string>;
}

/** Every selectable folder with its counters. imapflow decodes modified UTF-7 names to UTF-8. */
export async function listFolders(client: ImapFlow): Promise<FolderList> {
  const entries = await client.list({ statusQuery: STATUS_QUERY });
  const out: FolderList = { folders: [], listed: new Set() };
  for (const e of entries) {
    if (e.flags.has('\\Noselect') || e.flags.has('\\NonExistent')) continue;
    out.listed.add(e.path);
    if (!e.status || 'error' in e.status) continue;
    const s = toStatus(e.path, e.name, specialUseOf(e), e.status);
    if (s) out.folders.push(s);
  }
  return out;
}

/** STATUS of one known folder; undefined when the folder no longer exists. */
export async function folderStatus(client: ImapFlow, known: Pick<FolderStatus, 'path' | 'name' | 'specialUse'>): Promise<FolderStatus | undefined> {
  let s: StatusObject | false;
  try {
    s = await client.status(known.path, STATUS_QUERY);
  } catch (err) {
    // imapflow throws NotFound after a NO when a LIST confirms the folder is gone.
    if ((err as { code?: string }).code === 'NotFound') return undefined;
    throw err;
  }
  // false: any other failure (imapflow does not throw for those) — not a reason to forget the folder.
  const status = s && toStatus(known.path, known.name, known.specialUse, s);
  if (!status) throw new Error(`STATUS ${known.path} failed`);
  return status;
}

/** Opens `path` read-only unless it is the open mailbox already. */
export async function examine(client: ImapFlow, path: string): Promise<void> {
  const open = client.mailbox;
  if (open && open.path === path) return;
  await client.mailboxOpen(path, { readOnly: true });
}

/** Unseen messages with uid > ackedUid. Ranges are explicit (no `*`: "n:*" matches the last message even below n). */
export async function countFresh(client: ImapFlow, t: TrackedFolder): Promise<number> {
  await examine(client, t.path);
  const uids = await client.search({ seen: false, uid: `${t.ackedUid + 1}:${topUid(t)}` }, { uid: true });
  if (!Array.isArray(uids)) throw new Error(`UID SEARCH in ${t.path} failed`);
  let n = 0;
  for (const uid of uids) if (uid > t.ackedUid) n++;
  return n;
}

export interface NewMessage {
  uid: number;
  /** Undefined when the message is already \Seen (read elsewhere before we looked). */
  alert: NewMail | undefined;
}

/** Summaries of the messages with uid in from..to, in uid order. */
export async function fetchNewMessages(client: ImapFlow, t: TrackedFolder, from: number, to: number): Promise<NewMessage[]> {
  await examine(client, t.path);
  const out: NewMessage[] = [];
  for (const range of uidChunks(from, to, FETCH_CHUNK)) {
    const msgs: FetchMessageObject[] = await client.fetchAll(
      range,
      { uid: true, envelope: true, flags: true, internalDate: true, headers: [...PRIORITY_HEADERS] },
      { uid: true },
    );
    for (const m of msgs) {
      if (m.uid < from || m.uid > to) continue;
      const seen = m.flags?.has('\\Seen') ?? false;
      out.push({ uid: m.uid, alert: seen ? undefined : newMailFromFetch(t.path, m.uid, m.envelope, m.internalDate, m.headers) });
    }
  }
  return out.sort((a, b) => a.uid - b.uid);
}

/** The first `maxBytes` of message `uid`'s source (BODY.PEEK[]<0.maxBytes>, RFC 3501 §6.4.5); undefined when there is no such message. */
export async function fetchRawMessage(client: ImapFlow, path: string, uid: number, maxBytes: number): Promise<RawMessage | undefined> {
  await examine(client, path);
  const m = await client.fetchOne(String(uid), { uid: true, size: true, source: { start: 0, maxLength: maxBytes } }, { uid: true });
  if (!m || m.uid !== uid) return undefined;
  const bytes = m.source ?? Buffer.alloc(0);
  const size = m.size ?? bytes.length;
  return { bytes, size, truncated: size > bytes.length };
}
