// XEP-0045: Multi-User Chat, as an occupant and as the owner of an ad-hoc room: create (on the
// conference service found by disco, §10.1: the owner's configuration form — name, not listed,
// real addresses visible to all where the service allows — or an instant room), join (§7.2, with
// history, nick conflicts answered with another nick), occupants and their roles from presence
// (§7.2.3), subject (§8.1), mediated invitations (§7.8.2), leave (§7.14), and being removed
// (kicked 307, banned 301, room destroyed, shut down 332). After a new session (not a resumed one)
// the rooms are joined again, asking for the history since the last message seen there.
import { randomBytes } from 'node:crypto';
import { Element } from 'ltx';
import type { ChatEvent, Room } from '../../shared/chat.ts';
import { ChatError } from './chat-errors.ts';
import type { ServiceFinder } from './disco.ts';
import { discoInfo } from './disco.ts';
import { bareJid, localOf, resourceOf } from './jid.ts';
import { NS } from './ns.ts';
import { iq, type XmppConnection } from './xmpp-connection.ts';

const JOIN_MS = 20_000;
const LEAVE_MS = 5_000;
const MAX_NICK_TRIES = 3;

interface Member {
  nick: string;
  jid?: string;
  role: string;
  affiliation: string;
}
interface RoomState {
  jid: string;
  nick: string;
  name: string;
  subject?: string;
  members: Map<string, Member>;
  joined: boolean;
  /** ISO time of the last message seen here (the history asked for on rejoin). */
  lastSeen?: string;
  joining?: { resolve(created: boolean): void; reject(e: Error): void };
  leaving?: () => void;
}

const codesOf = (x: Element | undefined): Set<string> => new Set((x?.getChildren('status') ?? []).map((s) => s.attrs.code ?? ''));

