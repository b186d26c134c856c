import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { StreamError, XmlStream } from './xml-stream.ts';

const OPEN = `<?xml version='1.0'?><stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">`;

function stream(limits = { maxStanzaChars: 10_000, maxDepth: 8 }) {
  const seen = { starts: [] as Record<string, string>[], stanzas: [] as Element[], ended: 0 };
  const s = new XmlStream(limits, {
    streamStart: (a) => seen.starts.push(a),
    stanza: (el) => seen.stanzas.push(el),
    streamEnd: () => seen.ended++,
  });
  return { s, seen };
}

test('stanzas come out whole, whatever the chunking, including UTF-8 split inside a character', () => {
  const xml = `${OPEN}<message to="bob@example.com" type="chat"><body>Grüße 👋 &amp; &lt;3 &#x263A;</body></message> <iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq></stream:stream>`;
  const bytes = Buffer.from(xml);
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const { s, seen } = stream();
    for (let i = 0; i < bytes.length; i += size) s.write(bytes.subarray(i, i + size));
    assert.equal(seen.starts.length, 1, `chunk ${size}`);
    assert.equal(seen.starts[0]!.to, 'example.com');
    assert.equal(seen.stanzas.length, 2);
    assert.equal(seen.stanzas[0]!.getChildText('body'), 'Grüße 👋 & <3 ☺');
    assert.equal(seen.stanzas[0]!.parent, null, 'stanzas are detached from the stream root');
    assert.equal(seen.stanzas[1]!.getChild('ping', 'urn:xmpp:ping')?.name, 'ping');
    assert.equal(seen.ended, 1);
  }
});

test('CDATA is text; "<!" and "<?" inside it are not markup', () => {
  const { s, seen } = stream();
  s.write(`${OPEN}<message><body><![CDATA[a <!-- b --> <?pi?> c]]></body></message>`);
  assert.equal(seen.stanzas[0]!.getChildText('body'), 'a <!-- b --> <?pi?> c');
});

test('restricted XML is refused: comments, DTDs, processing instructions, custom entities (RFC 6120 §11.1)', () => {
  const cases = [
    `${OPEN}<!-- hi --><message/>`,
    `<?xml version='1.0'?><!DOCTYPE x [<!ENTITY lol "lol">]>${OPEN}`,
    `${OPEN}<?php echo 1; ?>`,
    `${OPEN}<message><body>&lol;</body></message>`,
  ];
  for (const xml of cases) {
    const { s } = stream();
    assert.throws(() => s.write(xml), (e: unknown) => e instanceof StreamError && e.condition === 'restricted-xml', xml);
  }
  // Split right after "<!" or "<?": decided once the next chunk arrives.
  const { s } = stream();
  s.write(`${OPEN}<message/><`);
  assert.throws(() => s.write('!-- x -->'), { condition: 'restricted-xml' });
});

test('limits: oversized stanza and deep nesting are policy violations; mismatched tags not-well-formed', () => {
  const big = stream({ maxStanzaChars: 1000, maxDepth: 8 });
  big.s.write(`${OPEN}<message><body>`);
  assert.throws(() => {
    for (let i = 0; i < 20; i++) big.s.write('x'.repeat(100));
  }, { condition: 'policy-violation' });
  assert.throws(() => big.s.write('<more/>'), { condition: 'policy-violation' }, 'a failed stream stays failed');

  const deep = stream({ maxStanzaChars: 100_000, maxDepth: 8 });
  assert.throws(() => deep.s.write(`${OPEN}${'<a>'.repeat(20)}`), { condition: 'policy-violation' });

  const bad = stream();
  assert.throws(() => bad.s.write(`${OPEN}<message><body></message>`), { condition: 'not-well-formed' });

  const ns = stream();
  assert.throws(() => ns.s.write(`<stream:stream xmlns:stream="urn:wrong">`), { condition: 'invalid-namespace' });
});

test('many small stanzas in one chunk, and whitespace keepalives, are fine; restart() begins a new stream', () => {
  const { s, seen } = stream({ maxStanzaChars: 2000, maxDepth: 8 });
  s.write(OPEN);
  for (let i = 0; i < 50; i++) s.write(' \n');
  s.write('<presence/>'.repeat(100));
  assert.equal(seen.stanzas.length, 100);
  s.restart();
  s.write(OPEN.replace(`<?xml version='1.0'?>`, ''));
  assert.equal(seen.starts.length, 2);
});
