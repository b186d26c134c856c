// RFC 6121 §4: presence. Who sees whom follows the roster (modules/roster/): directory contacts
// (the user's domain and linked domains) are subscribed both ways, minus the colleagues a user hid
// from their roster (the hider stops receiving theirs), plus personal subscriptions between users of
// unlinked domains. Available and unavailable presence goes to everyone subscribed to the user; an
// initial presence is answered with the current presence of everyone the user is subscribed to (the
// server answers its own probes). Subscription stanzas (§3) are the roster module's. Directed
// presence is delivered as addressed. A session that ends while available is announced
// unavailable, also when its TCP connection simply died.
import { Element } from 'ltx';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import type { Session } from '../core/session.ts';
import { addressed } from '../core/fanout.ts';
import { cloneEl, errorReply } from '../core/stanza.ts';
import { presenceAudience, presenceSources, receives } from './roster/view.ts';

const SUBSCRIPTION = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

function copyTo(p: Element, to: string): Element {
  const c = cloneEl(p);
  c.attrs.to = to;
  return c;
}

/** Every available session that should see `session`'s broadcast presence: contacts subscribed to it and own other resources. */
function audience(ctx: ServerContext, session: Session): Session[] {
  const out: Session[] = [];
  // Only the users online are looked up: with a domain of thousands, most are not.
  for (const address of presenceAudience(ctx, session.account!)) ctx.router.eachOf(address, (s) => s.available && out.push(s));
  ctx.router.eachOf(session.jid!.bare, (s) => s !== session && s.available && out.push(s));
  return out;
}

/**
 * To available colleagues and own resources — and back to the sender itself (RFC 6121 §4.2.2,
 * §4.5.2). The stanza is serialized once for all of them (core/fanout.ts): only `to` differs; a
 * large audience gets it in time slices (core/outbox.ts). The sender's own copy goes at once: its
 * client counts itself signed in when it sees it.
 */
function broadcast(ctx: ServerContext, session: Session, p: Element): void {
  ctx.outbox.broadcast(p, audience(ctx, session));
  session.send(addressed(p, session.jid!.full));
}

/** The current presence of every contact `session`'s user is subscribed to, and of its own other resources. */
function sendCurrentPresences(ctx: ServerContext, session: Session): void {
  const out: Element[] = [];
  const add = (s: Session) => s.presence && out.push(s.presence);
  for (const address of presenceSources(ctx, session.account!)) ctx.router.eachOf(address, add);
  ctx.router.eachOf(session.jid!.bare, (s) => s !== session && add(s));
  ctx.outbox.toOne(session, out);
}

/**
 * RFC 6121 §4.7.2.1: <show/> is one of away, chat, dnd, xa; without it the user is simply
 * available. An empty or unknown <show/> (some clients send <show/> for "online") is removed
 * before the presence is broadcast or kept, so contacts' clients see plain availability.
 */
const SHOWS = new Set(['away', 'chat', 'dnd', 'xa']);
export function normaliseShow(p: Element): void {
  const shows = p.getChildren('show');
  const valid = shows.find((s) => SHOWS.has(s.getText().trim()));
  for (const s of shows) if (s !== valid) p.remove(s);
  if (valid && valid.getText() !== valid.getText().trim()) {
    const text = valid.getText().trim();
    valid.children = [text];
  }
}

function unavailable(session: Session): Element {
  return new Element('presence', { type: 'unavailable', from: session.jid!.full });
}

export const presenceModule: XmppModule = {
  name: 'presence',
  setup(host: ModuleHost, ctx: ServerContext) {
    // Every available presence a client sends, rooms' included, before anyone sees or keeps it.
    host.inbound.push((stanza) => {
      if (stanza.name === 'presence' && stanza.attrs.type === undefined) normaliseShow(stanza);
    });
    host.presence = (stanza, session) => {
      const type = stanza.attrs.type;
      if (!stanza.attrs.to) {
        if (type === undefined) {
          const initial = !session.available;
          const prio = Number.parseInt(stanza.getChildText('priority') ?? '0', 10);
          session.priority = Number.isFinite(prio) ? Math.max(-128, Math.min(127, prio)) : 0;
          session.presence = stanza;
          broadcast(ctx, session, stanza);
          if (initial) {
            sendCurrentPresences(ctx, session);
            for (const hook of host.becameAvailable) hook(session);
          }
        } else if (type === 'unavailable') {
          if (session.available) broadcast(ctx, session, stanza);
          session.presence = undefined;
        }
        return;
      }
      const to = parseJid(stanza.attrs.to);
      if (!to) return session.send(errorReply(stanza, 'modify', 'jid-malformed'));
      const contact = ctx.isLocalDomain(to.domain) ? ctx.account(to.bare) : undefined;
      if (type && SUBSCRIPTION.has(type)) return host.subscription?.(stanza, session);
      if (type === 'probe') {
        if (contact && receives(ctx, session.account!, contact.address)) {
          for (const s of ctx.router.sessionsOf(to.bare)) if (s.presence) session.send(addressed(s.presence, session.jid!.full));
        }
        return;
      }
      // Directed presence (RFC 6121 §4.6).
      if (!contact) return;
      const targets = to.resource ? [ctx.router.get(to.bare, to.resource)].filter((s): s is Session => !!s) : ctx.router.sessionsOf(to.bare);
      for (const s of targets) s.send(copyTo(stanza, s.jid!.full));
    };
    host.closed.push((session) => {
      if (!session.available) return;
      session.presence = undefined;
      ctx.outbox.broadcast(unavailable(session), audience(ctx, session));
    });
  },
};
