// XEP-0280: Message Carbons (urn:xmpp:carbons:2) — every resource of a user that enabled carbons
// sees the chat messages its other resources send ("sent") and the ones addressed to another
// resource ("received"), wrapped in XEP-0297 forwarded. <private/> and the XEP-0334 <no-copy/>
// hint opt a message out.
import { Element } from 'ltx';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import type { Session } from '../core/session.ts';
import { cloneEl, errorReply } from '../core/stanza.ts';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_HINTS = 'urn:xmpp:hints';

const enabled = new WeakSet<Session>();

function wrap(kind: 'sent' | 'received', original: Element, to: Session): Element {
  const m = new Element('message', { from: to.jid!.bare, to: to.jid!.full, type: original.attrs.type });
  const inner = cloneEl(original);
  inner.attrs.xmlns = 'jabber:client';
  m.c(kind, { xmlns: NS_CARBONS }).c('forwarded', { xmlns: NS_FORWARD }).cnode(inner);
  return m;
}

export const carbonsModule: XmppModule = {
  name: 'carbons',
  setup(host: ModuleHost, ctx: ServerContext) {
    host.features.add(NS_CARBONS);
    host.iq(NS_CARBONS, (iq, session) => {
      const what = iq.getChildElements()[0]?.name;
      if (iq.attrs.type !== 'set' || (what !== 'enable' && what !== 'disable')) return errorReply(iq, 'modify', 'bad-request');
      if (what === 'enable') enabled.add(session);
      else enabled.delete(session);
      return undefined;
    });
    host.messageRouted.push((stanza, from, deliveredTo) => {
      // Carbons are for chat messages (and normal ones with a body, §6); never for errors or rooms.
      const type = stanza.attrs.type ?? 'normal';
      if (type !== 'chat' && !(type === 'normal' && stanza.getChild('body'))) return;
      if (stanza.getChild('private', NS_CARBONS) || stanza.getChild('no-copy', NS_HINTS)) return;
      for (const s of ctx.router.sessionsOf(from.jid!.bare)) {
        if (s !== from && enabled.has(s) && !deliveredTo.includes(s)) s.send(wrap('sent', stanza, s));
      }
      const to = deliveredTo[0]?.jid?.bare;
      if (!to || to === from.jid!.bare) return;
      // The recipient's other clients that got a copy: the message module keeps track (XEP-0198).
      const copied: Session[] = [];
      for (const s of ctx.router.sessionsOf(to)) {
        if (enabled.has(s) && !deliveredTo.includes(s)) {
          s.send(wrap('received', stanza, s));
          copied.push(s);
        }
      }
      return copied;
    });
  },
};
