// Notification clicks: a mail pop-up opens its folder; a digest opens INBOX; a chat pop-up opens
// that conversation's window; when webmail cannot be opened, the folders window opens instead (the
// click is never lost; shell.test.ts does it through a real core). Chat pop-ups and sounds follow
// focus, do-not-disturb and bursts (chat-alerts.ts), on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../test-support/fake-clock.ts';
import type { ChatMessage } from '../shared/chat.ts';
import type { SoundEvent } from '../shared/settings.ts';
import { createChatAlerts, type ChatPopup } from './chat-alerts.ts';
import { MAIN_STRINGS } from './main-strings.ts';
import { chatClickTarget, mailClickTarget, routeClick } from './notification-routing.ts';
import type { Route } from './window-routes.ts';

test('mail and chat clicks go to the folder or the conversation; a failing webmail opens the folders window', async () => {
  assert.deepEqual(mailClickTarget({ id: 'm1', kind: 'mail', title: 'Bob', body: 'Hi\nINBOX', folder: 'Projects/Herald' }), { kind: 'folder', path: 'Projects/Herald' });
  assert.deepEqual(mailClickTarget({ id: 'd1', kind: 'digest', title: '12 new messages', body: '' }), { kind: 'folder', path: 'INBOX' });
  assert.deepEqual(chatClickTarget({ with: 'bob@example.com', kind: 'chat' }), { kind: 'window', route: { view: 'chat', jid: 'bob@example.com' } });
  assert.deepEqual(chatClickTarget({ with: 'team@conference.example.com', kind: 'groupchat' }), { kind: 'window', route: { view: 'room', jid: 'team@conference.example.com' } });

  const opened: string[] = [];
  const windows: Route[] = [];
  const logs: string[] = [];
  const deps = { openFolder: async (p: string) => void opened.push(p), openWindow: (r: Route) => void windows.push(r), log: (m: string) => void logs.push(m) };
  await routeClick({ kind: 'folder', path: 'Projects/Herald' }, deps);
  await routeClick({ kind: 'window', route: { view: 'chat', jid: 'bob@example.com' } }, deps);
  assert.deepEqual(opened, ['Projects/Herald']);
  assert.deepEqual(windows, [{ view: 'chat', jid: 'bob@example.com' }]);
  await routeClick({ kind: 'folder', path: 'INBOX' }, { ...deps, openFolder: async () => Promise.reject(new Error('no webmail is configured')) });
  assert.deepEqual(windows.at(-1), { view: 'folders' });
  assert.match(logs[0]!, /no webmail is configured; showing the folders window/);
});

function setup(o: { focused?: string; quiet?: boolean } = {}) {
  const clock = new FakeClock();
  const popups: ChatPopup[] = [];
  const sounds: SoundEvent[] = [];
  const unread: number[] = [];
  const state = { focused: o.focused, quiet: o.quiet ?? false };
  const alerts = createChatAlerts({
    clock,
    strings: MAIN_STRINGS.en,
    notify: (p) => void popups.push(p),
    sound: (e) => void sounds.push(e),
    quiet: () => state.quiet,
    focused: (jid) => jid === state.focused,
    name: (jid) => ({ 'bob@example.com': 'Bob', 'team@conference.example.com': 'Team' })[jid] ?? jid,
    onUnread: (n) => void unread.push(n),
    burstMs: 5000,
    soundGapMs: 1000,
    settleMs: 5000,
  });
  return { clock, popups, sounds, unread, alerts, state };
}
let n = 0;
const msg = (o: Partial<ChatMessage> = {}): ChatMessage => ({ id: `m${++n}`, with: 'bob@example.com', from: 'bob@example.com/laptop', direction: 'in', kind: 'chat', body: 'hello there', at: new Date().toISOString(), ...o });

test('an incoming message in an unfocused conversation: a pop-up that opens it, MessageIn, one unread; focused: nothing', async () => {
  const s = setup({ focused: 'carol@example.com' });
  s.alerts.handle({ type: 'message', message: msg() });
  assert.deepEqual(s.popups.map((p) => [p.title, p.body, p.target]), [['Bob', 'hello there', { kind: 'window', route: { view: 'chat', jid: 'bob@example.com' } }]]);
  assert.deepEqual(s.sounds, ['MessageIn']);
  assert.equal(s.alerts.unread(), 1);
  s.alerts.handle({ type: 'message', message: msg({ with: 'carol@example.com', from: 'carol@example.com/x' }) });
  assert.equal(s.popups.length, 1, 'the focused conversation raises nothing');
  s.alerts.handle({ type: 'message', message: msg({ direction: 'out' }) });
  assert.equal(s.popups.length, 1, 'our own messages (carbons) raise nothing');
  s.alerts.seen('bob@example.com');
  assert.equal(s.alerts.unread(), 0);
  assert.deepEqual(s.unread, [1, 0]);
});

