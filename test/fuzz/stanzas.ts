// Valid stanzas the server handles (RFC 6120/6121 and the XEPs it serves) and a mutator that
// changes one thing in them: an attribute (to, from, type, id, xmlns or a new one), an element's
// name, a child dropped, doubled or borrowed from another stanza, the text, or the nesting depth.
import { parse, type Element } from 'ltx';
import type { Rng } from './prng.ts';

export interface StanzaContext {
  /** The fuzzing user's bare JID and full JID. */
  bare: string;
  full: string;
  /** Another user (not the witness), a room, the domain. */
  other: string;
  domain: string;
  room: string;
}

export function stanzaTemplates(c: StanzaContext): string[] {
  const form = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>${c.other}</value></field></x>`;
  return [
    `<message type='chat' to='${c.other}' id='m1'><body>hello</body><active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>`,
    `<message type='chat' to='${c.other}' id='m2'><body>hi</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>hi <a href='http://x'>x</a></p></body></html></message>`,
    `<message to='${c.other}' id='m3'><x xmlns='jabber:x:oob'><url>http://example.com/f</url></x></message>`,
    `<message type='groupchat' to='${c.room}' id='g1'><body>to the room</body></message>`,
    `<message to='${c.room}' id='inv1'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='${c.other}'><reason>join</reason></invite></x></message>`,
    `<presence><show>away</show><status>out</status><priority>5</priority></presence>`,
    `<presence type='subscribe' to='${c.other}'/>`,
    `<presence type='subscribed' to='${c.other}'/>`,
    `<presence to='${c.room}/fuzzer'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='5'/></x></presence>`,
    `<presence type='unavailable' to='${c.room}/fuzzer'/>`,
    `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`,
    `<iq type='set' id='r2'><query xmlns='jabber:iq:roster'><item jid='${c.other}' name='Other'><group>Friends</group></item></query></iq>`,
    `<iq type='set' id='r3'><query xmlns='jabber:iq:roster'><item jid='${c.other}' subscription='remove'/></query></iq>`,
    `<iq type='get' id='d1' to='${c.domain}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
    `<iq type='get' id='d2' to='${c.domain}'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`,
    `<iq type='get' id='d3' to='conference.${c.domain}'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`,
    `<iq type='get' id='d4' to='${c.room}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
    `<iq type='set' id='mam1'><query xmlns='urn:xmpp:mam:2' queryid='q1'>${form}<set xmlns='http://jabber.org/protocol/rsm'><max>5</max><before/></set></query></iq>`,
    `<iq type='get' id='mam2'><query xmlns='urn:xmpp:mam:2'/></iq>`,
    `<iq type='set' id='mam3' to='${c.room}'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>3</max><after>x</after></set></query></iq>`,
    `<iq type='set' id='muca' to='${c.room}'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='someone' role='none'><reason>out</reason></item></query></iq>`,
    `<iq type='set' id='mucb' to='${c.room}'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='${c.other}' affiliation='member'/></query></iq>`,
    `<iq type='get' id='mucc' to='${c.room}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`,
    `<iq type='get' id='muco' to='${c.room}'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`,
    `<iq type='set' id='mucd' to='${c.room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomname'><value>R</value></field></x></query></iq>`,
    `<iq type='get' id='up1' to='upload.${c.domain}'><request xmlns='urn:xmpp:http:upload:0' filename='a.txt' size='10' content-type='text/plain'/></iq>`,
    `<iq type='get' id='v1'><vCard xmlns='vcard-temp'/></iq>`,
    `<iq type='get' id='v2' to='${c.other}'><vCard xmlns='vcard-temp'/></iq>`,
    `<iq type='set' id='v3'><vCard xmlns='vcard-temp'><FN>Fuzz</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO></vCard></iq>`,
    `<iq type='get' id='p1' to='${c.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`,
    `<iq type='get' id='p2' to='${c.other}'><ping xmlns='urn:xmpp:ping'/></iq>`,
    `<iq type='set' id='c1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`,
    `<iq type='set' id='c2'><disable xmlns='urn:xmpp:carbons:2'/></iq>`,
    `<iq type='result' id='unknown1' to='${c.other}'/>`,
    `<iq type='error' id='unknown2' to='${c.domain}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    `<enable xmlns='urn:xmpp:sm:3' resume='true'/>`,
    `<r xmlns='urn:xmpp:sm:3'/>`,
    `<a xmlns='urn:xmpp:sm:3' h='1'/>`,
    `<resume xmlns='urn:xmpp:sm:3' previd='abc' h='0'/>`,
    `<active xmlns='urn:xmpp:csi:0'/>`,
    `<inactive xmlns='urn:xmpp:csi:0'/>`,
  ];
}

const hostileValues = (c: StanzaContext) => [
  '', ' ', 'x', '@', 'a@b@c', '/', '@/', `${c.domain}/..`, `${c.other}/res`, c.full, c.bare, `conference.${c.domain}`, `${c.room}/nick`, `upload.${c.domain}`,
  'x'.repeat(3100), '\u00e9\u00e9', 'é@例え.jp', 'error', 'result', 'get', 'set', 'headline', 'groupchat', 'normal', 'unavailable', 'probe', 'unsubscribe',
  '-1', '0', '99999999999999999999', 'NaN', '1e309', 'true', 'urn:xmpp:mam:2', 'jabber:server', 'jabber:client', 'http://etherx.jabber.org/streams', '&amp;lt;',
];

const allElements = (el: Element, out: Element[] = []): Element[] => {
  out.push(el);
  for (const ch of el.getChildElements()) allElements(ch, out);
  return out;
};

/** A hostile text: printable mostly (control characters would end the stream, which is legal but less interesting). */
const hostileText = (rng: Rng) => (rng.chance(0.9) ? rng.text().replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g, '?') : rng.text());

/** The template with one to three changes. */
export function mutateStanza(rng: Rng, c: StanzaContext): { xml: string; note: string } {
  const templates = stanzaTemplates(c);
  const root = parse(rng.pick(templates));
  const notes: string[] = [];
  const changes = 1 + rng.int(3);
  for (let k = 0; k < changes; k++) {
    const els = allElements(root);
    const el = rng.pick(els);
    const op = rng.int(9);
    if (op <= 2) {
      const name = rng.pick(['to', 'from', 'type', 'id', 'xmlns', 'jid', 'nick', 'role', 'affiliation', 'h', 'previd', 'size', 'filename', 'content-type', 'var', 'queryid', `x${rng.int(9)}`]);
      el.attrs[name] = rng.pick(hostileValues(c));
      notes.push(`${el.name}@${name}`);
    } else if (op === 3 && Object.keys(el.attrs).length) {
      const name = rng.pick(Object.keys(el.attrs));
      delete el.attrs[name];
      notes.push(`-${el.name}@${name}`);
    } else if (op === 4 && el !== root) {
      el.name = rng.pick(['query', 'x', 'body', 'item', 'error', 'set', 'stream:stream', 'iq', 'message', 'foo:bar']);
      notes.push(`rename ${el.name}`);
    } else if (op === 5 && el.children.length) {
      el.children.splice(rng.int(el.children.length), 1);
      notes.push(`-child of ${el.name}`);
    } else if (op === 6) {
      const donor = rng.pick(allElements(parse(rng.pick(templates))));
      el.children.push(rng.chance(0.5) ? donor : parse(donor.toString()));
      notes.push(`+${donor.name} in ${el.name}`);
      if (rng.chance(0.3)) el.children.push(parse(donor.toString()));
    } else if (op === 7) {
      el.children = [hostileText(rng)];
      notes.push(`text of ${el.name}`);
    } else {
      const depth = rng.pick([3, 10, 40]);
      el.children.push(parse(`${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}`));
      notes.push(`nest ${depth} in ${el.name}`);
    }
  }
  return { xml: root.toString(), note: `${root.name} [${notes.join('; ')}]` };
}
