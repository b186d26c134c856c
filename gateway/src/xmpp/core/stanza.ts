// Building stanzas and stanza errors (RFC 6120 §8.3).
import { Element } from 'ltx';

export const NS = {
  client: 'jabber:client',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  roster: 'jabber:iq:roster',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  discoItems: 'http://jabber.org/protocol/disco#items',
  ping: 'urn:xmpp:ping',
  delay: 'urn:xmpp:delay',
} as const;

export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';
export type StanzaErrorCondition =
  | 'bad-request'
  | 'conflict'
  | 'feature-not-implemented'
  | 'forbidden'
  | 'item-not-found'
  | 'jid-malformed'
  | 'not-acceptable'
  | 'not-allowed'
  | 'not-authorized'
  | 'policy-violation'
  | 'recipient-unavailable'
  | 'registration-required'
  | 'remote-server-not-found'
  | 'remote-server-timeout'
  | 'resource-constraint'
  | 'service-unavailable'
  | 'internal-server-error';

/** The error reply to `stanza` (to/from swapped, original payload kept for iq/message). */
export function errorReply(stanza: Element, type: ErrorType, condition: StanzaErrorCondition, text?: string): Element {
  const reply = new Element(stanza.name, { type: 'error', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to });
  for (const child of stanza.children) if (typeof child !== 'string' && stanza.name !== 'iq') reply.cnode(cloneEl(child));
  const err = reply.c('error', { type });
  err.c(condition, { xmlns: NS.stanzas });
  if (text) err.c('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }).t(text);
  return reply;
}

export function iqResult(iq: Element, payload?: Element): Element {
  const r = new Element('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from, from: iq.attrs.to });
  if (payload) r.cnode(payload);
  return r;
}

export function cloneEl(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  for (const child of el.children) {
    if (typeof child === 'string') copy.t(child);
    else copy.cnode(cloneEl(child));
  }
  return copy;
}

/** The first child element (the iq payload), if any. */
export function payloadOf(el: Element): Element | undefined {
  return el.getChildElements()[0];
}

