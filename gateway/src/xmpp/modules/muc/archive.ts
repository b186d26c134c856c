// XEP-0313 §5.1.2 (MUC archives), XEP-0359 (stanza-ids by the room) and XEP-0045 §7.2.15 (history
// on join): a room's messages are kept in the message archive (store/archive.ts: owner = the room's
// JID, peer = the sender's occupant JID), written through the batched writer shared with personal
// archives (mam-writer.ts), kept `xmpp.archiveDays` like them.
//
// Archived: every groupchat message the room accepts with a <body>, an attachment (jabber:x:oob) or
// the XEP-0334 <store/> hint, and subject changes — unless it carries <no-store/> or
// <no-permanent-store/>. Stored as the room sent it (from room@service/nick, no `to`) plus the
// sender's real JID, affiliation and role in <x xmlns='…muc#user'><item/> (the rooms are
// non-anonymous; XEP-0313 §5.1.2); the reflected message carries <stanza-id by=room id=archive
// id/>. Private messages between occupants are never in a room's archive.
//
// Queries: an iq to the room's bare JID (urn:xmpp:mam:2), answered by mam-query.ts; `with` is an
// occupant JID (room@service/nick: what that nick said). Who may enter may read, at the time of the
// query (XEP-0313 §5.1.2): in a members-only room its members, admins and owners; in an open room
// every user of the room's domain (the only users the conference service admits) who is not banned.
// Others get <forbidden/>.
//
// History on join is served from the archive too — one source of truth: the last messages (not
// subject changes) up to the room's muc#maxhistoryfetch, delay-stamped, with their stanza-ids, so
// a client can tell history from what its MAM query brings. With archiving off (`xmpp.archiveDays
// = 0`) nothing of a room's messages is stored: rooms keep their last messages in memory for
// history on join, and a persistent room starts a restart without history.
//
// A room's archive ends with the room: when it is destroyed, and when a temporary room's last
// occupant leaves (a new room under that name is another room); also when a room is created, for
// what a temporary room alive at a shutdown left. Messages a room kept in muc_history before room
// archives existed are moved into its archive once, at start (importLegacyHistory).
import { Element, parse } from 'ltx';
import type { Logger } from '../../../config/logger.ts';
import { archivedAt } from '../../../store/archive.ts';
import { parseJid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { cloneEl, NS } from '../../core/stanza.ts';
import { answerArchiveQuery, NS_MAM, NS_MAM_EXTENDED, NS_SID } from '../mam-query.ts';
import { affiliation, isoStamp, NS_USER, refuse, type MucDeps, type MucState, type Occupant, type Room } from './room.ts';

const NS_HINTS = 'urn:xmpp:hints';

/** disco#info features of a room that keeps an archive (XEP-0313 §6, XEP-0359 §8). */
export const ARCHIVE_FEATURES = [NS_MAM, NS_MAM_EXTENDED, NS_SID];

/**
 * Keeps a groupchat message the room accepted: `out` is the message as the occupants get it (from
 * room@service/nick); it gets its stanza-id here when it is archived. `content`: it has a body or
 * an attachment. Subject changes go to the archive but not to the in-memory history.
 */
export function record(m: MucState, room: Room, me: Occupant, out: Element, opts: { subject: boolean; content: boolean }): void {
  if (out.getChild('no-store', NS_HINTS) || out.getChild('no-permanent-store', NS_HINTS)) return;
  if (!opts.subject && !opts.content && !out.getChild('store', NS_HINTS)) return;
  const archive = m.deps.archive;
  if (!archive) {
    if (opts.subject) return;
    room.history.push({ stanza: cloneEl(out), at: Date.now() });
    if (room.history.length > room.config.maxHistory) room.history.splice(0, room.history.length - room.config.maxHistory);
    return;
  }
  const stored = cloneEl(out);
  stored.c('x', { xmlns: NS_USER }).c('item', { jid: me.jid, affiliation: affiliation(room, me.bare), role: me.role });
  const id = archive.add(room.jid, `${room.jid}/${me.nick}`, stored.toString());
  out.c('stanza-id', { xmlns: NS_SID, by: room.jid, id: String(id) });
}

interface HistoryEntry {
  stanza: Element;
  at: number;
  /** Archive id, when served from the archive. */
  id?: number;
}

/** The last messages for a joining occupant, as asked (XEP-0045 §7.2.15), delay-stamped. */
export function historyFor(m: MucState, room: Room, req: Element | undefined): Element[] {
  let max = room.config.maxHistory;
  let start = 0;
  let maxchars: number | undefined;
  if (req) {
    const maxstanzas = Number.parseInt(req.attrs.maxstanzas ?? '', 10);
    if (Number.isFinite(maxstanzas) && maxstanzas >= 0) max = Math.min(max, maxstanzas);
    const seconds = Number.parseInt(req.attrs.seconds ?? '', 10);
    if (Number.isFinite(seconds) && seconds >= 0) start = Math.max(start, Date.now() - seconds * 1000);
    // `since` is exclusive: what came after it.
    const since = req.attrs.since ? Date.parse(req.attrs.since) : Number.NaN;
    if (Number.isFinite(since)) start = Math.max(start, since + 1);
    const chars = Number.parseInt(req.attrs.maxchars ?? '', 10);
    if (Number.isFinite(chars) && chars >= 0) maxchars = chars;
  }
  if (max <= 0) return [];
  let list: HistoryEntry[] = m.deps.archive ? fromArchive(m, room, max, start) : room.history.filter((h) => h.at >= start).slice(-max);
  if (maxchars !== undefined) {
    let total = 0;
    const kept: HistoryEntry[] = [];
    for (const h of [...list].reverse()) {
      total += h.stanza.toString().length;
      if (total > maxchars) break;
      kept.unshift(h);
    }
    list = kept;
  }
  return list.map((h) => {
    const msg = cloneEl(h.stanza);
    msg.cnode(new Element('delay', { xmlns: NS.delay, from: room.jid, stamp: isoStamp(h.at) }));
    if (h.id !== undefined) msg.c('stanza-id', { xmlns: NS_SID, by: room.jid, id: String(h.id) });
    return msg;
  });
}

/** The last `max` messages of the room's archive received at or after `start` (ms), subject changes left out; oldest first. */
function fromArchive(m: MucState, room: Room, max: number, start: number): HistoryEntry[] {
  const archive = m.deps.archive!;
  archive.flush();
  const found: HistoryEntry[] = [];
  let before: number | undefined;
  while (found.length < max) {
    const page = archive.store.page({ archive: room.jid, start: start || undefined }, { max: max - found.length, before, backward: true });
    for (const row of [...page.rows].reverse()) {
      const stanza = parse(row.stanza);
      if (stanza.getChild('subject') && !stanza.getChild('body')) continue;
      found.unshift({ stanza, at: archivedAt(row.id), id: row.id });
    }
    if (!page.more || !page.rows.length) break;
    before = page.rows[0]!.id;
  }
  return found;
}

/** A MAM iq (query, form, metadata) to the room's JID: the answer, result messages sent first. */
export function archiveQuery(m: MucState, room: Room, iq: Element, session: Session): Element {
  const archive = m.deps.archive;
  if (!archive) return refuse('cancel', 'service-unavailable', 'rooms here keep no archive');
  const aff = affiliation(room, session.jid!.bare);
  if (aff === 'outcast') refuse('auth', 'forbidden', 'you are banned from this room, and from its archive');
  if (room.config.membersOnly && aff === 'none') refuse('auth', 'forbidden', 'the archive of a members-only room is for its members');
  archive.flush();
  return answerArchiveQuery(iq, archive.store, { archive: room.jid, requester: session.jid!.full, withKey: (j) => j.full, send: (el) => session.send(el) });
}

/** Moves what rooms kept in muc_history before room archives existed into their archives (once). */
export function importLegacyHistory(deps: MucDeps, log: Logger): void {
  // With archiving off it stays where it is, for when archiving is switched on.
  if (!deps.archive) return;
  const legacy = deps.store.rooms.legacyHistory();
  if (!legacy.length) return;
  const rows = [];
  for (const h of legacy) {
    let from;
    try {
      from = parseJid(parse(h.stanza).attrs.from);
    } catch {
      from = undefined;
    }
    // The peer of a room row is always an occupant JID (store/archive.ts); anything else is dropped.
    if (from?.bare !== h.room || !from.resource) {
      log.warn({ room: h.room }, 'MUC: a stored history message without an occupant JID was not moved to the archive');
      continue;
    }
    rows.push({ at: h.at, owner: h.room, peer: from.full, stanza: h.stanza });
  }
  deps.archive.store.addReceived(rows);
  deps.store.rooms.dropLegacyHistory();
  log.info({ count: rows.length }, 'MUC: room history moved into the room archives');
}
