import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flatten, shown } from './settings.ts';

test('settings are flattened to dotted keys; arrays and empty objects are one value', () => {
  assert.deepEqual(flatten({ a: { b: 1, c: [1, 2], d: {} }, e: 'x' }), [
    ['a.b', 1],
    ['a.c', [1, 2]],
    ['a.d', {}],
    ['e', 'x'],
  ]);
});

test('secrets are masked: by key, inside arrays of objects, and in a URL’s user info', () => {
  assert.equal(shown('im.calendar.password', 'hunter2', 'MASK'), 'MASK');
  assert.equal(shown('mail.imap.login.masterPassword', 'hunter2', 'MASK'), 'MASK');
  assert.equal(shown('im.calendar.password', '', 'MASK'), '', 'an unset secret shows as unset');
  assert.equal(shown('xmpp.components', [{ host: 'bot.example.com', secret: 's3cret' }], 'MASK'), '[{"host":"bot.example.com","secret":"MASK"}]');
  assert.equal(shown('im.calendar.url', 'https://reader:s3cret@cal.example.com/{user}/', 'MASK'), 'https://reader:MASK@cal.example.com/{user}/');
  assert.equal(shown('http.port', 3000, 'MASK'), '3000');
  assert.equal(shown('client.webmailUrl', 'https://mail.example.com/?_task=mail', 'MASK'), 'https://mail.example.com/?_task=mail');
});
