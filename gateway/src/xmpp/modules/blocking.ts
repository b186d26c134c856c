// XEP-0191: Blocking Command (urn:xmpp:blocking). A user's blocklist is kept in SQLite
// (store/blocklist.ts) and held in memory; get/block/unblock (unblock without items = all, §3.4)
// answer the user and push the change to every resource of theirs that requested the blocklist
// (§3.3, like roster pushes; Prosody does the same). JIDs match as in XEP-0016 §2.1 (XEP-0191 §6):
// an item <user@domain/resource> matches only that full JID, <user@domain> the bare JID and every
// resource, <domain/resource> that resource of the domain, <domain> the domain and every JID at it.
//
// What blocking does (§3.5, §5 "Relationship to Privacy Lists" as XEP-0016 §2.3 specifies):
// - A blocked entity's messages to the user are refused with <service-unavailable/> — not
//   delivered, not stored offline, not archived, not copied as carbons; its iq get/set likewise;
//   its presence (broadcast, directed, probes, subscriptions) is silently dropped, so the user
//   appears offline to it and it appears offline to the user.
// - What the user sends to a JID they blocked is refused with <not-acceptable/> and
//   <blocked xmlns='urn:xmpp:blocking:errors'/> (§3.5); presence to it is dropped.
// - On block, each side's current available presence is replaced by unavailable presence (§3.3),
//   where the other side may see it (roster rules); on unblock the current presence is sent again
//   (§3.4).
// Rooms: a stanza is matched by the address it comes from as delivered (XEP-0016 §2.1), and room
// traffic comes from the room's occupant JID (room@conference.example.com/nick), not the
// occupant's real JID. So blocking <room@conference.example.com/nick> hides that occupant's
// groupchat messages, presence and private messages in that room from the user; blocking
// <room@conference.example.com> the whole room; blocking a user's own JID does not hide them in
// rooms (as in Prosody and ejabberd). The room itself (and its central log) is not affected.
import { randomBytes } from 'node:crypto';
import { Element } from 'ltx';
import type { BlocklistStore } from '../../store/index.ts';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid, type Jid } from '../core/jid.ts';
import type { Session } from '../core/session.ts';
import { cloneEl, errorReply, iqResult, payloadOf } from '../core/stanza.ts';
import { receives } from './roster/view.ts';

export const NS_BLOCKING = 'urn:xmpp:blocking';
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';

/** Whether `jid` is matched by an item of `list` (XEP-0016 §2.1 JID matching). */
export function isBlockedBy(list: ReadonlySet<string> | undefined, jid: Jid): boolean {
  if (!list?.size) return false;
  if (list.has(jid.full) || list.has(jid.bare) || list.has(jid.domain)) return true;
  return jid.local !== '' && jid.resource !== '' && list.has(`${jid.domain}/${jid.resource}`);
}

/** Parses a block/unblock request's items; undefined when one is malformed (the request is refused whole). */
function itemsOf(payload: Element): string[] | undefined {
  const out: string[] = [];
  for (const item of payload.getChildren('item')) {
    const j = parseJid(item.attrs.jid);
    if (!j) return undefined;
    if (!out.includes(j.full)) out.push(j.full);
  }
  return out;
}

function presenceCopy(p: Element, to: string): Element {
  const c = cloneEl(p);
  c.attrs.to = to;
  return c;
}

