// RFC 6121 §2–4: the roster (contacts, their names and groups, subscription states), roster
// pushes, the contacts' presence — one entry per resource, the contact shown with its most
// available one — and the subscription flow: addContact() sets the item and asks to see the
// contact's presence; a request from someone we already asked, or whose presence we see, is
// approved at once (they are in the roster because the user put them there), any other request
// is the user's to answer (`subscription-request` event, answerSubscription()).
import { Element } from 'ltx';
import type { ChatEvent, Contact, PresenceShow } from '../../shared/chat.ts';
import { ChatError } from './chat-errors.ts';
import { bareJid, localOf, resourceOf } from './jid.ts';
import { NS } from './ns.ts';
import { iq, type XmppConnection } from './xmpp-connection.ts';

interface Item {
  jid: string;
  name?: string;
  groups: string[];
  subscription: 'none' | 'to' | 'from' | 'both';
  ask: boolean;
}
interface Resource {
  show: Exclude<PresenceShow, 'offline'>;
  status?: string;
  priority: number;
}

const RANK: Record<Exclude<PresenceShow, 'offline'>, number> = { online: 4, dnd: 3, away: 2, xa: 1 };
const SUBSCRIPTIONS = new Set(['none', 'to', 'from', 'both']);

export function showOf(el: Element): Exclude<PresenceShow, 'offline'> {
  const s = el.getChildText('show');
  return s === 'away' || s === 'xa' || s === 'dnd' ? s : 'online';
}

export interface Roster {
  load(): Promise<void>;
  /** A new session: the server sends everyone's presence again after our initial presence. */
  resetPresence(): void;
  /** Handles a presence from a contact (not from a room); false when it is not one. */
  handlePresence(el: Element): boolean;
  contacts(): Contact[];
  add(jid: string, name?: string): Promise<void>;
  /**
   * RFC 6121 §2.3: a roster set with the item as it should be — a new name (empty: the server's
   * default, the directory's on Herald) and/or exactly these groups; what is not given is kept.
   */
  update(jid: string, patch: { name?: string; groups?: string[] }): Promise<void>;
  /** RFC 6121 §2.5: removes the item (Herald's gateway hides a directory contact instead). */
  remove(jid: string): Promise<void>;
  answer(jid: string, approve: boolean): Promise<void>;
}

