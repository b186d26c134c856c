// RFC 6121 §4: presence. Contacts are the user's domain, subscribed both ways, so available and
// unavailable presence goes to every online colleague; an initial presence is answered with the
// colleagues' current presence (the server answers its own probes). Directed presence is
// delivered as addressed. A session that ends while available is announced unavailable, also
// when its TCP connection simply died.
import { Element } from 'ltx';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import type { Session } from '../core/session.ts';
import { cloneEl, errorReply } from '../core/stanza.ts';
import { rosterItems } from './roster.ts';

const SUBSCRIPTION = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

function copyTo(p: Element, to: string): Element {
  const c = cloneEl(p);
  c.attrs.to = to;
  return c;
}

/** Every online session that should see `session`'s broadcast presence: colleagues and own other resources. */
function audience(ctx: ServerContext, session: Session): Session[] {
  const out: Session[] = [];
  for (const a of rosterItems(ctx, session.account!)) out.push(...ctx.router.sessionsOf(a.address));
  for (const s of ctx.router.sessionsOf(session.jid!.bare)) if (s !== session) out.push(s);
  return out;
}

/** To available colleagues and own resources — and back to the sender itself (RFC 6121 §4.2.2, §4.5.2). */
function broadcast(ctx: ServerContext, session: Session, p: Element): void {
  for (const s of audience(ctx, session)) if (s.available) s.send(copyTo(p, s.jid!.full));
  session.send(copyTo(p, session.jid!.full));
}

function sendCurrentPresences(ctx: ServerContext, session: Session): void {
  for (const s of audience(ctx, session)) if (s.presence) session.send(copyTo(s.presence, session.jid!.full));
}

function unavailable(session: Session): Element {
  return new Element('presence', { type: 'unavailable', from: session.jid!.full });
}

export const presenceModule: XmppModule = {
  name: 'presence',
  setup(host: ModuleHost, ctx: ServerContext) {
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
      if (type && SUBSCRIPTION.has(type)) {
        // Colleagues are always subscribed both ways: confirm, and show where they are.
        if (type === 'subscribe' && contact && contact.domain === session.account!.domain) {
          session.send(new Element('presence', { type: 'subscribed', from: to.bare, to: session.jid!.bare }));
          for (const s of ctx.router.sessionsOf(to.bare)) if (s.presence) session.send(copyTo(s.presence, session.jid!.full));
        }
        return;
      }
      if (type === 'probe') {
        if (contact && contact.domain === session.account!.domain) {
          for (const s of ctx.router.sessionsOf(to.bare)) if (s.presence) session.send(copyTo(s.presence, session.jid!.full));
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
      const p = unavailable(session);
      for (const s of audience(ctx, session)) if (s.available) s.send(copyTo(p, s.jid!.full));
    });
  },
};