export function createBlockingModule(deps: { store: BlocklistStore }): XmppModule {
  return {
    name: 'blocking',
    setup(host: ModuleHost, ctx: ServerContext) {
      host.features.add(NS_BLOCKING);
      // By the owner's bare JID; only users with a non-empty list are in it.
      const lists = new Map<string, Set<string>>();
      for (const [owner, jids] of deps.store.all()) lists.set(owner, new Set(jids));
      const interested = new WeakSet<Session>();

      /** Every bound session of someone else whose JID one of `items` matches. */
      const sessionsMatching = (own: string, items: Iterable<string>): Session[] => {
        const set = new Set(items);
        const out: Session[] = [];
        for (const resources of ctx.router.all()) {
          for (const s of resources.values()) if (s.jid!.bare !== own && isBlockedBy(set, s.jid!)) out.push(s);
        }
        return out;
      };
      /**
       * Presence between the user's sessions and `others`, both ways, where the roster lets each
       * see the other: unavailable on block (§3.3), the current presence on unblock (§3.4).
       */
      const exchangePresence = (session: Session, others: Session[], current: boolean) => {
        const own = session.account!;
        const mine = ctx.router.sessionsOf(own.address).filter((s) => s.available);
        for (const c of others) {
          if (receives(ctx, c.account!, own.address) && c.available) {
            for (const s of mine) c.send(current ? presenceCopy(s.presence!, c.jid!.full) : new Element('presence', { type: 'unavailable', from: s.jid!.full, to: c.jid!.full }));
          }
          if (receives(ctx, own, c.jid!.bare) && c.available) {
            for (const s of mine) s.send(current ? presenceCopy(c.presence!, s.jid!.full) : new Element('presence', { type: 'unavailable', from: c.jid!.full, to: s.jid!.full }));
          }
        }
      };
      const push = (owner: string, what: 'block' | 'unblock', jids: string[]) => {
        for (const s of ctx.router.sessionsOf(owner)) {
          if (!interested.has(s)) continue;
          const el = new Element(what, { xmlns: NS_BLOCKING });
          for (const j of jids) el.c('item', { jid: j });
          const iq = new Element('iq', { type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: s.jid!.full });
          iq.cnode(el);
          s.send(iq);
        }
      };

      host.iq(NS_BLOCKING, (iq, session) => {
        const payload = payloadOf(iq)!;
        const own = session.account!;
        const list = lists.get(own.address);
        if (iq.attrs.type === 'get') {
          if (payload.name !== 'blocklist') return errorReply(iq, 'modify', 'bad-request', 'ask for <blocklist/>');
          interested.add(session);
          const out = new Element('blocklist', { xmlns: NS_BLOCKING });
          for (const j of list ?? []) out.c('item', { jid: j });
          return iqResult(iq, out);
        }
        if (payload.name !== 'block' && payload.name !== 'unblock') return errorReply(iq, 'modify', 'bad-request', 'a set is <block/> or <unblock/>');
        const items = itemsOf(payload);
        if (!items) return errorReply(iq, 'modify', 'jid-malformed', 'an item has no valid "jid"');
        if (payload.name === 'block') {
          // §3.3: a block without items is a bad request.
          if (!items.length) return errorReply(iq, 'modify', 'bad-request', 'name at least one JID to block');
          if (items.some((j) => j === own.address || j.startsWith(`${own.address}/`))) return errorReply(iq, 'modify', 'not-acceptable', 'you cannot block yourself');
          const fresh = items.filter((j) => !list?.has(j));
          // The presence goes out while the list still lets it through.
          exchangePresence(session, sessionsMatching(own.address, fresh), false);
          deps.store.add(own.id, fresh);
          const next = list ?? new Set<string>();
          for (const j of fresh) next.add(j);
          lists.set(own.address, next);
          push(own.address, 'block', items);
          ctx.log.info({ jid: own.address, count: fresh.length }, 'blocklist: JIDs blocked');
          return undefined;
        }
        // §3.4: without items, everything is unblocked.
        const gone = items.length ? items.filter((j) => list?.has(j)) : [...(list ?? [])];
        if (items.length) deps.store.remove(own.id, gone);
        else deps.store.clear(own.id);
        for (const j of gone) list?.delete(j);
        if (list && !list.size) lists.delete(own.address);
        // Who is still blocked by another item stays hidden.
        const freed = sessionsMatching(own.address, gone).filter((s) => !isBlockedBy(lists.get(own.address), s.jid!));
        exchangePresence(session, freed, true);
        push(own.address, 'unblock', items);
        return undefined;
      });

      // Stanzas a client sends: to someone who blocked it, or to someone it blocked.
      host.guards.push((stanza, session) => {
        if (!lists.size || !stanza.attrs.to) return false;
        const to = parseJid(stanza.attrs.to);
        const me = session.jid!;
        // One's own JIDs, and one's server itself (a user who blocked their whole domain still
        // talks to the server: disco, ping, the blocklist), are never blocked.
        if (!to || to.bare === me.bare || (!to.local && ctx.isLocalDomain(to.domain))) return false;
        const type = stanza.attrs.type;
        const request = stanza.name === 'message' ? type !== 'error' : stanza.name === 'iq' && (type === 'get' || type === 'set');
        if (isBlockedBy(lists.get(me.bare), to)) {
          // Leaving a room one blocked must still work.
          if (stanza.name === 'presence' && type === 'unavailable') return false;
          if (request) {
            const reply = errorReply(stanza, 'cancel', 'not-acceptable', `you blocked ${to.full}: unblock them to write to them`);
            reply.getChild('error')!.c('blocked', { xmlns: NS_BLOCKING_ERRORS });
            session.send(reply);
          }
          return true;
        }
        if (to.local && isBlockedBy(lists.get(to.bare), me)) {
          // §3.5 / XEP-0016 §2.3: the user appears offline to the blocked entity.
          if (request) session.send(errorReply(stanza, 'cancel', 'service-unavailable'));
          return true;
        }
        return false;
      });

      // Anything on its way to a session: from someone its user blocked, or from a user who blocked it.
      host.deliveryFilters.push((stanza, session) => {
        if (!lists.size || !stanza.attrs.from) return false;
        const from = parseJid(stanza.attrs.from);
        const me = session.jid!;
        // The server and its services (no local part), and the user's own JIDs, are never blocked.
        if (!from?.local || from.bare === me.bare) return false;
        return isBlockedBy(lists.get(me.bare), from) || isBlockedBy(lists.get(from.bare), me);
      });
    },
  };
}
