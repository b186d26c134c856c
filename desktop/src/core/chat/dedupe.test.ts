import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localId, messageKeys, textHash } from './dedupe.ts';

const base = { kind: 'chat' as const, from: 'bob@example.com/phone', at: '2026-11-27T10:00:00.000Z', body: 'hello' };

test('keys: sender (bare in 1:1, the occupant in rooms) + id + text, and the archive id', () => {
  assert.deepEqual(messageKeys({ ...base, id: 'm1', sid: 'A1' }), [`m:bob@example.com|m1|${textHash('hello')}`, 's:A1']);
  assert.deepEqual(messageKeys({ ...base, id: 'm1' }), messageKeys({ ...base, from: 'BOB@example.com/laptop', id: 'm1' }), 'any resource of the same account');
  assert.notDeepEqual(messageKeys({ ...base, id: 'm1' }), messageKeys({ ...base, id: 'm1', body: 'other' }));
  assert.notDeepEqual(messageKeys({ ...base, id: 'm1' }), messageKeys({ ...base, from: 'carol@example.com', id: 'm1' }));
  const room = { ...base, kind: 'groupchat' as const, from: 'lobby@conference.example.com/Bob', id: 'g1' };
  assert.notDeepEqual(messageKeys(room), messageKeys({ ...room, from: 'lobby@conference.example.com/Carol' }), 'two occupants');
  // No id, no archive id: sender, second and text.
  assert.deepEqual(messageKeys(base), messageKeys({ ...base, at: '2026-11-27T10:00:00.900Z' }));
  assert.notDeepEqual(messageKeys(base), messageKeys({ ...base, at: '2026-11-27T10:00:01.000Z' }));
});

test('ids the app made up are not keys', () => {
  const id = localId({ ...base, sid: 'A9' });
  assert.equal(id, '~A9');
  assert.deepEqual(messageKeys({ ...base, id, sid: 'A9' }), ['s:A9']);
  assert.match(localId(base), /^~2026-11-27T10:00:00\.000Z-/);
});
