import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from './did-you-mean.ts';

test('editDistance counts inserts, deletes, substitutions and swapped neighbours', () => {
  assert.equal(editDistance('user', 'user'), 0);
  assert.equal(editDistance('usr', 'user'), 1);
  assert.equal(editDistance('exmaple.com', 'example.com'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('closest suggests a near miss and nothing for a different word', () => {
  assert.equal(closest('usr', ['user', 'since', 'until', 'text']), 'user');
  assert.equal(closest('exmaple.com', ['example.com', 'example.org']), 'example.com');
  assert.equal(closest('pass', ['password', 'password-file', 'name']), undefined, 'a prefix of two is ambiguous');
  assert.equal(closest('keep', ['keep-devices', 'password']), 'keep-devices');
  assert.equal(closest('frobnicate', ['add', 'del', 'list']), undefined);
  assert.equal(closest('user', ['user']), undefined, 'an exact match is no typo');
});
