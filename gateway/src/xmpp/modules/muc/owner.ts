// XEP-0045 §10: muc#owner — room creation (instant/reserved), the configuration form, and destroying a room.
import { Element } from 'ltx';
import type { RoomConfig } from '../../../store/rooms.ts';
import type { Session } from '../../core/session.ts';
import { broadcast } from './broadcast.ts';
import { remove } from './occupants.ts';
import { affiliation, destroyIfEmpty, forgetArchive, MAX_HISTORY, NS_DATA, NS_OWNER, NS_ROOMCONFIG, NS_USER, persist, refuse, sendTo, type MucState, type Room } from './room.ts';

export function owner(m: MucState, room: Room, iq: Element, query: Element, session: Session): Element | undefined {
  if (affiliation(room, session.jid!.bare) !== 'owner') refuse('auth', 'forbidden', 'only owners may configure or destroy this room');
  if (iq.attrs.type === 'get') return new Element('query', { xmlns: NS_OWNER }).cnode(configForm(room)).up();
  const destroyEl = query.getChild('destroy');
  if (destroyEl) {
    destroy(m, room, destroyEl.getChildText('reason') ?? undefined, destroyEl.attrs.jid);
    return undefined;
  }
  const form = query.getChild('x', NS_DATA);
  if (form?.attrs.type === 'cancel') {
    if (room.locked) destroy(m, room, 'room creation cancelled');
    return undefined;
  }
  if (form?.attrs.type !== 'submit') return refuse('modify', 'bad-request', 'submit a jabber:x:data form, cancel it, or destroy the room');
  applyConfig(m, room, form);
  return undefined;
}

function configForm(room: Room): Element {
  const x = new Element('x', { xmlns: NS_DATA, type: 'form' });
  x.c('title').t(`Configuration of ${room.jid}`);
  const field = (v: string, type: string, label: string | undefined, value: string) => x.c('field', { var: v, type, label }).c('value').t(value).up();
  field('FORM_TYPE', 'hidden', undefined, NS_ROOMCONFIG);
  field('muc#roomconfig_roomname', 'text-single', 'Name', room.config.name);
  field('muc#roomconfig_roomdesc', 'text-single', 'Description', room.config.description);
  field('muc#roomconfig_persistentroom', 'boolean', 'Persistent (stays when everyone has left)', room.persistent ? '1' : '0');
  field('muc#roomconfig_publicroom', 'boolean', 'Listed in the room directory (persistent rooms)', room.config.public ? '1' : '0');
  field('muc#roomconfig_membersonly', 'boolean', 'Members only', room.config.membersOnly ? '1' : '0');
  field('muc#roomconfig_changesubject', 'boolean', 'Everyone may change the subject', room.config.changeSubject ? '1' : '0');
  field('muc#maxhistoryfetch', 'text-single', `Messages of history sent on join (0-${MAX_HISTORY})`, String(room.config.maxHistory));
  field('muc#roomconfig_whois', 'list-single', 'Who may see real addresses (colleague rooms: everyone)', 'anyone').c('option', { label: 'Anyone' }).c('value').t('anyone');
  return x;
}

/** Applies a submitted configuration form; fields left out keep their value, unknown ones are ignored. */
function applyConfig(m: MucState, room: Room, form: Element): void {
  const values = new Map<string, string>();
  for (const f of form.getChildren('field')) if (f.attrs.var) values.set(f.attrs.var, f.getChildText('value') ?? '');
  const bool = (v: string): boolean | undefined => {
    const s = values.get(v);
    if (s === undefined) return undefined;
    if (s === '1' || s === 'true') return true;
    if (s === '0' || s === 'false') return false;
    return refuse('modify', 'not-acceptable', `${v} must be a boolean`);
  };
  const next: RoomConfig = { ...room.config };
  next.name = values.get('muc#roomconfig_roomname') ?? next.name;
  next.description = values.get('muc#roomconfig_roomdesc') ?? next.description;
  next.public = bool('muc#roomconfig_publicroom') ?? next.public;
  next.membersOnly = bool('muc#roomconfig_membersonly') ?? next.membersOnly;
  next.changeSubject = bool('muc#roomconfig_changesubject') ?? next.changeSubject;
  const persistent = bool('muc#roomconfig_persistentroom') ?? room.persistent;
  const history = values.get('muc#maxhistoryfetch') ?? values.get('muc#roomconfig_historylength');
  if (history !== undefined && history !== '') {
    const n = Number(history);
    if (!Number.isInteger(n) || n < 0 || n > MAX_HISTORY) refuse('modify', 'not-acceptable', `muc#maxhistoryfetch must be 0 to ${MAX_HISTORY}`);
    next.maxHistory = n;
  }
  const whois = values.get('muc#roomconfig_whois');
  if (whois !== undefined && whois !== 'anyone') refuse('modify', 'not-acceptable', 'colleague rooms are non-anonymous (muc#roomconfig_whois = anyone)');

  const wasLocked = room.locked;
  room.config = next;
  room.locked = false;
  if (room.history.length > next.maxHistory) room.history.splice(0, room.history.length - next.maxHistory);
  if (!persistent && room.persistent) {
    room.persistent = false;
    m.deps.store.rooms.remove(room.jid);
  } else if (persistent) {
    room.persistent = true;
    persist(m, room);
  }
  m.ctx.log.info({ room: room.jid, persistent: room.persistent, membersOnly: next.membersOnly }, wasLocked ? 'MUC: room configured and unlocked' : 'MUC: room configuration changed');
  if (next.membersOnly) {
    for (const o of [...room.occupants.values()]) if (affiliation(room, o.bare) === 'none') remove(m, room, o, 322);
  }
  if (!wasLocked) {
    const msg = new Element('message', { type: 'groupchat', from: room.jid });
    msg.c('x', { xmlns: NS_USER }).c('status', { code: '104' });
    broadcast(room.occupants.values(), msg);
  }
  destroyIfEmpty(m, room);
}

/** XEP-0045 §10.9: every occupant gets unavailable presence with <destroy/> (and its reason); the room is gone. */
export function destroy(m: MucState, room: Room, reason?: string, alternate?: string): void {
  for (const o of room.occupants.values()) {
    const p = new Element('presence', { from: `${room.jid}/${o.nick}`, type: 'unavailable' });
    const x = p.c('x', { xmlns: NS_USER });
    x.c('item', { affiliation: 'none', role: 'none' });
    const d = x.c('destroy', { jid: alternate });
    if (reason) d.c('reason').t(reason);
    x.c('status', { code: '110' });
    sendTo(o, p);
  }
  room.occupants.clear();
  room.clients.clear();
  m.rooms.delete(room.jid);
  if (room.persistent) m.deps.store.rooms.remove(room.jid);
  forgetArchive(m, room.jid);
  m.ctx.log.info({ room: room.jid, reason }, 'MUC: room destroyed');
}
