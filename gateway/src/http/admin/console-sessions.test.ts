import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConsoleSessions } from './console-sessions.ts';

test('a session ends after idleMs without use; use keeps it alive', () => {
  let now = 0;
  const s = createConsoleSessions({ idleMs: 1000, now: () => now });
  const { id, session } = s.open(1, 'a@example.com', '127.0.0.1');
  assert.notEqual(session.csrf, id, 'the CSRF token is not the cookie');
  now = 999;
  assert.equal(typeof s.get(id), 'object');
  now = 1998; // 999 ms after the last use
  assert.equal(typeof s.get(id), 'object');
  now = 2998; // 1000 ms after the last use
  assert.equal(s.get(id), 'expired');
  assert.equal(s.get(id), undefined, 'gone after it expired');
});

test('a look that does not touch leaves the idle clock running (the live dashboard)', () => {
  let now = 0;
  const s = createConsoleSessions({ idleMs: 1000, now: () => now });
  const { id } = s.open(1, 'a@example.com', '127.0.0.1');
  now = 600;
  s.get(id, false);
  now = 1000;
  assert.equal(s.get(id), 'expired');
});

test('unknown ids, sign-out and an account losing its right', () => {
  const s = createConsoleSessions({ idleMs: 1000 });
  assert.equal(s.get(undefined), undefined);
  assert.equal(s.get('nope'), undefined);
  const a = s.open(1, 'a@example.com', 'x');
  const b = s.open(2, 'b@example.com', 'x');
  s.close(a.id);
  assert.equal(s.get(a.id), undefined);
  s.closeAccount(2);
  assert.equal(s.get(b.id), undefined);
});
