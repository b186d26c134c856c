import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changesOf, DovecotPushSchema } from './dovecot-push.ts';
import { loadOrCreatePushToken, pushTokenMatches } from './push-token.ts';

test('changesOf: one change per kind and folder; message events keep their folder, folder events ask for the list', () => {
  const push = DovecotPushSchema.parse({
    user: 'a@example.com',
    events: [
      { event: 'MessageNew', mailbox: 'INBOX', uid: 7, uidValidity: 1 },
      { event: 'MessageNew', mailbox: 'INBOX', uid: 8, uidValidity: 1 },
      { event: 'FlagsSet', mailbox: 'INBOX', uid: 7 },
      { event: 'FlagsClear', mailbox: 'Work', uid: 1 },
      { event: 'MessageExpunge', mailbox: 'Work', uid: 1 },
      { event: 'MailboxRename', mailbox: 'New', oldMailbox: 'Old' },
      { event: 'Changes', mailbox: 'Big' },
    ],
  });
  assert.deepEqual(changesOf(push), [
    { kind: 'new', folder: 'INBOX' },
    { kind: 'flags', folder: 'INBOX' },
    { kind: 'flags', folder: 'Work' },
    { kind: 'expunge', folder: 'Work' },
    { kind: 'mailbox', folder: 'New' },
    { kind: 'mailbox', folder: 'Big' },
  ]);
});

test('the schema drops fields a later script adds and refuses what it cannot use', () => {
  const ok = DovecotPushSchema.parse({ user: 'a@example.com', extra: 1, events: [{ event: 'MessageNew', mailbox: 'INBOX', snippet: 'x' }] });
  assert.deepEqual(ok, { user: 'a@example.com', events: [{ event: 'MessageNew', mailbox: 'INBOX' }] });
  for (const bad of [
    {},
    { user: '', events: [{ event: 'MessageNew', mailbox: 'INBOX' }] },
    { user: 'a@example.com', events: [] },
    { user: 'a@example.com', events: [{ event: 'MessageNew', mailbox: '' }] },
    { user: 'a@example.com', events: [{ event: 'MessageNew', mailbox: 'INBOX', uid: 2 ** 32 }] },
    { user: 'a@example.com', events: Array.from({ length: 1001 }, () => ({ event: 'MessageNew', mailbox: 'INBOX' })) },
  ]) {
    assert.equal(DovecotPushSchema.safeParse(bad).success, false, JSON.stringify(bad).slice(0, 80));
  }
});

test('push token: made once (0600, 256 bits), kept across starts; only `Bearer <token>` matches', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-pushtok-'));
  try {
    const t = loadOrCreatePushToken(dir);
    assert.match(t, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(path.join(dir, 'mail-push.token')).mode & 0o777, 0o600);
    assert.equal(loadOrCreatePushToken(dir), t, 'the same token next start');
    assert.equal(readFileSync(path.join(dir, 'mail-push.token'), 'utf8').trim(), t);
    writeFileSync(path.join(dir, 'mail-push.token'), 'short\n');
    assert.notEqual(loadOrCreatePushToken(dir), 'short', 'a token too short to be one is replaced');
    assert.equal(pushTokenMatches(`Bearer ${t}`, t), true);
    assert.equal(pushTokenMatches(`bearer  ${t} `, t), true);
    for (const h of ['', t, `Bearer ${t}x`, `Bearer ${t.slice(1)}`, `Basic ${t}`, `Bearer ${t} extra`]) assert.equal(pushTokenMatches(h, t), false, h);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
