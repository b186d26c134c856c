import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_SUBJECT, UNKNOWN_SENDER, parseAlertHeaders } from './headers.ts';

test('decodes RFC 2047 subjects and senders, unfolds continuation lines', () => {
  const h = parseAlertHeaders(
    Buffer.from(
      'From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>\r\n' +
        'Subject: =?UTF-8?B?0J/RgNC+0LXQutGC?=\r\n =?UTF-8?Q?_report?=\r\n' +
        'Date: Fri, 27 Nov 2026 10:00:00 +0100 (CET)\r\n\r\nbody: not a header\r\n',
    ),
  );
  assert.equal(h.from, 'Jürgen Müller <jm@example.org>');
  assert.equal(h.subject, 'Проект report');
  assert.equal(h.date?.toISOString(), '2026-11-27T09:00:00.000Z');
  assert.equal(h.problem, undefined);
});

test('raw UTF-8 headers (RFC 6532) and LF line ends', () => {
  const h = parseAlertHeaders(Buffer.from('From: Zoë <z@example.org>\nSubject: Grüße\n\nHi'));
  assert.equal(h.from, 'Zoë <z@example.org>');
  assert.equal(h.subject, 'Grüße');
});

test('broken headers become placeholders with a reason, never an exception', () => {
  const h = parseAlertHeaders(Buffer.from('this is not a header at all\n\x00\x01garbage\nDate: yesterday-ish\n\nbody'));
  assert.equal(h.subject, NO_SUBJECT);
  assert.equal(h.from, UNKNOWN_SENDER);
  assert.equal(h.date, undefined);
  assert.match(h.problem ?? '', /malformed header line/);
  assert.match(h.problem ?? '', /no Subject header/);
  assert.match(h.problem ?? '', /unparseable Date/);
  const empty = parseAlertHeaders(Buffer.alloc(0));
  assert.equal(empty.subject, NO_SUBJECT);
  assert.match(empty.problem ?? '', /empty message file/);
});

test('an empty Subject is "(no subject)"', () => {
  const h = parseAlertHeaders(Buffer.from('From: a@b.c\r\nSubject:   \r\n\r\n'));
  assert.equal(h.subject, NO_SUBJECT);
  assert.match(h.problem ?? '', /empty Subject/);
});

test('To, Cc and the priority for mail-to-IM rules; first From address parsed', () => {
  const h = parseAlertHeaders(
    Buffer.from(
      'From: "Billing Dept." <billing@bigcustomer.example>\r\n' +
        'To: Alice <alice@example.com>,\r\n  =?UTF-8?Q?Bj=C3=B6rn?= <bjorn@example.com>\r\n' +
        'Cc: team@example.com\r\nSubject: Invoice\r\nX-Priority: 1 (Highest)\r\nImportance: low\r\n\r\nbody\r\n',
    ),
  );
  assert.deepEqual(h.sender, { name: 'Billing Dept.', address: 'billing@bigcustomer.example' });
  assert.deepEqual(h.to, [
    { name: 'Alice', address: 'alice@example.com' },
    { name: 'Björn', address: 'bjorn@example.com' },
  ]);
  assert.deepEqual(h.cc, [{ name: '', address: 'team@example.com' }]);
  assert.equal(h.priority, 'high', 'X-Priority is read first');
  const plain = parseAlertHeaders(Buffer.from('Subject: x\n\n'));
  assert.deepEqual([plain.to, plain.cc, plain.priority, plain.sender], [[], [], 'normal', { name: '', address: '' }]);
});
