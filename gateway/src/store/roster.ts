// Per-user roster entries on top of the directory roster (RFC 6121 §2–3): a contact's personal
// name and groups, a directory contact hidden from one user's roster, and the presence
// subscription state between users of domains that are not linked (to / from / pending out /
// pending in). One row per (owner, contact); a row that says nothing is deleted.
import type { Db } from './db.ts';

export interface RosterRow {
  ownerId: number;
  /** The contact's bare JID (a local account's address). */
  jid: string;
  /** The contact is on the owner's roster as a personal item (added, renamed or subscribed). */
  inRoster: boolean;
  /** A directory contact the owner removed from their roster. */
  hidden: boolean;
  /** The owner's name for the contact; null = the directory's display name. */
  name: string | null;
  /** The owner's groups for the contact; null = the group named after the contact's domain. */
  groups: string[] | null;
  /** The owner receives the contact's presence (subscription "to"). */
  subTo: boolean;
  /** The contact receives the owner's presence (subscription "from"). */
  subFrom: boolean;
  /** The owner asked to see the contact's presence and awaits an answer (ask="subscribe"). */
  askOut: boolean;
  /** The contact asked to see the owner's presence: the request (a presence stanza), kept until answered. */
  pendingIn: string | null;
}

interface Raw {
  owner_id: number;
  jid: string;
  in_roster: number;
  hidden: number;
  name: string | null;
  groups: string | null;
  sub_to: number;
  sub_from: number;
  ask_out: number;
  pending_in: string | null;
}

const toRow = (r: Raw): RosterRow => ({
  ownerId: r.owner_id,
  jid: r.jid,
  inRoster: r.in_roster === 1,
  hidden: r.hidden === 1,
  name: r.name,
  groups: r.groups === null ? null : (JSON.parse(r.groups) as string[]),
  subTo: r.sub_to === 1,
  subFrom: r.sub_from === 1,
  askOut: r.ask_out === 1,
  pendingIn: r.pending_in,
});
const COLS = 'owner_id, jid, in_roster, hidden, name, groups, sub_to, sub_from, ask_out, pending_in';

/** A row with nothing set: what a missing row means. */
export function emptyRosterRow(ownerId: number, jid: string): RosterRow {
  return { ownerId, jid, inRoster: false, hidden: false, name: null, groups: null, subTo: false, subFrom: false, askOut: false, pendingIn: null };
}

const isEmpty = (r: RosterRow) => !r.inRoster && !r.hidden && r.name === null && r.groups === null && !r.subTo && !r.subFrom && !r.askOut && r.pendingIn === null;

export function createRosterStore(db: Db) {
  const rows = db.prepare(`SELECT ${COLS} FROM roster_items WHERE owner_id = ? ORDER BY jid`);
  const get = db.prepare(`SELECT ${COLS} FROM roster_items WHERE owner_id = ? AND jid = ?`);
  const count = db.prepare('SELECT count(*) AS n FROM roster_items WHERE owner_id = ?');
  const upsert = db.prepare(
    `INSERT INTO roster_items (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (owner_id, jid) DO UPDATE SET in_roster = excluded.in_roster, hidden = excluded.hidden, name = excluded.name,
       groups = excluded.groups, sub_to = excluded.sub_to, sub_from = excluded.sub_from, ask_out = excluded.ask_out, pending_in = excluded.pending_in`,
  );
  const del = db.prepare('DELETE FROM roster_items WHERE owner_id = ? AND jid = ?');
  const watchers = db.prepare(
    'SELECT a.address, r.hidden, r.sub_to FROM roster_items r JOIN accounts a ON a.id = r.owner_id WHERE r.jid = ? AND (r.hidden = 1 OR r.sub_to = 1)',
  );
  const dangling = db.prepare('DELETE FROM roster_items WHERE jid NOT IN (SELECT address FROM accounts)');

  return {
    /** The owner's rows, by contact JID. */
    rows(ownerId: number): RosterRow[] {
      return (rows.all(ownerId) as Raw[]).map(toRow);
    },
    get(ownerId: number, jid: string): RosterRow | undefined {
      const r = get.get(ownerId, jid) as Raw | undefined;
      return r && toRow(r);
    },
    count(ownerId: number): number {
      return (count.get(ownerId) as { n: number }).n;
    },
    /** Stores the row (insert or replace); a row with nothing set is deleted instead. */
    put(r: RosterRow): void {
      if (isEmpty(r)) return void del.run(r.ownerId, r.jid);
      upsert.run(
        r.ownerId,
        r.jid,
        r.inRoster ? 1 : 0,
        r.hidden ? 1 : 0,
        r.name,
        r.groups === null ? null : JSON.stringify(r.groups),
        r.subTo ? 1 : 0,
        r.subFrom ? 1 : 0,
        r.askOut ? 1 : 0,
        r.pendingIn,
      );
    },
    /**
     * Who has a say in whether `jid`'s presence reaches them: owners (by address) that hid
     * `jid` from their roster, and owners subscribed to it personally.
     */
    watchers(jid: string): { address: string; hidden: boolean; subTo: boolean }[] {
      return (watchers.all(jid) as { address: string; hidden: number; sub_to: number }[]).map((w) => ({ address: w.address, hidden: w.hidden === 1, subTo: w.sub_to === 1 }));
    },
    /** Deletes rows about accounts that no longer exist (a user re-created later starts afresh). */
    removeDangling(): number {
      return dangling.run().changes;
    },
    /** Runs `fn` in one write transaction (both sides of a subscription change together). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
  };
}
export type RosterStore = ReturnType<typeof createRosterStore>;
