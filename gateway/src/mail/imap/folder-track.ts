// One folder of a watched IMAP mailbox: its last STATUS (RFC 3501 §6.3.10), its counts and its two
// watermarks, and the pure rules deciding what has to be asked of the server next. Kept to a few
// numbers per folder: 1,000 watched users are 1,000 times this.
import type { Folder } from '../../protocol/api.ts';
import type { FolderStateRow } from '../../store/index.ts';

/** What LIST-STATUS (RFC 5819) or STATUS says about a folder. */
export interface FolderStatus {
  path: string;
  name: string;
  specialUse: string | null;
  messages: number;
  unseen: number;
  uidNext: number;
  uidValidity: number;
}

export interface TrackedFolder extends FolderStatus {
  /** Unseen messages with uid > ackedUid. */
  fresh: number;
  /** Highest uid alerted (or decided not to alert); above it, unseen mail is new mail. */
  alertedUid: number;
  /** Highest uid the user acknowledged; `new` counts unseen mail above it. */
  ackedUid: number;
  /** `fresh` must be recomputed: status or watermark changed since it was counted. */
  stale: boolean;
}

export interface Watermarks {
  alertedUid: number;
  ackedUid: number;
}

/**
 * Watermarks for a folder seen with this status. No stored state, or a different UIDVALIDITY
 * (RFC 3501 §2.3.1.1: the uids mean other messages now): a new baseline that takes the mail
 * already there as alerted (no alert storm for old mail) and nothing as acknowledged.
 */
export function watermarksFor(s: FolderStatus, stored: Pick<FolderStateRow, 'uidValidity' | 'alertedUid' | 'ackedUid'> | undefined): Watermarks & { baseline: boolean } {
  if (stored && stored.uidValidity === s.uidValidity) return { alertedUid: stored.alertedUid, ackedUid: stored.ackedUid, baseline: false };
  return { alertedUid: Math.max(0, s.uidNext - 1), ackedUid: 0, baseline: true };
}

export function trackFolder(s: FolderStatus, marks: Watermarks): TrackedFolder {
  return { ...s, fresh: 0, alertedUid: marks.alertedUid, ackedUid: marks.ackedUid, stale: true };
}

/**
 * Applies a new status to a tracked folder. Returns whether UIDVALIDITY changed (the caller
 * re-baselines) and whether anything shown to the user changed already (total, unread, name).
 */
export function applyStatus(t: TrackedFolder, s: FolderStatus): { uidValidityChanged: boolean; shownChanged: boolean } {
  const uidValidityChanged = t.uidValidity !== s.uidValidity;
  const countsChanged = uidValidityChanged || t.messages !== s.messages || t.unseen !== s.unseen || t.uidNext !== s.uidNext;
  const shownChanged = t.messages !== s.messages || t.unseen !== s.unseen || t.name !== s.name || t.specialUse !== s.specialUse;
  t.name = s.name;
  t.specialUse = s.specialUse;
  t.messages = s.messages;
  t.unseen = s.unseen;
  t.uidNext = s.uidNext;
  t.uidValidity = s.uidValidity;
  if (countsChanged) t.stale = true;
  return { uidValidityChanged, shownChanged };
}

/** Highest uid the folder can hold now (uids below UIDNEXT). */
export const topUid = (t: Pick<FolderStatus, 'uidNext'>): number => Math.max(0, t.uidNext - 1);

/**
 * `new` without asking the server, when the numbers allow it: nothing unseen, nothing above the
 * acknowledged watermark, or nothing acknowledged yet (then every unseen message is new).
 * undefined: a UID SEARCH UNSEEN UID ackedUid+1:top has to tell.
 */
export function knownFreshCount(t: TrackedFolder): number | undefined {
  if (t.unseen === 0 || topUid(t) <= t.ackedUid) return 0;
  if (t.ackedUid === 0) return t.unseen;
  return undefined;
}

/**
 * The uid range that may hold unalerted mail, or undefined when there is none. When nothing is
 * unseen there is nothing to alert either: the caller just advances the watermark.
 */
export function alertRange(t: TrackedFolder): { from: number; to: number } | undefined {
  const to = topUid(t);
  return to > t.alertedUid ? { from: t.alertedUid + 1, to } : undefined;
}

export function toFolder(t: TrackedFolder): Folder {
  return { path: t.path, name: t.name, specialUse: t.specialUse, total: t.messages, unread: t.unseen, new: Math.min(t.fresh, t.unseen) };
}

/** Splits uid range from..to into chunks of at most `size` uids (bounded FETCH responses). */
export function uidChunks(from: number, to: number, size: number): string[] {
  const out: string[] = [];
  for (let a = from; a <= to; a += size) out.push(`${a}:${Math.min(to, a + size - 1)}`);
  return out;
}
