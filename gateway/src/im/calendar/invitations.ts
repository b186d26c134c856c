// Invitations as IMs (issue 4 item 3): a new mail that carries an iMIP message (REQUEST,
// CANCEL, REPLY — invitation.ts) gets its recipient an IM summary (invitation-text.ts) from the
// service address. For a REQUEST the recipient's calendars are asked over CalDAV (REPORT
// calendar-query over the invitation's time, its first occurrences for a series) for events that
// overlap it: "Conflicts with ...". Not counted as conflicts: the same event (servers that file
// invitations into the calendar themselves — SOGo, Nextcloud — hold it already), cancelled ones,
// transparent (free) ones, ones the recipient declined. Without a calendar configured, or with the
// server unreachable, the summary goes out without that line (saying why for the latter).
// main.ts hands every new mail the mail source reports to onNewMail, with a way to fetch its raw
// source; only mail that may be an invitation is fetched: not in Sent, Drafts, Trash or Junk, and
// received within the last MAX_AGE_MS (a mailbox watched again after a long pause, or a gateway
// down for days, does not summarise invitations that old). An invitation to an event that is
// over (its last occurrence ended) is not summarised either.
import { createHash } from 'node:crypto';
import type { Logger } from '../../config/logger.ts';
import { expandOccurrences, parseCalendarObject, type Occurrence } from './calendar-object.ts';
import { CalendarSendError, serviceAddressFor, type SendCalendarIm } from './calendar-im.ts';
import type { CalendarUser, CalendarUsers } from './calendar-users.ts';
import { readInvitation, InvitationError, type Invitation } from './invitation.ts';
import { invitationText, type Conflict } from './invitation-text.ts';

/** Longest stretch of a series checked for conflicts. */
const CONFLICT_SPAN_MS = 92 * 86_400_000;
/** Mail received longer ago than this is not looked at. */
export const MAX_AGE_MS = 24 * 3_600_000;
/** The most of a mail read (the calendar part comes early: beside the text, before attachments). */
export const MAX_MAIL_BYTES = 4 * 1024 * 1024;
const SKIPPED_FOLDERS = new Set(['\\Sent', '\\Drafts', '\\Trash', '\\Junk']);

export interface InvitationDeps {
  users: CalendarUsers;
  send: SendCalendarIm;
  /** im.serviceAddress (%d = the recipient's domain). */
  serviceAddress: string;
  locale: string;
  log: Logger;
  now?: () => number;
}

export type InvitationOutcome =
  /** No calendar part, or a method that is not summarised. */
  | 'none'
  /** Not looked at: the folder (Sent, Drafts, Trash, Junk), or mail too old. */
  | 'ignored'
  /** An invitation to an event that is over. */
  | 'past'
  | 'sent'
  /** The calendar part could not be read (logged). */
  | 'unreadable'
  /** The IM could not be sent (logged). */
  | 'not_sent';

export interface MailRef {
  /** Stable per message (folder + uid), for the stanza id. */
  ref: string;
}

/** A new mail as the mail source reported it. */
export interface NewMailInfo {
  folder: string;
  uid: number;
  /** ISO 8601: when it reached the mailbox. */
  received: string | undefined;
  /** The folder's RFC 6154 special use (\\Sent ...), if known. */
  specialUse: string | null | undefined;
}

