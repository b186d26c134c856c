// XEP-0352: Client State Indication — a client that is not being looked at (a minimised tray
// app, a phone in a pocket) says <inactive/>, and the server holds back what is not urgent until
// it says <active/> or something urgent arrives, so idle clients wake (and use the radio) less.
// What waits: presence updates (only the latest per sender is kept: an older one is stale) and
// pure chat-state notifications (XEP-0085 typing). Everything else — a message with content or a
// receipt, an iq, a subscription request, an error — is urgent: what waits goes out first, then
// it, so order is kept. At most MAX_HELD stanzas wait; beyond that they all go out. Held stanzas
// are not yet counted by stream management (XEP-0198); when the session ends they are dropped —
// only presence and typing notifications, whose moment has passed anyway.
import type { Element } from 'ltx';
import type { XmppModule } from '../core/host.ts';
import type { Session } from '../core/session.ts';

export const NS_CSI = 'urn:xmpp:csi:0';
const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const MAX_HELD = 200;

/** Whether `el` can wait while the client is inactive (see the header). */
export function canWait(el: Element): boolean {
  const type = el.attrs.type;
  if (el.name === 'presence') return type === undefined || type === 'unavailable';
  if (el.name !== 'message' || type === 'error') return false;
  const children = el.getChildElements();
  return children.length > 0 && children.every((c) => c.attrs.xmlns === NS_CHATSTATES || c.name === 'no-store' || c.name === 'no-permanent-store');
}

class Held {
  /** Stanzas in the order they came; a newer presence from the same sender replaces the older. */
  private readonly queue: Element[] = [];

  constructor(private readonly session: Session) {}

  take(el: Element): boolean {
    if (!canWait(el)) {
      this.flush();
      return false;
    }
    if (el.name === 'presence') {
      const i = this.queue.findIndex((q) => q.name === 'presence' && q.attrs.from === el.attrs.from);
      if (i !== -1) this.queue.splice(i, 1);
    }
    this.queue.push(el);
    if (this.queue.length > MAX_HELD) this.flush();
    return true;
  }

  flush(): void {
    for (const el of this.queue.splice(0)) this.session.deliver(el);
  }
}

export const csiModule: XmppModule = {
  name: 'csi',
  setup(host) {
    host.streamFeatures.push({ name: 'csi', xmlns: NS_CSI });
    const held = new WeakMap<Session, Held>();
    host.nonzas.set(NS_CSI, (el, session) => {
      if (el.name === 'inactive') {
        if (held.has(session)) return;
        const h = new Held(session);
        held.set(session, h);
        session.outboundFilter = (stanza) => h.take(stanza);
      } else if (el.name === 'active') {
        const h = held.get(session);
        held.delete(session);
        session.outboundFilter = undefined;
        h?.flush();
      } else {
        session.streamError('unsupported-stanza-type', `<${el.name}/> is not a client state (XEP-0352: <active/> or <inactive/>)`);
      }
    });
  },
};
