import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_SUBJECT, UNKNOWN_SENDER } from '../headers.ts';
import { alertFromEnvelope, formatSender, newMailFromFetch } from './alert-summary.ts';

test('sender: "Name <address>", the address alone, or the name alone', () => {
  assert.equal(formatSender([{ name: 'Jürgen  Müller', address: 'jm@example.org' }]), 'Jürgen Müller <jm@example.org>');
  assert.equal(formatSender([{ name: '', address: 'a@example.org' }]), 'a@example.org');
  assert.equal(formatSender([{ name: 'a@example.org', address: 'a@example.org' }]), 'a@example.org');
  assert.equal(formatSender([{ name: 'Undisclosed' }]), 'Undisclosed');
  assert.equal(formatSender([]), UNKNOWN_SENDER);
  assert.equal(formatSender(undefined), UNKNOWN_SENDER);
});

test('subject trimmed, "(no subject)" when missing or blank', () => {
  const env = (subject: string | undefined) => ({ subject, from: [{ address: 'x@example.org' }], date: new Date('2026-11-27T10:00:00Z') });
  assert.equal(alertFromEnvelope('INBOX', 1, env('  Hello\r\n  world '), undefined).subject, 'Hello world');
  assert.equal(alertFromEnvelope('INBOX', 1, env(''), undefined).subject, NO_SUBJECT);
  assert.equal(alertFromEnvelope('INBOX', 1, env(undefined), undefined).subject, NO_SUBJECT);
});

test('date: envelope date, else internal date, else now; always ISO', () => {
  const internal = new Date('2026-11-27T11:00:00Z');
  const now = () => new Date('2026-11-27T12:00:00Z');
  assert.equal(alertFromEnvelope('F', 7, { date: new Date('2026-11-27T10:00:00Z') }, internal, now).date, '2026-11-27T10:00:00.000Z');
  assert.equal(alertFromEnvelope('F', 7, { date: 'not a date' }, internal, now).date, '2026-11-27T11:00:00.000Z');
  assert.equal(alertFromEnvelope('F', 7, {}, 'Fri, 27 Nov 2026 11:00:00 +0000', now).date, '2026-11-27T11:00:00.000Z');
  assert.deepEqual(alertFromEnvelope('F', 7, undefined, undefined, now), {
    folder: 'F',
    from: UNKNOWN_SENDER,
    subject: NO_SUBJECT,
    date: '2026-11-27T12:00:00.000Z',
    uid: 7,
  });
});

test('newMailFromFetch: the alert plus To, Cc, arrival time and the fetched priority header fields', () => {
  const internal = new Date('2026-11-27T11:00:05Z');
  const m = newMailFromFetch(
    'INBOX',
    9,
    {
      date: new Date('2026-11-27T10:59:00Z'),
      subject: 'Invoice',
      from: [{ name: 'Billing', address: 'billing@bigcustomer.example' }],
      to: [{ name: 'Alice', address: 'alice@example.com' }],
      cc: [{ address: 'team@example.com' }],
    },
    internal,
    Buffer.from('Importance: High\r\n\r\n'),
  );
  assert.deepEqual(m, {
    folder: 'INBOX',
    from: 'Billing <billing@bigcustomer.example>',
    subject: 'Invoice',
    date: '2026-11-27T10:59:00.000Z',
    uid: 9,
    sender: { name: 'Billing', address: 'billing@bigcustomer.example' },
    to: [{ name: 'Alice', address: 'alice@example.com' }],
    cc: [{ name: '', address: 'team@example.com' }],
    priority: 'high',
    received: '2026-11-27T11:00:05.000Z',
  });
  const bare = newMailFromFetch('F', 1, undefined, undefined, undefined, () => internal);
  assert.deepEqual([bare.to, bare.cc, bare.priority, bare.received], [[], [], 'normal', internal.toISOString()]);
});
