// The rooms as the admin console shows them (live and persistent: the state the MUC component
// works on, not a copy of the database), and closing one: XEP-0045 §10.9 "Destroying a Room" done
// by the service on an administrator's behalf — every occupant gets the unavailable presence with
// <destroy/> and the reason, a persistent room is forgotten, its archive ends.
import type { RoomSummary } from '../../../protocol/admin-rooms.ts';
import { destroy } from './owner.ts';
import type { MucState } from './room.ts';

export interface MucRooms {
  list(): RoomSummary[];
  /** Destroys the room; false when there is no such room. */
  close(jid: string, reason: string): boolean;
}

export function mucRooms(m: MucState): MucRooms {
  return {
    list: () =>
      [...m.rooms.values()]
        .map((r) => ({
          jid: r.jid,
          name: r.config.name,
          subject: r.subject,
          persistent: r.persistent,
          membersOnly: r.config.membersOnly,
          public: r.config.public,
          createdAt: r.createdAt,
          members: [...r.affiliations].map(([jid, affiliation]) => ({ jid, affiliation })).sort((a, b) => a.jid.localeCompare(b.jid)),
          occupants: [...r.occupants.values()].map((o) => ({ nick: o.nick, jid: o.bare, role: o.role })).sort((a, b) => a.nick.localeCompare(b.nick)),
        }))
        .sort((a, b) => a.jid.localeCompare(b.jid)),
    close(jid, reason) {
      const room = m.rooms.get(jid.toLowerCase());
      if (!room) return false;
      destroy(m, room, reason);
      return true;
    },
  };
}
