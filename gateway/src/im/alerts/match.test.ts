import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsMatch, globMatch, MAX_TEXT, textMatches } from './match.ts';
import type { IncomingMail } from './types.ts';

const mail = (over: Partial<IncomingMail> = {}): IncomingMail => ({
  folder: 'INBOX',
  from: 'Billing Dept <billing@bigcustomer.example>',
  subject: 'Invoice 2026-042 for Herald',
  date: '2026-11-27T09:00:00.000Z',
  uid: 7,
  sender: { name: 'Billing Dept', address: 'billing@bigcustomer.example' },
  to: [{ name: 'Alice', address: 'alice@example.com' }],
  cc: [{ name: '', address: 'accounts@example.com' }],
  priority: 'normal',
  received: '2026-11-27T09:00:01.000Z',
  ...over,
});

test('glob: * and ? over the whole text, case-insensitive, \\ escapes', () => {
  assert.ok(globMatch('invoice*', 'Invoice 2026-042'));
  assert.ok(!globMatch('invoice', 'Invoice 2026-042'), 'the whole text, not a part of it');
  assert.ok(globMatch('*@bigcustomer.example', 'billing@BIGCUSTOMER.example'));
  assert.ok(globMatch('a?c', 'abc') && !globMatch('a?c', 'ac'));
  assert.ok(globMatch('?', '😀'), '? is one character, not one UTF-16 unit');
  assert.ok(globMatch('100\\*', '100*') && !globMatch('100\\*', '1000'));
  assert.ok(globMatch('*', '') && globMatch('**', 'anything') && !globMatch('', 'x'));
  assert.ok(globMatch('*a*b*c*', 'xxaxxbxxcxx') && !globMatch('*a*b*c*', 'xxaxxcxxbxx'));
});

test('glob: a pattern built to backtrack stays fast (no regular expressions)', () => {
  const text = 'a'.repeat(MAX_TEXT);
  const pattern = `${'*a'.repeat(120)}b`;
  const t0 = performance.now();
  assert.equal(textMatches({ match: 'glob', value: pattern }, text), false);
  const ms = performance.now() - t0;
  assert.ok(ms < 200, `took ${ms.toFixed(1)} ms`);
});

test('contains and equals are case-insensitive and Unicode-normalised; text is cut at MAX_TEXT', () => {
  assert.ok(textMatches({ match: 'contains', value: 'INVOICE' }, 'Your invoice'));
  assert.ok(textMatches({ match: 'equals', value: 'Gru\u0308ße' }, 'Grüße'), 'NFD pattern, NFC text');
  assert.ok(!textMatches({ match: 'equals', value: 'invoice' }, 'invoice 1'));
  assert.ok(!textMatches({ match: 'contains', value: 'needle' }, `${'x'.repeat(MAX_TEXT)}needle`), 'beyond MAX_TEXT is not looked at');
});

test('conditions: all must hold (AND); none given matches everything', () => {
  assert.ok(conditionsMatch({}, mail()));
  const c = { sender: { match: 'glob', value: '*@bigcustomer.example' }, subject: { match: 'contains', value: 'invoice' } } as const;
  assert.ok(conditionsMatch(c, mail()));
  assert.ok(!conditionsMatch(c, mail({ subject: 'Lunch?' })), 'sender matches, subject does not');
  assert.ok(!conditionsMatch(c, mail({ sender: { name: 'x', address: 'x@other.example' }, from: 'x <x@other.example>' })));
});

test('sender and recipient match the address, the name, or "Name <address>"; recipient looks at To and Cc', () => {
  assert.ok(conditionsMatch({ sender: { match: 'equals', value: 'billing dept' } }, mail()));
  assert.ok(conditionsMatch({ sender: { match: 'equals', value: 'Billing Dept <billing@bigcustomer.example>' } }, mail()));
  assert.ok(conditionsMatch({ recipient: { match: 'equals', value: 'accounts@example.com' } }, mail()), 'a Cc address');
  assert.ok(conditionsMatch({ recipient: { match: 'equals', value: 'alice' } }, mail()), 'a To name');
  assert.ok(!conditionsMatch({ recipient: { match: 'equals', value: 'bob@example.com' } }, mail()));
  assert.ok(!conditionsMatch({ recipient: { match: 'contains', value: 'example' } }, mail({ to: [], cc: [] })), 'no recipients: no match');
});

test('folder and priority (one, or any of a list)', () => {
  assert.ok(conditionsMatch({ folder: { match: 'equals', value: 'inbox' } }, mail()));
  assert.ok(!conditionsMatch({ folder: { match: 'equals', value: 'INBOX' } }, mail({ folder: 'Projects/Herald' })));
  assert.ok(conditionsMatch({ folder: { match: 'glob', value: 'Projects/*' } }, mail({ folder: 'Projects/Herald' })));
  assert.ok(conditionsMatch({ priority: 'high' }, mail({ priority: 'high' })));
  assert.ok(!conditionsMatch({ priority: 'high' }, mail()));
  assert.ok(conditionsMatch({ priority: ['high', 'normal'] }, mail()));
  assert.ok(!conditionsMatch({ priority: ['high', 'normal'] }, mail({ priority: 'low' })));
});
