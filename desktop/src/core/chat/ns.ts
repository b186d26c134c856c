// XML namespaces of the RFCs and XEPs the desktop chat speaks (one place, so a typo cannot hide
// in one file): RFC 6120/6121 and the XEPs named beside each.
export const NS = {
  roster: 'jabber:iq:roster', // RFC 6121 §2
  discoInfo: 'http://jabber.org/protocol/disco#info', // XEP-0030
  discoItems: 'http://jabber.org/protocol/disco#items',
  data: 'jabber:x:data', // XEP-0004
  rsm: 'http://jabber.org/protocol/rsm', // XEP-0059
  muc: 'http://jabber.org/protocol/muc', // XEP-0045
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucOwner: 'http://jabber.org/protocol/muc#owner',
  roomConfig: 'http://jabber.org/protocol/muc#roomconfig',
  conference: 'jabber:x:conference', // XEP-0249 direct invitations
  xhtmlIm: 'http://jabber.org/protocol/xhtml-im', // XEP-0071
  xhtml: 'http://www.w3.org/1999/xhtml',
  chatStates: 'http://jabber.org/protocol/chatstates', // XEP-0085
  receipts: 'urn:xmpp:receipts', // XEP-0184
  oob: 'jabber:x:oob', // XEP-0066
  upload: 'urn:xmpp:http:upload:0', // XEP-0363
  mam: 'urn:xmpp:mam:2', // XEP-0313
  forward: 'urn:xmpp:forward:0', // XEP-0297
  delay: 'urn:xmpp:delay', // XEP-0203
  sid: 'urn:xmpp:sid:0', // XEP-0359
  carbons: 'urn:xmpp:carbons:2', // XEP-0280
  hints: 'urn:xmpp:hints', // XEP-0334
  ping: 'urn:xmpp:ping', // XEP-0199
  version: 'jabber:iq:version', // XEP-0092
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas', // RFC 6120 §8.3
} as const;
