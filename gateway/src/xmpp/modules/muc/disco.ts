// XEP-0045 §6: service discovery — disco#info/#items on the conference service and on rooms.
import { Element } from 'ltx';
import type { Session } from '../../core/session.ts';
import { NS } from '../../core/stanza.ts';
import { ARCHIVE_FEATURES } from './archive.ts';
import { affiliation, NS_DATA, NS_MUC, NS_ROOMINFO, RANK, type MucState, type Occupant, type Room } from './room.ts';

export function serviceInfo(): Element {
  const q = new Element('query', { xmlns: NS.discoInfo });
  q.c('identity', { category: 'conference', type: 'text', name: 'Chatrooms' });
  for (const f of [NS_MUC, NS.discoInfo, NS.discoItems, NS.ping]) q.c('feature', { var: f });
  return q;
}

/** The public persistent rooms of a service. */
export function serviceItems(m: MucState, service: string): Element {
  const q = new Element('query', { xmlns: NS.discoItems });
  for (const r of m.rooms.values()) {
    if (r.persistent && r.config.public && !r.locked && r.jid.endsWith(`@${service}`)) q.c('item', { jid: r.jid, name: r.config.name || r.jid.split('@')[0] });
  }
  return q;
}

/** `archived`: the room keeps an archive (archiving is on): MAM and stanza-ids are advertised. */
export function roomInfo(room: Room, archived: boolean): Element {
  const q = new Element('query', { xmlns: NS.discoInfo });
  q.c('identity', { category: 'conference', type: 'text', name: room.config.name || room.jid.split('@')[0] });
  const features = [
    NS_MUC,
    room.persistent ? 'muc_persistent' : 'muc_temporary',
    room.config.public ? 'muc_public' : 'muc_hidden',
    room.config.membersOnly ? 'muc_membersonly' : 'muc_open',
    'muc_nonanonymous',
    'muc_unmoderated',
    'muc_unsecured',
    NS.discoInfo,
    NS.discoItems,
    ...(archived ? ARCHIVE_FEATURES : []),
  ];
  for (const f of features) q.c('feature', { var: f });
  const form = q.c('x', { xmlns: NS_DATA, type: 'result' });
  const field = (v: string, value: string, label?: string, type?: string) => form.c('field', { var: v, label, type }).c('value').t(value);
  field('FORM_TYPE', NS_ROOMINFO, undefined, 'hidden');
  field('muc#roominfo_description', room.config.description, 'Description');
  field('muc#roominfo_subject', room.subject, 'Subject');
  field('muc#roominfo_occupants', String(room.occupants.size), 'Number of occupants');
  return q;
}

export function roomItems(room: Room, session: Session, me: Occupant | undefined): Element {
  const q = new Element('query', { xmlns: NS.discoItems });
  // A members-only room shows who is in it only to its members.
  if (room.config.membersOnly && !me && RANK[affiliation(room, session.jid!.bare)] < RANK.member) return q;
  for (const o of room.occupants.values()) q.c('item', { jid: `${room.jid}/${o.nick}`, name: o.nick });
  return q;
}