export function createInvitations(deps: InvitationDeps) {
  const now = deps.now ?? Date.now;

  async function conflictsOf(user: CalendarUser, inv: Invitation): Promise<{ conflicts?: Conflict[]; unknown?: string }> {
    const u = deps.users.resolve(user);
    if (!u.home) return {};
    const occ = inv.occurrences.filter((x) => x.end - inv.occurrences[0]!.start <= CONFLICT_SPAN_MS || x === inv.occurrences[0]);
    const from = Math.min(...occ.map((x) => x.start));
    const to = Math.max(...occ.map((x) => Math.max(x.end, x.start + 1)));
    const found = new Map<string, Conflict>();
    try {
      for (const cal of await u.client.listCalendars(u.home)) {
        for (const r of await u.client.events(cal.url, from, to)) {
          let theirs: Occurrence[];
          try {
            theirs = expandOccurrences(parseCalendarObject(r.data), { from, to, timeZone: u.timeZone });
          } catch (e) {
            deps.log.debug({ user: user.address, href: r.href }, `calendar object skipped in the conflict check: ${(e as Error).message}`);
            continue;
          }
          for (const t of theirs) {
            if (t.uid === inv.uid || t.status === 'CANCELLED' || t.transparent) continue;
            if (t.attendees.some((a) => a.address === user.address.toLowerCase() && a.partstat === 'DECLINED')) continue;
            const tEnd = Math.max(t.end, t.start + 1);
            if (occ.some((x) => t.start < Math.max(x.end, x.start + 1) && tEnd > x.start)) found.set(`${t.uid}/${t.start}`, { summary: t.summary, start: t.start, end: t.end, allDay: t.allDay });
          }
        }
      }
    } catch (e) {
      if ((e as { kind?: string }).kind === 'not_found') return { conflicts: [] };
      deps.log.warn({ user: user.address }, `invitation conflicts not checked: ${(e as Error).message}`);
      return { unknown: 'the calendar server could not be asked' };
    }
    return { conflicts: [...found.values()].sort((a, b) => a.start - b.start) };
  }

  /** Looks at a new mail: fetches it when it may be an invitation, and summarises it. Never throws. */
  async function onNewMail(user: CalendarUser, m: NewMailInfo, fetchRaw: (maxBytes: number) => Promise<Buffer>): Promise<InvitationOutcome> {
    if (m.specialUse && SKIPPED_FOLDERS.has(m.specialUse)) return 'ignored';
    const received = m.received ? Date.parse(m.received) : NaN;
    if (received < now() - MAX_AGE_MS) return 'ignored';
    let raw: Buffer;
    try {
      raw = await fetchRaw(MAX_MAIL_BYTES);
    } catch (e) {
      deps.log.warn({ user: user.address, folder: m.folder, uid: m.uid }, `new mail not checked for an invitation: ${(e as Error).message}`);
      return 'unreadable';
    }
    return handleMail(user, raw, { ref: `${m.folder}/${m.uid}` });
  }

  /** Summarises the iMIP message in `raw` (if any) to `user` by IM. Never throws. */
  async function handleMail(user: CalendarUser, raw: Buffer, mail: MailRef): Promise<InvitationOutcome> {
    const u = deps.users.resolve(user);
    let inv: Invitation | undefined;
    try {
      inv = readInvitation(raw, { now: now(), timeZone: u.timeZone });
    } catch (e) {
      // InvitationError says what is wrong; anything else is a bug in reading odd data: logged the same way.
      deps.log.warn({ user: user.address, mail: mail.ref }, `invitation not summarised: ${e instanceof InvitationError ? e.message : `unexpected error: ${(e as Error).stack}`}`);
      return 'unreadable';
    }
    if (!inv) return 'none';
    if (inv.occurrences.every((o) => Math.max(o.end, o.start) < now())) {
      deps.log.debug({ user: user.address, uid: inv.uid }, 'invitation to an event that is over: not summarised');
      return 'past';
    }
    const c = inv.method === 'REQUEST' ? await conflictsOf(user, inv) : {};
    const body = invitationText(inv, { recipient: user.address, timeZone: u.timeZone, now: now(), locale: deps.locale, conflicts: c.conflicts, conflictsUnknown: c.unknown });
    const id = `inv-${createHash('sha256').update(`${user.accountId}/${mail.ref}`).digest('hex').slice(0, 24)}`;
    try {
      await deps.send({ from: serviceAddressFor(deps.serviceAddress, user.address), to: user.address, body, id });
      deps.log.debug({ user: user.address, uid: inv.uid, method: inv.method }, 'invitation summary sent');
      return 'sent';
    } catch (e) {
      deps.log.warn({ user: user.address, uid: inv.uid }, `invitation summary not sent${e instanceof CalendarSendError && e.transient ? ' (try later)' : ''}: ${(e as Error).message}`);
      return 'not_sent';
    }
  }

  return { onNewMail, handleMail };
}
export type Invitations = ReturnType<typeof createInvitations>;