export function createMuc(d: { conn: XmppConnection; emit: (e: ChatEvent) => void; services: ServiceFinder; defaultNick: () => string }) {
  const rooms = new Map<string, RoomState>();

  const view = (r: RoomState): Room => ({
    jid: r.jid,
    name: r.name,
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    members: [...r.members.values()].map((m) => ({ nick: m.nick, ...(m.jid ? { jid: m.jid } : {}), role: m.role, affiliation: m.affiliation })),
  });
  const announce = (r: RoomState) => {
    if (r.joined) d.emit({ type: 'room', room: view(r) });
  };
  const joinedRoom = (room: string): RoomState => {
    const r = rooms.get(bareJid(room));
    if (!r?.joined) throw new ChatError('bad_request', `not in room ${room}`);
    return r;
  };

  function left(r: RoomState, reason?: string): void {
    rooms.delete(r.jid);
    d.emit({ type: 'room-left', room: r.jid, ...(reason ? { reason } : {}) });
  }

  function joinPresence(r: RoomState, history: { maxstanzas?: number; since?: string }): Element {
    const p = new Element('presence', { to: `${r.jid}/${r.nick}` });
    const x = p.c('x', { xmlns: NS.muc });
    x.c('history', history.since ? { since: history.since } : { maxstanzas: String(history.maxstanzas ?? 20) });
    return p;
  }

  /** Sends the join presence; resolves with whether the room was created by it (status 201). */
  async function enter(r: RoomState, history: { maxstanzas?: number; since?: string }): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const waiting = new Promise<boolean>((resolve, reject) => (r.joining = { resolve, reject }));
      const timer = setTimeout(() => r.joining?.reject(new ChatError('timeout', `no answer from ${r.jid} within ${JOIN_MS / 1000} s`)), JOIN_MS);
      try {
        if (!(await d.conn.send(joinPresence(r, history)))) throw new ChatError('not_connected', 'not connected');
        return await waiting;
      } catch (e) {
        // 409: the nick is taken (XEP-0045 §7.2.9): try another one.
        if (e instanceof ChatError && e.condition === 'conflict' && attempt + 1 < MAX_NICK_TRIES) {
          r.nick = `${r.nick}_`;
          continue;
        }
        throw e;
      } finally {
        clearTimeout(timer);
        r.joining = undefined;
      }
    }
  }

  /** §10.1.3: the configuration form, with what an ad-hoc room of colleagues wants; else an instant room. */
  async function configure(r: RoomState, name: string): Promise<void> {
    const submit = new Element('x', { xmlns: NS.data, type: 'submit' });
    try {
      const res = await d.conn.request(iq('get', r.jid, new Element('query', { xmlns: NS.mucOwner })), `configuration form of ${r.jid}`);
      const form = res.getChild('query', NS.mucOwner)?.getChild('x', NS.data);
      const fields = new Map((form?.getChildren('field') ?? []).map((f) => [f.attrs.var ?? '', f] as const));
      const set = (v: string, value: string) => {
        if (fields.has(v)) submit.c('field', { var: v }).c('value').t(value);
      };
      submit.c('field', { var: 'FORM_TYPE' }).c('value').t(NS.roomConfig);
      set('muc#roomconfig_roomname', name);
      set('muc#roomconfig_persistentroom', '0');
      set('muc#roomconfig_publicroom', '0');
      const whois = fields.get('muc#roomconfig_whois');
      if (whois?.getChildren('option').some((o) => o.getChildText('value') === 'anyone')) set('muc#roomconfig_whois', 'anyone');
    } catch {
      // No form: an instant room (§10.1.2) with the service's defaults.
    }
    await d.conn.request(iq('set', r.jid, new Element('query', { xmlns: NS.mucOwner }).cnode(submit).up()), `configuring ${r.jid}`);
    r.name = name;
  }

  async function join(room: string, nick?: string, o: { name?: string; history?: { maxstanzas?: number; since?: string } } = {}): Promise<Room> {
    const jid = bareJid(room);
    if (!localOf(jid)) throw new ChatError('bad_request', `not a room address: ${room}`);
    const existing = rooms.get(jid);
    if (existing?.joined) return view(existing);
    if (existing) throw new ChatError('bad_request', `already joining ${jid}`);
    const r: RoomState = { jid, nick: nick || d.defaultNick(), name: o.name ?? localOf(jid), members: new Map(), joined: false };
    rooms.set(jid, r);
    try {
      const created = await enter(r, o.history ?? { maxstanzas: 20 });
      // A room that did not exist is locked until its owner configures it (§10.1.1).
      if (created) await configure(r, o.name ?? localOf(jid));
      else {
        const info = await discoInfo(d.conn, jid).catch(() => undefined);
        const name = info?.identities.find((i) => i.category === 'conference')?.name;
        if (name) r.name = name;
      }
    } catch (e) {
      rooms.delete(jid);
      if (r.joined) void d.conn.send(new Element('presence', { to: `${jid}/${r.nick}`, type: 'unavailable' }));
      throw e;
    }
    announce(r);
    return view(r);
  }

  return {
    isRoom: (jid: string): boolean => rooms.has(bareJid(jid)),
    nickIn: (room: string): string | undefined => rooms.get(bareJid(room))?.nick,
    rooms: (): Room[] => [...rooms.values()].filter((r) => r.joined).map(view),
    /** Notes the time of a message seen in a room (for the history on rejoin). */
    seen(room: string, at: string): void {
      const r = rooms.get(bareJid(room));
      if (r && (!r.lastSeen || at > r.lastSeen)) r.lastSeen = at;
    },

    handlePresence(el: Element): boolean {
      const from = el.attrs.from ?? '';
      const r = rooms.get(bareJid(from));
      if (!r) return false;
      const nick = resourceOf(from);
      const x = el.getChild('x', NS.mucUser);
      const codes = codesOf(x);
      const isSelf = codes.has('110') || nick === r.nick;
      if (el.attrs.type === 'error') {
        const err = el.getChild('error');
        const cond = err?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas && c.getName() !== 'text')?.getName() ?? 'undefined-condition';
        const text = err?.getChildText('text', NS.stanzas);
        r.joining?.reject(new ChatError('refused', `${r.jid}: ${cond}${text ? ` (${text})` : ''}`, cond));
        return true;
      }
      const item = x?.getChild('item');
      if (el.attrs.type === 'unavailable') {
        if (isSelf) {
          r.joined = false;
          if (r.leaving) r.leaving();
          else if (!r.joining) {
            const destroyed = x?.getChild('destroy');
            const reason = codes.has('307') ? 'kicked' : codes.has('301') ? 'banned' : codes.has('332') ? 'the service shut down' : destroyed ? 'the room was destroyed' : codes.has('321') || codes.has('322') ? 'no longer a member' : 'removed';
            const why = item?.getChildText('reason') ?? destroyed?.getChildText('reason');
            left(r, why ? `${reason}: ${why}` : reason);
          }
          return true;
        }
        r.members.delete(nick);
        announce(r);
        return true;
      }
      r.members.set(nick, { nick, ...(item?.attrs.jid ? { jid: bareJid(item.attrs.jid) } : {}), role: item?.attrs.role ?? 'participant', affiliation: item?.attrs.affiliation ?? 'none' });
      if (isSelf) {
        if (r.nick !== nick) r.nick = nick; // the service may change the nick (§7.2.11, status 210)
        if (!r.joined) {
          r.joined = true;
          r.joining?.resolve(codes.has('201'));
          return true;
        }
      }
      announce(r);
      return true;
    },

    /** A subject change (§8.1: a groupchat message with <subject/> and no body). */
    subject(room: string, subject: string): void {
      const r = rooms.get(bareJid(room));
      if (!r) return;
      r.subject = subject;
      announce(r);
    },

    join,

    async create(name: string, invite: string[]): Promise<Room> {
      const service = await d.services.find(NS.muc, { category: 'conference', type: 'text' });
      if (!service) throw new ChatError('not_supported', 'the server has no group chat (conference) service');
      const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'room';
      const room = await join(`${slug}-${randomBytes(3).toString('hex')}@${service.jid}`, undefined, { name, history: { maxstanzas: 0 } });
      for (const jid of invite) await this.invite(room.jid, jid);
      return room;
    },

    async invite(room: string, jid: string, reason?: string): Promise<void> {
      const r = joinedRoom(room);
      const msg = new Element('message', { to: r.jid });
      const inv = msg.c('x', { xmlns: NS.mucUser }).c('invite', { to: bareJid(jid) });
      if (reason) inv.c('reason').t(reason);
      if (!(await d.conn.send(msg))) throw new ChatError('not_connected', 'not connected');
    },

    async setSubject(room: string, subject: string): Promise<void> {
      const r = joinedRoom(room);
      const msg = new Element('message', { to: r.jid, type: 'groupchat' });
      msg.c('subject').t(subject);
      if (!(await d.conn.send(msg))) throw new ChatError('not_connected', 'not connected');
    },

    async leave(room: string): Promise<void> {
      const r = rooms.get(bareJid(room));
      if (!r) return;
      if (r.joined) {
        const gone = new Promise<void>((resolve) => (r.leaving = resolve));
        if (await d.conn.send(new Element('presence', { to: `${r.jid}/${r.nick}`, type: 'unavailable' }))) {
          await Promise.race([gone, new Promise((res) => setTimeout(res, LEAVE_MS).unref())]);
        }
      }
      left(r);
    },

    /** Another account signs in: none of these rooms are its rooms. */
    reset(): void {
      rooms.clear();
    },

    /** A new session: every room is left on the server's side; join them again. */
    async rejoinAll(): Promise<void> {
      const all = [...rooms.values()];
      await Promise.all(
        all.map(async (r) => {
          r.joined = false;
          r.members.clear();
          try {
            // An ad-hoc room ends with its last occupant: joining again may create it anew.
            if (await enter(r, r.lastSeen ? { since: r.lastSeen } : { maxstanzas: 20 })) await configure(r, r.name);
            announce(r);
          } catch (e) {
            left(r, `could not join again: ${(e as Error).message}`);
          }
        }),
      );
    },
  };
}
export type Muc = ReturnType<typeof createMuc>;
