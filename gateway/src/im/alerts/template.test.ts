import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TEMPLATE, expandTemplate, formatDate, macroValues, MAX_BODY, MAX_VALUE } from './template.ts';
import type { IncomingMail } from './types.ts';

const mail: IncomingMail = {
  folder: 'Projects/Herald',
  from: 'Björn <bjorn@bigcustomer.example>',
  subject: 'Invoice 42',
  date: '2026-11-27T09:00:00.000Z',
  uid: 3,
  sender: { name: 'Björn', address: 'bjorn@bigcustomer.example' },
  to: [{ name: 'Alice', address: 'alice@example.com' }],
  cc: [{ name: '', address: 'ops@example.com' }],
  priority: 'high',
  received: '2026-11-27T09:00:02.000Z',
};
const owner = { id: 1, address: 'alice@example.com', domain: 'example.com' };
const berlin = { timeZone: 'Europe/Berlin', locale: 'en-GB' };

test('every macro expanded; $DATE$ in the configured zone and language', () => {
  const v = macroValues(mail, owner, berlin);
  assert.equal(
    expandTemplate('$SENDER$|$SUBJECT$|$FOLDER$|$DATE$|$RECIPIENT$|$TO$|$PRIORITY$', v),
    'Björn <bjorn@bigcustomer.example>|Invoice 42|Projects/Herald|Fri, 27 Nov 2026, 10:00 CET|alice@example.com|Alice <alice@example.com>, ops@example.com|high',
  );
  assert.equal(expandTemplate(DEFAULT_TEMPLATE, v), 'New mail from Björn <bjorn@bigcustomer.example>: Invoice 42 (in Projects/Herald, Fri, 27 Nov 2026, 10:00 CET)');
  assert.equal(formatDate(mail.date, { timeZone: 'America/New_York', locale: 'en-US' }), 'Fri, Nov 27, 2026, 04:00 AM EST');
  assert.equal(formatDate(mail.date, { timeZone: 'UTC', locale: 'de-DE' }), 'Fr., 27. Nov. 2026, 09:00 UTC');
  assert.equal(formatDate('not a date', berlin), 'not a date');
});

test('one pass: a subject holding a macro name is not expanded again; unknown macros stay', () => {
  const v = macroValues({ ...mail, subject: 'about $SENDER$ and $DATE$' }, owner, berlin);
  assert.equal(expandTemplate('$SUBJECT$ / $NOPE$ / $sender$ / $', v), 'about $SENDER$ and $DATE$ / $NOPE$ / $sender$ / $');
});

test('values lose control characters and are shortened; the text is bounded', () => {
  const v = macroValues({ ...mail, subject: `line1\r\nline2\u0000\u001b[31m red ${'x'.repeat(1000)}`, from: '\ud800bad' }, owner, berlin);
  assert.match(v.SUBJECT!, /^line1 line2 \[31m red x+…$/);
  assert.equal(Array.from(v.SUBJECT!).length, MAX_VALUE);
  assert.equal(v.SENDER, '\ufffdbad', 'a lone surrogate (XML cannot carry it) becomes U+FFFD');
  const emoji = macroValues({ ...mail, subject: '😀'.repeat(MAX_VALUE + 5) }, owner, berlin).SUBJECT!;
  assert.ok(!/[\ud800-\udbff]$/.test(emoji.slice(0, -1)), 'never cut inside a surrogate pair');
  const long = expandTemplate('$SUBJECT$'.repeat(100), v);
  assert.equal(Array.from(long).length, MAX_BODY);
  assert.ok(long.endsWith('…'));
});

test('$TO$ lists at most ten, then says how many more', () => {
  const many = Array.from({ length: 14 }, (_, i) => ({ name: '', address: `u${i}@example.com` }));
  const v = macroValues({ ...mail, to: many, cc: [] }, owner, berlin);
  assert.match(v.TO!, /^u0@example\.com, .*u9@example\.com \(\+4 more\)$/);
});
