import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, MAX_ADDRESSES, parseAddressList } from './addresses.ts';

test('names, quoted names with commas, bare addresses and comments', () => {
  assert.deepEqual(parseAddressList('Alice <alice@example.com>, "Doe, John" <jd@example.org>,bob@example.net (Bob B.)'), [
    { name: 'Alice', address: 'alice@example.com' },
    { name: 'Doe, John', address: 'jd@example.org' },
    { name: 'Bob B.', address: 'bob@example.net' },
  ]);
  assert.deepEqual(parseAddressList('plain@example.com'), [{ name: '', address: 'plain@example.com' }]);
});

test('RFC 2047 encoded names and escaped quotes', () => {
  assert.deepEqual(parseAddressList('=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>'), [{ name: 'Jürgen Müller', address: 'jm@example.org' }]);
  assert.deepEqual(parseAddressList('"Say \\"hi\\"" <hi@example.org>'), [{ name: 'Say "hi"', address: 'hi@example.org' }]);
});

test('groups: members kept, the group name dropped; an empty group is nothing', () => {
  assert.deepEqual(parseAddressList('Team: a@example.com, B <b@example.com>;, c@example.com'), [
    { name: '', address: 'a@example.com' },
    { name: 'B', address: 'b@example.com' },
    { name: '', address: 'c@example.com' },
  ]);
  assert.deepEqual(parseAddressList('undisclosed-recipients:;'), []);
});

test('garbage never throws, and the list is bounded', () => {
  assert.deepEqual(parseAddressList('not an address'), [{ name: 'not an address', address: '' }]);
  assert.deepEqual(parseAddressList(undefined), []);
  assert.deepEqual(parseAddressList('"unterminated <x@y.z>'), [{ name: 'unterminated', address: 'x@y.z' }]);
  assert.deepEqual(parseAddressList('Unclosed <a@b.c'), [{ name: 'Unclosed', address: 'a@b.c' }]);
  assert.deepEqual(parseAddressList('a@b.c (unclosed comment'), [{ name: 'a@b.c (unclosed comment', address: '' }]);
  assert.equal(parseAddressList(Array.from({ length: 5000 }, (_, i) => `u${i}@example.com`).join(',')).length, MAX_ADDRESSES);
  assert.equal(formatAddress({ name: 'A', address: 'a@b.c' }), 'A <a@b.c>');
  assert.equal(formatAddress({ name: '', address: 'a@b.c' }), 'a@b.c');
});
