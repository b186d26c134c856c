import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Element, parse } from 'ltx';
import { addressed } from './fanout.ts';
import { cloneEl } from './stanza.ts';

function presence(): Element {
  const p = new Element('presence', { from: 'ann@example.com/desk', 'xml:lang': 'en' });
  p.c('show').t('away');
  p.c('status').t('at lunch <back> "soon" & more');
  p.c('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://herald.example', ver: 'a+b/c=' });
  return p;
}

/** What each copy used to be: a deep clone with `to` set, serialized in full. */
function classic(p: Element, to: string): string {
  const c = cloneEl(p);
  c.attrs.to = to;
  return c.toString();
}

test('a copy serializes to the same XML as a full clone addressed to the recipient, escaping included', () => {
  const p = presence();
  for (const to of ['bob@example.com/phone', "o'neil@example.com/a&b<c>\"d\""]) {
    const copy = addressed(p, to);
    assert.deepEqual(parse(copy.toString()), parse(classic(p, to)));
    assert.equal(parse(copy.toString()).attrs.to, to);
    assert.equal(copy.attrs.to, to);
    assert.equal(copy.getChildText('status'), 'at lunch <back> "soon" & more');
  }
  const empty = new Element('presence', { type: 'unavailable', from: 'ann@example.com/desk' });
  assert.deepEqual(parse(addressed(empty, 'bob@example.com/x').toString()), parse(classic(empty, 'bob@example.com/x')));
  // A template that carried a `to` already (a stored presence re-sent) is re-addressed, not doubled.
  const withTo = presence();
  withTo.attrs.to = 'old@example.com/r';
  assert.equal(parse(addressed(withTo, 'new@example.com/r').toString()).attrs.to, 'new@example.com/r');
});

test('a broadcast to 200 recipients serializes the stanza once, not once per recipient', () => {
  const p = presence();
  let writes = 0;
  type Writer = { write(writer: (s: string) => void): void };
  const status = p.getChild('status')! as unknown as Writer;
  const write = status.write.bind(status);
  status.write = (writer) => {
    writes++;
    write(writer);
  };
  const out = new Set<string>();
  for (let i = 0; i < 200; i++) out.add(addressed(p, `u${i}@example.com/r`).toString());
  assert.equal(out.size, 200);
  assert.equal(writes, 1);
});

test('a copy whose attributes changed on its way out renders them (RFC 7395 xmlns), and a changed value renders in full', () => {
  const p = presence();
  const copy = addressed(p, 'bob@example.com/ws');
  copy.attrs.xmlns = 'jabber:client';
  const ws = parse(copy.toString());
  assert.equal(ws.attrs.xmlns, 'jabber:client');
  assert.equal(ws.attrs.to, 'bob@example.com/ws');
  assert.equal(ws.attrs.from, 'ann@example.com/desk');
  delete copy.attrs.xmlns;
  assert.equal(parse(copy.toString()).attrs.xmlns, undefined);
  copy.attrs.from = 'eve@example.com/x';
  assert.equal(parse(copy.toString()).attrs.from, 'eve@example.com/x');
  delete copy.attrs.from;
  assert.equal(parse(copy.toString()).attrs.from, undefined);
});

test('a child added to one copy renders in that copy only; an xmlns added on the way keeps the one serialization', () => {
  const p = presence();
  let writes = 0;
  type Writer = { write(writer: (s: string) => void): void };
  const status = p.getChild('status')! as unknown as Writer;
  const write = status.write.bind(status);
  status.write = (writer) => {
    writes++;
    write(writer);
  };
  const a = addressed(p, 'a@example.com/r');
  const b = addressed(p, 'b@example.com/r');
  a.children.push(new Element('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-01T00:00:00Z' })); // XEP-0198 resend
  assert.equal(parse(a.toString()).getChild('delay')?.attrs.stamp, '2026-01-01T00:00:00Z');
  assert.equal(parse(b.toString()).getChild('delay'), undefined);
  assert.equal(p.getChild('delay'), undefined, 'the template is untouched');
  writes = 0;
  for (let i = 0; i < 50; i++) {
    const ws = addressed(p, `u${i}@example.com/ws`);
    ws.attrs.xmlns = 'jabber:client'; // RFC 7395 §3.3.3
    assert.equal(parse(ws.toString()).attrs.xmlns, 'jabber:client');
  }
  assert.equal(writes, 0, 'WebSocket copies reuse the halves');
});
