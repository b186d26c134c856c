import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreState } from '../../shared/state.ts';
import { coreStrings } from '../i18n/core-strings.ts';
import { trayModel } from './tray-model.ts';

const base: CoreState = {
  connection: { state: 'connected', transport: 'push' },
  user: { address: 'alice@example.com', displayName: 'Alice' },
  gatewayUrl: 'http://gw',
  folders: [
    { path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total: 12, unread: 5, new: 2, alerts: true },
    { path: 'Projects/Herald', name: 'Herald', specialUse: null, total: 3, unread: 1, new: 0, alerts: true },
    { path: 'Sent', name: 'Sent', specialUse: '\\Sent', total: 7, unread: 0, new: 0, alerts: true },
  ],
  signIn: null,
  doNotDisturb: false,
  quiet: false,
  problems: [],
};

test('the tray is drawn from state: icon, badge, tooltip, and a menu that says everything', () => {
  const m = trayModel(base);
  assert.equal(m.icon, 'new-mail');
  assert.equal(m.badge, 2);
  assert.equal(m.tooltip, 'Herald — 2 new messages');
  assert.deepEqual(m.menu[0], { kind: 'status', label: 'alice@example.com: Connected' });
  assert.deepEqual(m.menu.filter((i) => i.kind === 'folder').map((i) => i.kind === 'folder' && i.label), ['Inbox (2 new, 5 unread, 12)', 'Projects/Herald (1 unread, 3)', 'Sent (7)']);
  assert.ok(m.menu.some((i) => i.kind === 'action' && i.action === 'sign-out'));
  assert.ok(m.menu.some((i) => i.kind === 'action' && i.action === 'quit'));
});

test('honest states: idle, offline with the reason, polling, do-not-disturb, signed out', () => {
  const idle = trayModel({ ...base, folders: base.folders.map((f) => ({ ...f, new: 0 })) });
  assert.equal(idle.icon, 'idle');
  assert.equal(idle.badge, 0);
  const down = trayModel({ ...base, connection: { state: 'gateway-unreachable', detail: 'gateway http://gw is unreachable: ECONNREFUSED' } });
  assert.equal(down.icon, 'offline');
  assert.equal(down.badge, 0, 'no stale badge while offline');
  assert.match(down.menu[0]!.kind === 'status' ? down.menu[0]!.label : '', /Gateway unreachable — gateway http:\/\/gw is unreachable: ECONNREFUSED/);
  const mailDown = trayModel({ ...base, connection: { state: 'mail-unavailable', detail: 'IMAP server 127.0.0.1:1 is unavailable' } });
  assert.equal(mailDown.icon, 'offline');
  assert.match(mailDown.tooltip, /Mail server unavailable — IMAP server 127.0.0.1:1/);
  assert.match(trayModel({ ...base, connection: { state: 'connected', transport: 'poll' } }).tooltip, /Herald — 2 new/);
  assert.match(JSON.stringify(trayModel({ ...base, connection: { state: 'connected', transport: 'poll' } }).menu[0]), /checking periodically/);
  const dnd = trayModel({ ...base, doNotDisturb: true });
  assert.match(JSON.stringify(dnd.menu[0]), /do not disturb/);
  assert.ok(dnd.menu.some((i) => i.kind === 'action' && i.action === 'toggle-dnd' && i.checked));
  const out = trayModel({ ...base, connection: { state: 'signed-out' }, user: null, folders: [] });
  assert.equal(out.icon, 'offline');
  assert.ok(out.menu.some((i) => i.kind === 'action' && i.action === 'sign-in'));
  assert.ok(out.menu.some((i) => i.kind === 'action' && i.action === 'open-webmail' && !i.enabled));
});

test('in German: the status line and the tooltip (the connection’s detail stays as it came)', () => {
  const de = coreStrings('de-DE');
  assert.equal(trayModel(base, de).tooltip, 'Herald — 2 neue Nachrichten');
  assert.equal(trayModel({ ...base, folders: [{ ...base.folders[0]!, new: 1 }] }, de).tooltip, 'Herald — 1 neue Nachricht');
  assert.deepEqual(trayModel(base, de).menu[0], { kind: 'status', label: 'alice@example.com: Verbunden' });
  const poll = trayModel({ ...base, connection: { state: 'connected', transport: 'poll' }, doNotDisturb: true }, de);
  assert.deepEqual(poll.menu[0], { kind: 'status', label: 'alice@example.com: Verbunden (regelmäßige Abfrage) · nicht stören' });
  const down = trayModel({ ...base, connection: { state: 'gateway-unreachable', detail: 'ECONNREFUSED' }, quiet: true }, de);
  assert.equal(down.tooltip, 'Herald — Gateway nicht erreichbar — ECONNREFUSED · Ruhezeit');
  const out = trayModel({ ...base, connection: { state: 'signed-out', detail: 'Sie sind abgemeldet.' }, user: null, folders: [] }, de);
  assert.equal(out.tooltip, 'Herald — Abgemeldet — Sie sind abgemeldet.');
  assert.equal(trayModel({ ...base, connection: { state: 'connecting' } }).tooltip, 'Herald — Connecting…', 'English by default');
});
