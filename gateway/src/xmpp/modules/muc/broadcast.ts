// XEP-0045 §7.2.3 (occupant presence) and §7.4 (groupchat messages): what a room sends to every
// occupant is one stanza whose copies differ only in their `to`. It is serialized once and each
// client gets its own light copy (core/fanout.ts, shared with presence broadcast).
import type { Element } from 'ltx';
import { addressed, prerender } from '../../core/fanout.ts';
import type { Occupant } from './room.ts';

/** Sends `el` to every client of every occupant in `occupants` but `except`, serialized once. */
export function broadcast(occupants: Iterable<Occupant>, el: Element, except?: Occupant): void {
  // Rendered afresh, not cached: a room's stored presence is re-sent after changes (role, status).
  const r = prerender(el);
  for (const o of occupants) {
    if (o === except) continue;
    for (const [full, s] of o.sessions) s.send(addressed(r, full));
  }
}
