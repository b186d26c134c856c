import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertPreviewRequestSchema } from '../../protocol/api.ts';
import { previewRule, SAMPLE_MAIL } from './preview.ts';

const owner = { id: 1, address: 'alice@example.com', domain: 'example.com' };
const berlin = { timeZone: 'Europe/Berlin', locale: 'en-GB' };
const at = new Date('2026-11-27T09:00:00.000Z');
const rule = (r: unknown) => AlertPreviewRequestSchema.parse({ rule: r }).rule;

test('the template is expanded as the engine does, for the sample mail given', () => {
  const p = previewRule(rule({ name: 'Boss', conditions: { sender: { match: 'contains', value: 'boss@' } }, action: { template: '$SENDER$ wrote "$SUBJECT$" in $FOLDER$ at $DATE$ ($PRIORITY$) for $RECIPIENT$' } }), { fromName: 'The Boss', fromAddress: 'boss@example.com', subject: 'Numbers', priority: 'high' }, owner, berlin, at);
  assert.equal(p.body, 'The Boss <boss@example.com> wrote "Numbers" in INBOX at Fri, 27 Nov 2026, 10:00 CET (high) for alice@example.com');
  assert.equal(p.matches, true);
  assert.equal(p.to, 'alice@example.com');
});

test('a sample the conditions do not match says so; defaults fill what was not given', () => {
  const p = previewRule(rule({ name: 'Boss', conditions: { sender: { match: 'equals', value: 'boss@example.com' } } }), {}, owner, berlin, at);
  assert.equal(p.matches, false);
  assert.equal(p.mail.subject, SAMPLE_MAIL.subject);
  assert.equal(p.body, `New mail from ${SAMPLE_MAIL.fromName} <${SAMPLE_MAIL.fromAddress}>: ${SAMPLE_MAIL.subject} (in INBOX, Fri, 27 Nov 2026, 10:00 CET)`);
});

test('to someone else without a template: the default that names whose mail it is', () => {
  const p = previewRule(rule({ name: 'Copy', action: { to: 'Bob@example.com' } }), { subject: 'x' }, owner, berlin, at);
  assert.equal(p.to, 'bob@example.com');
  assert.match(p.body, /^New mail for alice@example\.com from /);
});

test('a bad rule is refused by the request schema (the route answers 400 naming the field)', () => {
  const r = AlertPreviewRequestSchema.safeParse({ rule: { name: 'x', conditions: { subject: { match: 'regex', value: '.*' } } } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error?.issues[0]?.path, ['rule', 'conditions', 'subject', 'match']);
});