export function createRoster(d: { conn: XmppConnection; emit: (e: ChatEvent) => void }): Roster {
  const items = new Map<string, Item>();
  const presence = new Map<string, Map<string, Resource>>();
  /** What was last announced per contact, so an unchanged presence is not announced again. */
  const shown = new Map<string, string>();

  function itemOf(el: Element): Item | undefined {
    const jid = el.attrs.jid ? bareJid(el.attrs.jid) : '';
    if (!jid) return undefined;
    const sub = el.attrs.subscription ?? 'none';
    return {
      jid,
      ...(el.attrs.name ? { name: el.attrs.name } : {}),
      groups: el.getChildren('group').map((g) => g.getText()).filter(Boolean),
      subscription: (SUBSCRIPTIONS.has(sub) ? sub : 'none') as Item['subscription'],
      ask: el.attrs.ask === 'subscribe',
    };
  }

  function contact(jid: string): Contact {
    const item = items.get(jid);
    let best: Resource | undefined;
    for (const r of presence.get(jid)?.values() ?? []) {
      if (!best || r.priority > best.priority || (r.priority === best.priority && RANK[r.show] > RANK[best.show])) best = r;
    }
    const sub = item ? (item.ask && (item.subscription === 'none' || item.subscription === 'from') ? 'pending' : item.subscription) : 'none';
    return {
      jid,
      name: item?.name || localOf(jid) || jid,
      groups: item?.groups ?? [],
      show: best?.show ?? 'offline',
      ...(best?.status ? { status: best.status } : {}),
      subscription: sub,
    };
  }

  const contacts = () => [...items.keys()].sort().map(contact);
  const announceRoster = () => d.emit({ type: 'roster', contacts: contacts() });

  function announcePresence(jid: string): void {
    const c = contact(jid);
    const key = `${c.show}\u0000${c.status ?? ''}`;
    if (shown.get(jid) === key) return;
    shown.set(jid, key);
    d.emit({ type: 'presence', jid, show: c.show, ...(c.status ? { status: c.status } : {}) });
  }

  // Roster pushes (RFC 6121 §2.1.6): only from our own account (no `from`, or our bare address).
  d.conn.handleIq('set', NS.roster, 'query', (stanza, query) => {
    const from = stanza.attrs.from;
    if (from && bareJid(from) !== d.conn.bare) return new Element('error', { type: 'cancel' }).c('forbidden', { xmlns: NS.stanzas }).up();
    for (const el of query.getChildren('item')) {
      const item = itemOf(el);
      if (!item) continue;
      if (el.attrs.subscription === 'remove') {
        items.delete(item.jid);
        presence.delete(item.jid);
        shown.delete(item.jid);
      } else items.set(item.jid, item);
    }
    announceRoster();
    return true;
  });

  return {
    async load() {
      const res = await d.conn.request(iq('get', undefined, new Element('query', { xmlns: NS.roster })), 'roster');
      items.clear();
      for (const el of res.getChild('query', NS.roster)?.getChildren('item') ?? []) {
        const item = itemOf(el);
        if (item) items.set(item.jid, item);
      }
      announceRoster();
    },
    resetPresence() {
      presence.clear();
      for (const jid of shown.keys()) announcePresence(jid);
    },
    handlePresence(el) {
      const from = el.attrs.from;
      if (!from) return false;
      const jid = bareJid(from);
      if (jid === d.conn.bare) return true; // our other devices: not a contact
      const type = el.attrs.type ?? 'available';
      switch (type) {
        case 'available':
        case 'unavailable': {
          let rs = presence.get(jid);
          if (type === 'unavailable') {
            rs?.delete(resourceOf(from));
          } else {
            if (!rs) presence.set(jid, (rs = new Map()));
            const status = el.getChildText('status') ?? undefined;
            const priority = Number(el.getChildText('priority') ?? 0);
            rs.set(resourceOf(from), { show: showOf(el), ...(status ? { status } : {}), priority: Number.isFinite(priority) ? priority : 0 });
          }
          announcePresence(jid);
          return true;
        }
        case 'subscribe': {
          const item = items.get(jid);
          if (item && (item.ask || item.subscription === 'to' || item.subscription === 'both')) {
            void d.conn.send(new Element('presence', { to: jid, type: 'subscribed' }));
          } else d.emit({ type: 'subscription-request', jid });
          return true;
        }
        default:
          // subscribed / unsubscribe / unsubscribed: the server turns them into roster pushes.
          return true;
      }
    },
    contacts,
    async add(jid, name) {
      const bare = bareJid(jid);
      if (!bare.includes('@') || bare === d.conn.bare) throw new ChatError('bad_request', `cannot add ${JSON.stringify(jid)} as a contact`);
      const query = new Element('query', { xmlns: NS.roster });
      query.c('item', { jid: bare, ...(name ? { name } : {}) });
      await d.conn.request(iq('set', undefined, query), `adding ${bare}`);
      if (!(await d.conn.send(new Element('presence', { to: bare, type: 'subscribe' })))) throw new ChatError('not_connected', 'not connected');
    },
    async update(jid, patch) {
      const bare = bareJid(jid);
      const item = items.get(bare);
      if (!item) throw new ChatError('bad_request', `${bare} is not a contact`);
      const name = patch.name !== undefined ? patch.name.trim() : item.name;
      const groups = patch.groups ?? item.groups;
      const query = new Element('query', { xmlns: NS.roster });
      const el = query.c('item', { jid: bare, ...(name ? { name } : {}) });
      for (const g of new Set(groups.map((x) => x.trim()).filter(Boolean))) el.c('group').t(g);
      await d.conn.request(iq('set', undefined, query), `changing ${bare}`);
    },
    async remove(jid) {
      const bare = bareJid(jid);
      const query = new Element('query', { xmlns: NS.roster });
      query.c('item', { jid: bare, subscription: 'remove' });
      await d.conn.request(iq('set', undefined, query), `removing ${bare}`);
    },
    async answer(jid, approve) {
      const bare = bareJid(jid);
      if (!(await d.conn.send(new Element('presence', { to: bare, type: approve ? 'subscribed' : 'unsubscribed' })))) throw new ChatError('not_connected', 'not connected');
      const item = items.get(bare);
      // Approving someone we do not follow yet: ask back, so both see each other (what users expect of "add").
      if (approve && !(item && (item.ask || item.subscription === 'to' || item.subscription === 'both'))) {
        await d.conn.send(new Element('presence', { to: bare, type: 'subscribe' }));
      }
    },
  };
}
