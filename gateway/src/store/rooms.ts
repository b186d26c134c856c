// Persistent group chat rooms (XEP-0045 on conference.<domain>): configuration, subject and
// affiliations, so a persistent room survives a restart. Ad-hoc (temporary) rooms live in the XMPP
// server's memory only and are never stored here: a row in muc_rooms is what makes a room
// persistent. A room's messages are in the message archive (archive.ts, owner = the room's JID),
// which also serves history on join; muc_history is what kept the last messages before room
// archives existed: the MUC module moves what is left there into the archive once.
import type { Db } from './db.ts';

export type RoomAffiliation = 'owner' | 'admin' | 'member' | 'outcast';

export interface RoomConfig {
  name: string;
  description: string;
  membersOnly: boolean;
  /** Listed in disco#items of the conference service. */
  public: boolean;
  /** Every participant may change the subject (else moderators only). */
  changeSubject: boolean;
  /** Messages kept for history on join. */
  maxHistory: number;
}

export interface StoredRoom {
  /** room@conference.domain */
  jid: string;
  config: RoomConfig;
  subject: string;
  /** Nick of who set the subject ('' = the room). */
  subjectBy: string;
  /** bare JID → affiliation (none is not stored) */
  affiliations: Map<string, RoomAffiliation>;
  createdAt: number;
}

interface RoomRowDb {
  jid: string;
  name: string;
  description: string;
  members_only: number;
  public: number;
  change_subject: number;
  max_history: number;
  subject: string;
  subject_by: string;
  created_at: number;
}

export function createRoomStore(db: Db) {
  const rooms = db.prepare('SELECT * FROM muc_rooms ORDER BY jid');
  const affs = db.prepare('SELECT room, jid, affiliation FROM muc_affiliations');
  const legacy = db.prepare('SELECT room, stanza, created_at AS at FROM muc_history ORDER BY id');
  const dropLegacy = db.prepare('DELETE FROM muc_history');
  const upsert = db.prepare(`
    INSERT INTO muc_rooms (jid, name, description, members_only, public, change_subject, max_history, subject, subject_by, created_at)
    VALUES (@jid, @name, @description, @members_only, @public, @change_subject, @max_history, @subject, @subject_by, @created_at)
    ON CONFLICT (jid) DO UPDATE SET name = excluded.name, description = excluded.description, members_only = excluded.members_only,
      public = excluded.public, change_subject = excluded.change_subject, max_history = excluded.max_history,
      subject = excluded.subject, subject_by = excluded.subject_by`);
  const delAffs = db.prepare('DELETE FROM muc_affiliations WHERE room = ?');
  const insAff = db.prepare('INSERT INTO muc_affiliations (room, jid, affiliation) VALUES (?, ?, ?)');
  const delRoom = db.prepare('DELETE FROM muc_rooms WHERE jid = ?');

  const save = db.transaction((r: StoredRoom) => {
    upsert.run({
      jid: r.jid,
      name: r.config.name,
      description: r.config.description,
      members_only: r.config.membersOnly ? 1 : 0,
      public: r.config.public ? 1 : 0,
      change_subject: r.config.changeSubject ? 1 : 0,
      max_history: r.config.maxHistory,
      subject: r.subject,
      subject_by: r.subjectBy,
      created_at: r.createdAt,
    });
    delAffs.run(r.jid);
    for (const [jid, a] of r.affiliations) insAff.run(r.jid, jid, a);
  });

  return {
    /** Every persistent room, with its affiliations. */
    list(): StoredRoom[] {
      const out = new Map<string, StoredRoom>();
      for (const r of rooms.all() as RoomRowDb[]) {
        out.set(r.jid, {
          jid: r.jid,
          config: {
            name: r.name,
            description: r.description,
            membersOnly: r.members_only === 1,
            public: r.public === 1,
            changeSubject: r.change_subject === 1,
            maxHistory: r.max_history,
          },
          subject: r.subject,
          subjectBy: r.subject_by,
          affiliations: new Map(),
          createdAt: r.created_at,
        });
      }
      for (const a of affs.all() as { room: string; jid: string; affiliation: RoomAffiliation }[]) out.get(a.room)?.affiliations.set(a.jid, a.affiliation);
      return [...out.values()];
    },
    /** Creates or updates a persistent room (configuration, subject, affiliations). */
    save(room: StoredRoom): void {
      save.immediate(room);
    },
    /** Messages a room kept for history on join before room archives existed, oldest first. */
    legacyHistory(): { room: string; stanza: string; at: number }[] {
      return legacy.all() as { room: string; stanza: string; at: number }[];
    },
    /** Forgets them (once they are in the archive). */
    dropLegacyHistory(): void {
      dropLegacy.run();
    },
    /** The room is no longer persistent (or was destroyed): forget it. */
    remove(room: string): void {
      delRoom.run(room);
    },
  };
}
export type RoomStore = ReturnType<typeof createRoomStore>;
