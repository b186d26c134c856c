import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Element, parse } from 'ltx';
import type { Session } from '../../core/session.ts';
import { broadcast } from './broadcast.ts';
import type { Occupant } from './room.ts';

/** A child that counts how often it is serialized. */
class Counted extends Element {
  writes = 0;
  write(writer: (s: string) => void): void {
    this.writes++;
    writer('<body>hi &amp; bye</body>');
  }
}

function occupants(n: number, perUser = 1) {
  const got = new Map<string, Element[]>();
  const list: Occupant[] = [];
  for (let i = 0; i < n; i++) {
    const sessions = new Map<string, Session>();
    for (let k = 0; k < perUser; k++) {
      const full = `u${i}@example.com/r${k}&'"<>`;
      got.set(full, []);
      sessions.set(full, { send: (el: Element) => got.get(full)!.push(el) } as unknown as Session);
    }
    list.push({ nick: `u${i}`, bare: `u${i}@example.com`, jid: `u${i}@example.com/r0`, sessions, role: 'participant', presence: new Element('presence') });
  }
  return { list, got };
}

test('a broadcast serializes the stanza once; each copy is the stanza with its own to', () => {
  const body = new Counted('body');
  const msg = new Element('message', { type: 'groupchat', from: 'room@conference.example.com/a"b', id: 'x1' });
  msg.cnode(body);
  const { list, got } = occupants(30, 2);
  broadcast(list.values(), msg, list[3]);
  for (const full of list[3]!.sessions.keys()) assert.equal(got.get(full)!.length, 0, 'the one left out gets nothing');
  let n = 0;
  for (const [full, els] of got) {
    if (full.startsWith('u3@')) continue;
    assert.equal(els.length, 1);
    const back = parse(els[0]!.toString());
    assert.equal(back.attrs.to, full, 'its own to, escaped and read back');
    assert.equal(back.attrs.from, 'room@conference.example.com/a"b');
    assert.equal(back.getChildText('body'), 'hi & bye');
    n++;
  }
  assert.equal(n, 58);
  assert.equal(body.writes, 1, 'the children were serialized once for 58 copies');
});

test('a copy changed on the way (an attribute, a child added, the to removed) serializes as changed', () => {
  const msg = new Element('message', { type: 'groupchat', from: 'room@conference.example.com/a' });
  msg.c('body').t('hello');
  const { list, got } = occupants(3);
  broadcast(list, msg);
  const [a, b, c] = [...got.values()].map((els) => els[0]!);
  a!.attrs.xmlns = 'jabber:client'; // RFC 7395 framing
  b!.children.push(new Element('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-01T00:00:00Z' })); // XEP-0198 resend
  delete c!.attrs.to;
  assert.equal(parse(a!.toString()).attrs.xmlns, 'jabber:client');
  assert.equal(parse(b!.toString()).getChild('delay')?.attrs.stamp, '2026-01-01T00:00:00Z');
  assert.equal(parse(c!.toString()).attrs.to, undefined);
  // The others and the original are untouched by those changes.
  assert.equal(msg.children.length, 1);
  assert.equal(parse(b!.toString()).attrs.xmlns, undefined);
  // Inside another element (ltx serializes children with write()), a copy renders the same way.
  const wrapper = new Element('forwarded', { xmlns: 'urn:xmpp:forward:0' }).cnode(a!);
  assert.equal(parse(wrapper.root().toString()).getChild('message')?.getChildText('body'), 'hello');
});