test('a burst in one conversation updates one pop-up; sounds at most once per gap; files and rooms say so', async () => {
  const s = setup();
  for (let i = 0; i < 4; i++) s.alerts.handle({ type: 'message', message: msg({ body: `line ${i}` }) });
  assert.equal(new Set(s.popups.map((p) => p.id)).size, 1, 'one pop-up id for the burst');
  assert.equal(s.popups.at(-1)!.body, '4 new messages\nline 3');
  assert.deepEqual(s.sounds, ['MessageIn']);
  await s.clock.advance(6000);
  s.alerts.handle({ type: 'message', message: msg({ body: 'later', attachments: [{ url: 'https://gw/upload/1/plan.pdf', name: 'plan.pdf' }] }) });
  assert.notEqual(s.popups.at(-1)!.id, s.popups[0]!.id, 'after the burst, a new pop-up');
  assert.equal(s.popups.at(-1)!.body, 'Sent a file: plan.pdf');
  assert.deepEqual(s.sounds, ['MessageIn', 'FileReceived']);
  s.alerts.handle({ type: 'message', message: msg({ with: 'team@conference.example.com', from: 'team@conference.example.com/carol', kind: 'groupchat', body: 'standup?' }) });
  assert.deepEqual([s.popups.at(-1)!.title, s.popups.at(-1)!.target], ['carol in Team', { kind: 'window', route: { view: 'room', jid: 'team@conference.example.com' } }]);
  assert.equal(s.alerts.unread(), 6);
});

test('do-not-disturb or quiet hours: no pop-up, no sound, but the messages still count as unread', () => {
  const s = setup({ quiet: true });
  s.alerts.handle({ type: 'message', message: msg() });
  assert.deepEqual([s.popups.length, s.sounds.length, s.alerts.unread()], [0, 0, 1]);
});

test('ContactOnline plays for a contact coming online, not during the presence flood after connecting', async () => {
  const s = setup();
  s.alerts.handle({ type: 'connection', state: 'online' });
  s.alerts.handle({ type: 'presence', jid: 'bob@example.com', show: 'online' });
  assert.deepEqual(s.sounds, []);
  await s.clock.advance(6000);
  s.alerts.handle({ type: 'presence', jid: 'bob@example.com', show: 'away' });
  assert.deepEqual(s.sounds, [], 'already online: a change of show is not "coming online"');
  s.alerts.handle({ type: 'presence', jid: 'carol@example.com', show: 'online' });
  assert.deepEqual(s.sounds, ['ContactOnline']);
});

test('a contact’s presence sound a moment earlier does not swallow a message’s sound; a presence sound waits out any sound', async () => {
  const s = setup();
  s.alerts.handle({ type: 'connection', state: 'online' });
  await s.clock.advance(6000);
  s.alerts.handle({ type: 'presence', jid: 'carol@example.com', show: 'online' });
  s.alerts.handle({ type: 'message', message: msg({ body: 'right after carol came online' }) });
  assert.deepEqual(s.sounds, ['ContactOnline', 'MessageIn']);
  s.alerts.handle({ type: 'presence', jid: 'dave@example.com', show: 'online' });
  assert.deepEqual(s.sounds, ['ContactOnline', 'MessageIn'], 'within the gap after a message: no presence sound');
  await s.clock.advance(1000);
  s.alerts.handle({ type: 'presence', jid: 'erin@example.com', show: 'online' });
  assert.deepEqual(s.sounds, ['ContactOnline', 'MessageIn', 'ContactOnline'], 'after the gap it plays (it could, above)');
  // The user's own "sent" sound does not swallow the reply's sound either.
  await s.clock.advance(1000);
  s.alerts.handle({ type: 'message', message: msg({ direction: 'out', delivery: 'pending', body: 'you there?' }) });
  s.alerts.handle({ type: 'message', message: msg({ body: 'yes' }) });
  assert.deepEqual(s.sounds.slice(-2), ['MessageOut', 'MessageIn']);
});
