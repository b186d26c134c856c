// One pop-up per mail (popup-pairing.ts): a server IM naming a mail's subject takes the mail
// pop-up's place, a mail pop-up after such an IM is skipped; unrelated or late ones stay apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../test-support/fake-clock.ts';
import { createPopupPairing } from './popup-pairing.ts';

test('mail then its alert IM: the IM replaces the mail pop-up (same id); alert IM then its mail: the mail pop-up is skipped', () => {
  const clock = new FakeClock();
  const p = createPopupPairing({ clock, windowMs: 15_000 });
  assert.equal(p.mail('mail-1', 'Quarterly numbers'), 'mail-1');
  clock.jump(2000);
  assert.equal(p.server('chat-1', 'New mail from boss@example.com: Quarterly numbers (in INBOX)'), 'mail-1');
  // The same burst (chat-alerts keeps the id): it updates the pop-up it replaced.
  assert.equal(p.server('chat-1', '2 new messages\nReminder: Budget review'), 'mail-1');
  // Paired once: a second IM naming it is a pop-up of its own.
  assert.equal(p.server('chat-2', 'Quarterly numbers again'), 'chat-2');
  assert.equal(p.server('chat-3', 'New mail from ceo@example.com: Board meeting'), 'chat-3');
  clock.jump(1000);
  assert.equal(p.mail('mail-2', 'Board meeting'), undefined, 'the alert IM came first: no second pop-up');
  assert.equal(p.mail('mail-3', 'Board meeting'), 'mail-3', 'a second mail with that subject pops up');
});

test('unrelated, too late, or too short a subject: separate pop-ups', () => {
  const clock = new FakeClock();
  const p = createPopupPairing({ clock, windowMs: 15_000 });
  assert.equal(p.server('chat-1', 'Reminder: Budget review at 14:00'), 'chat-1');
  assert.equal(p.mail('mail-1', 'Lunch?'), 'mail-1', 'a reminder and an unrelated mail');
  assert.equal(p.mail('mail-2', 'Invoice 7'), 'mail-2');
  clock.jump(15_001);
  assert.equal(p.server('chat-2', 'New mail: Invoice 7'), 'chat-2', 'outside the window');
  assert.equal(p.mail('mail-3', 'Hi'), 'mail-3');
  assert.equal(p.server('chat-3', 'Hi there, build failed'), 'chat-3', 'a two-letter subject pairs with nothing');
});
