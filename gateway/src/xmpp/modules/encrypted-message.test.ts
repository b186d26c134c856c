import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import { carriesContent, encryptionOf } from './encrypted-message.ts';

const msg = (inner: string): Element => parse(`<message xmlns='jabber:client' type='chat' to='b@x.org'>${inner}</message>`) as Element;
const OMEMO_FALLBACK = '<body>I sent you an OMEMO encrypted message but your client doesn’t seem to support that.</body>';

test('OMEMO (legacy and :2), OpenPGP (XEP-0373 and XEP-0027) are recognised, with or without a fallback body', () => {
  const cases: [string, string][] = [
    [`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AA==</iv></header><payload>BB==</payload></encrypted>${OMEMO_FALLBACK}<encryption xmlns='urn:xmpp:eme:0' namespace='eu.siacs.conversations.axolotl' name='OMEMO'/>`, 'omemo'],
    [`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>`, 'omemo'], // key transport: no body at all
    [`<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/><payload>CC==</payload></encrypted><body>[This message is OMEMO encrypted]</body>`, 'omemo:2'],
    [`<openpgp xmlns='urn:xmpp:openpgp:0'>BASE64</openpgp>`, 'openpgp'],
    [`<body>This message is encrypted.</body><x xmlns='jabber:x:encrypted'>qANQR1DBwU4D</x>`, 'pgp'],
  ];
  for (const [inner, want] of cases) assert.equal(encryptionOf(msg(inner)), want, inner);
});

test('a body beside an encrypted payload never makes the message readable, whatever it says', () => {
  assert.equal(encryptionOf(msg(`<body>Meet at 5, the code is 1234</body><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='9'/></encrypted>`)), 'omemo');
});

test('XEP-0380 declarations and OTR bodies count as encrypted; unknown schemes are named safely', () => {
  assert.equal(encryptionOf(msg(`<body>?OTR:AAMDd3...</body><encryption xmlns='urn:xmpp:eme:0' namespace='urn:xmpp:otr:0'/>`)), 'otr');
  assert.equal(encryptionOf(msg(`<body>?OTRv3?</body>`)), 'otr', 'an OTR query without EME');
  assert.equal(encryptionOf(msg(`<body>fallback</body><encryption xmlns='urn:xmpp:eme:0' namespace='urn:example:crypt'/>`)), 'eme:urn:example:crypt');
  assert.equal(encryptionOf(msg(`<body>x</body><encryption xmlns='urn:xmpp:eme:0' namespace='evil&#x9;tab\nnewline'/>`)), 'eme:unknown', 'nothing unprintable reaches the log');
  assert.equal(encryptionOf(msg(`<body>x</body><encryption xmlns='urn:xmpp:eme:0'/>`)), 'eme:unknown');
});

test('ordinary messages are not encrypted: plain text, lookalike elements in other namespaces, text mentioning OTR', () => {
  for (const inner of [
    '<body>hello</body>',
    '',
    `<body>I sent you an OMEMO encrypted message</body>`, // the words alone prove nothing
    `<body>hi</body><encrypted xmlns='urn:example:other'/>`,
    `<body>hi</body><x xmlns='jabber:x:oob'><url>https://x.org/f</url></x>`,
    `<body>What does ?OTR mean</body>`,
    `<body>an ?OTR: in the middle</body>`,
  ]) {
    assert.equal(encryptionOf(msg(inner)), undefined, inner);
  }
});

test('OMEMO key transport and heartbeats (no <payload/>) carry nothing to read; everything else does', () => {
  assert.equal(carriesContent(msg(`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>AA==</key><iv>BB==</iv></header></encrypted><store xmlns='urn:xmpp:hints'/>`)), false);
  assert.equal(carriesContent(msg(`<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/></encrypted>`)), false);
  assert.equal(carriesContent(msg(`<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/><payload>CC==</payload></encrypted>`)), true);
  assert.equal(carriesContent(msg(`<openpgp xmlns='urn:xmpp:openpgp:0'>X</openpgp>`)), true);
  assert.equal(carriesContent(msg('<body>hi</body>')), true);
});
