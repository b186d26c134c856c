import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeJid } from './jid.ts';
import { Router } from './router.ts';
import type { Session } from './session.ts';

const session = (local: string, domain: string, resource: string) => ({ jid: makeJid(local, domain, resource) }) as unknown as Session;

test('onlineIn lists the users of a domain with a bound session, as sessions come and go', () => {
  const r = new Router();
  assert.deepEqual([...r.onlineIn('a.example')], []);
  const ann1 = session('ann', 'a.example', 'desk');
  const ann2 = session('ann', 'a.example', 'phone');
  const bob = session('bob', 'a.example', 'desk');
  const eve = session('eve', 'b.example', 'desk');
  for (const s of [ann1, ann2, bob, eve]) r.add(s);
  assert.deepEqual([...r.onlineIn('a.example')].sort(), ['ann@a.example', 'bob@a.example']);
  assert.deepEqual([...r.onlineIn('b.example')], ['eve@b.example']);
  r.remove(ann1);
  assert.deepEqual([...r.onlineIn('a.example')].sort(), ['ann@a.example', 'bob@a.example'], 'ann still has her phone');
  // A session replaced by a newer one with the same resource (RFC 6120 §7.7.2.2) leaves nothing behind when it closes.
  const bob2 = session('bob', 'a.example', 'desk');
  r.add(bob2);
  r.remove(bob);
  assert.deepEqual([...r.onlineIn('a.example')].sort(), ['ann@a.example', 'bob@a.example']);
  r.remove(ann2);
  r.remove(bob2);
  assert.deepEqual([...r.onlineIn('a.example')], []);
  r.remove(eve);
  assert.deepEqual([...r.onlineIn('b.example')], []);
});
