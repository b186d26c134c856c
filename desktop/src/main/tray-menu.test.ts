// The tray's look for given states, from the core's real tray model: icon, badge, the words in the
// menu (English and German), the status submenu, and the Electron template's clicks running the
// right commands. The menu is never empty: Linux trays show nothing but it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayModel } from '../core/tray/tray-model.ts';
import type { CoreState } from '../shared/state.ts';
import { MAIN_STRINGS } from './main-strings.ts';
import { toMenuTemplate } from './menu-template.ts';
import { trayLook, type MenuCommand, type MenuSpec, type ShellTrayState } from './tray-menu.ts';

const connected: CoreState = {
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
const signedOut: CoreState = { ...connected, connection: { state: 'signed-out' }, user: null, folders: [], signIn: { reason: 'not-provisioned', message: 'Sign in' } };
const shell: ShellTrayState = { chat: true, own: { chosen: { show: 'online' }, shown: 'online' }, chatUnread: 0, doNotDisturb: false };
const en = MAIN_STRINGS.en;

const labels = (m: MenuSpec[]) => m.map((i) => (i.type === 'separator' ? '---' : `${i.label}${i.enabled === false ? ' (disabled)' : ''}`));

test('connected with new mail: envelope icon, badge, folders with counts that open webmail, status submenu, contacts, quit', () => {
  const look = trayLook(trayModel(connected), shell, en);
  assert.equal(look.icon, 'new-mail');
  assert.equal(look.badge, 2);
  assert.deepEqual(labels(look.menu), [
    'alice@example.com: Connected (disabled)',
    '---',
    'Inbox (2 new, 5 unread, 12)',
    'Projects/Herald (1 unread, 3)',
    'Sent (7)',
    '---',
    'Status',
    'Contacts…',
    'Mail folders…',
    'Check mail now',
    'Open webmail',
    '---',
    'Settings…',
    'Help',
    'About Herald',
    'Sign out',
    '---',
    'Quit Herald',
  ]);
  const status = look.menu.find((i) => i.label === 'Status')!;
  assert.deepEqual(status.submenu!.map((i) => `${i.label}${i.checked ? ' *' : ''}`), ['Online *', 'Away', 'Extended away', 'Do not disturb', 'Invisible', 'Offline']);
  assert.deepEqual(look.menu.find((i) => i.label?.startsWith('Projects'))!.command, { kind: 'open-folder', path: 'Projects/Herald' });
  assert.deepEqual(look.menu.find((i) => i.label === 'Help')!.command, { kind: 'open-window', route: { view: 'help' } });
});

test('unread chat messages: the chat icon, a menu line that opens the contacts, and a badge counting both', () => {
  const look = trayLook(trayModel(connected), { ...shell, chatUnread: 3 }, en);
  assert.equal(look.icon, 'chat');
  assert.equal(look.badge, 5);
  assert.match(look.tooltip, /^3 unread chat message\(s\) — Herald — 2 new messages$/);
  const line = look.menu.find((i) => i.label === '3 unread chat message(s)')!;
  assert.deepEqual(line.command, { kind: 'open-window', route: { view: 'contacts' } });
  // Offline wins over chat: the icon must not claim a connection that is not there.
  const down = trayLook(trayModel({ ...connected, connection: { state: 'gateway-unreachable', detail: 'ECONNREFUSED' } }), { ...shell, chatUnread: 3 }, en);
  assert.equal(down.icon, 'offline');
});

test('do-not-disturb is the status submenu’s choice; without chat only Online and Do not disturb are offered', () => {
  const dnd = trayLook(trayModel({ ...connected, doNotDisturb: true }), { ...shell, doNotDisturb: true, own: { chosen: { show: 'away' }, shown: 'away' } }, en);
  const status = dnd.menu.find((i) => i.label === 'Status')!;
  assert.deepEqual(status.submenu!.filter((i) => i.checked).map((i) => i.label), ['Do not disturb']);
  const noChat = trayLook(trayModel(connected), { ...shell, chat: false }, en);
  assert.deepEqual(noChat.menu.find((i) => i.label === 'Status')!.submenu!.map((i) => i.label), ['Online', 'Do not disturb']);
  assert.equal(noChat.menu.find((i) => i.label === 'Contacts…')!.enabled, false);
});

test('the status submenu shows the chat’s own presence: the choice, and auto-away in words while it is in effect', () => {
  const checked = (s: ShellTrayState, t = en) => trayLook(trayModel(connected), s, t).menu.find((i) => i.label === t.status)!.submenu!.filter((i) => i.checked).map((i) => i.label);
  assert.deepEqual(checked({ ...shell, own: { chosen: { show: 'invisible', status: 'Busy' }, shown: 'invisible' } }), ['Invisible']);
  assert.deepEqual(checked({ ...shell, own: { chosen: { show: 'online' }, shown: 'away' } }), ['Away (idle)']);
  assert.deepEqual(checked({ ...shell, own: { chosen: { show: 'online' }, shown: 'xa' } }), ['Extended away (idle)']);
  assert.deepEqual(checked({ ...shell, own: { chosen: { show: 'online' }, shown: 'xa' } }, MAIN_STRINGS.de), ['Länger abwesend (inaktiv)']);
  const idle = trayLook(trayModel(connected), { ...shell, own: { chosen: { show: 'online' }, shown: 'away' } }, en).menu.find((i) => i.label === 'Status')!;
  assert.deepEqual(idle.submenu!.map((i) => i.label), ['Online', 'Away (idle)', 'Extended away', 'Do not disturb', 'Invisible', 'Offline']);
  assert.deepEqual(idle.submenu![0]!.command, { kind: 'presence', show: 'online' }, 'choosing Online again is offered');
  // "Do not disturb" is one choice with mail: switched off in the settings, the status reads as online.
  assert.deepEqual(checked({ ...shell, own: { chosen: { show: 'dnd' }, shown: 'dnd' } }), ['Online']);
  assert.deepEqual(checked({ ...shell, chat: false, own: { chosen: { show: 'away' }, shown: 'away' } }), ['Online'], 'without chat only mail do-not-disturb counts');
});

test('signed out: offline icon, no folders, Sign in… opens the sign-in window; status and mail actions disabled', () => {
  const look = trayLook(trayModel(signedOut), shell, en);
  assert.equal(look.icon, 'offline');
  assert.equal(look.badge, 0);
  assert.deepEqual(labels(look.menu), [
    'Signed out (disabled)',
    '---',
    'Status (disabled)',
    'Contacts… (disabled)',
    'Mail folders… (disabled)',
    'Check mail now (disabled)',
    'Open webmail (disabled)',
    '---',
    'Settings…',
    'Help',
    'About Herald',
    'Sign in…',
    '---',
    'Quit Herald',
  ]);
  assert.deepEqual(look.menu.find((i) => i.label === 'Sign in…')!.command, { kind: 'open-window', route: { view: 'sign-in' } });
});

test('German: the shell’s words come from the German catalog, which has every English key', () => {
  const look = trayLook(trayModel(connected), shell, MAIN_STRINGS.de);
  assert.ok(look.menu.some((i) => i.label === 'Posteingang (2 neu, 5 ungelesen, 12)'));
  assert.ok(look.menu.some((i) => i.label === 'Herald beenden'));
  assert.deepEqual(look.menu.find((i) => i.label === 'Hilfe')?.command, { kind: 'open-window', route: { view: 'help' } });
  assert.deepEqual(Object.keys(MAIN_STRINGS.de).sort(), Object.keys(MAIN_STRINGS.en).sort());
  for (const [k, v] of Object.entries(MAIN_STRINGS.de)) {
    assert.ok(v.length > 0, k);
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(placeholders(v), placeholders(MAIN_STRINGS.en[k as keyof typeof MAIN_STRINGS.en]), `placeholders of ${k}`);
  }
});

test('the Electron template: every item with a command runs exactly that command; radios and separators kept', () => {
  const look = trayLook(trayModel(connected), shell, en);
  const ran: MenuCommand[] = [];
  const template = toMenuTemplate(look.menu, (c) => ran.push(c));
  assert.equal(template.length, look.menu.length);
  const byLabel = (l: string) => template.find((t) => t.label === l)!;
  (byLabel('Inbox (2 new, 5 unread, 12)').click as () => void)();
  (byLabel('Quit Herald').click as () => void)();
  const away = (byLabel('Status').submenu as { label?: string; type?: string; checked?: boolean; click?: () => void }[]).find((i) => i.label === 'Away')!;
  assert.equal(away.type, 'radio');
  away.click!();
  assert.deepEqual(ran, [{ kind: 'open-folder', path: 'INBOX' }, { kind: 'core', action: 'quit' }, { kind: 'presence', show: 'away' }]);
  assert.equal(template.filter((t) => t.type === 'separator').length, look.menu.filter((m) => m.type === 'separator').length);
  assert.equal(byLabel('alice@example.com: Connected').click, undefined);
  assert.equal(byLabel('alice@example.com: Connected').enabled, false);
});
