import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from './chat-errors.ts';
import { chooseMechanism } from './sasl.ts';

const refused = (re: RegExp) => (e: unknown) => e instanceof ChatError && e.code === 'auth_failed' && re.test(e.message);

test('a device token goes only with PLAIN and only over an encrypted connection', () => {
  assert.equal(chooseMechanism({ token: 't' }, ['SCRAM-SHA-1', 'PLAIN'], true), 'PLAIN');
  assert.throws(() => chooseMechanism({ token: 't' }, ['SCRAM-SHA-1', 'PLAIN'], false), refused(/unencrypted/));
  assert.throws(() => chooseMechanism({ token: 't' }, ['SCRAM-SHA-1'], true), refused(/no SASL PLAIN/));
});

test('a password prefers SCRAM; PLAIN only over TLS', () => {
  assert.equal(chooseMechanism({ password: 'p' }, ['SCRAM-SHA-1', 'PLAIN'], false), 'SCRAM-SHA-1');
  assert.equal(chooseMechanism({ password: 'p' }, ['PLAIN'], true), 'PLAIN');
  assert.throws(() => chooseMechanism({ password: 'p' }, ['PLAIN'], false), refused(/PLAIN only over TLS/));
  assert.throws(() => chooseMechanism({ password: 'p' }, [], true), refused(/no usable SASL mechanism/));
});
