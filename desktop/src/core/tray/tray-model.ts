// The tray, computed from state by one function (Signal Desktop's SystemTrayService pattern):
// icon, tooltip, badge and the whole menu. The menu always says what the icon means, because
// Linux trays may show neither tooltips nor react to clicks.
// The status line and the tooltip are in the user's language (`text`, i18n/core-strings.ts); the
// connection's detail stays as the gateway or the network said it. The folder and action labels
// are English only: the shell (main/tray-menu.ts) draws its own, localized, from `path`/`action`.
import type { CoreState, TrayMenuItem, TrayModel } from '../../shared/state.ts';
import { coreStrings, type CoreText } from '../i18n/core-strings.ts';

export function trayModel(s: CoreState, text: CoreText = coreStrings()): TrayModel {
  const c = s.connection;
  const online = c.state === 'connected';
  const newCount = s.folders.reduce((n, f) => n + f.new, 0);
  const icon = !online ? 'offline' : newCount > 0 ? 'new-mail' : 'idle';
  let status = text.t(c.state === 'connected' && c.transport === 'poll' ? 'conn.connected-poll' : `conn.${c.state}`);
  if (c.detail && c.state !== 'connected') status += ` — ${c.detail}`;
  if (s.doNotDisturb) status = text.t('statusDnd', { status });
  else if (s.quiet) status = text.t('statusQuiet', { status });

  const menu: TrayMenuItem[] = [{ kind: 'status', label: s.user ? `${s.user.address}: ${status}` : status }];
  if (s.folders.length) {
    menu.push({ kind: 'separator' });
    for (const f of s.folders) {
      const counts = f.new > 0 ? `${f.new} new, ${f.unread} unread, ${f.total}` : f.unread > 0 ? `${f.unread} unread, ${f.total}` : `${f.total}`;
      menu.push({ kind: 'folder', path: f.path, label: `${f.path === 'INBOX' ? 'Inbox' : f.path} (${counts})`, new: f.new, unread: f.unread, total: f.total });
    }
  }
  menu.push({ kind: 'separator' });
  const signedIn = c.state !== 'signed-out';
  menu.push({ kind: 'action', action: 'open-webmail', label: 'Open webmail', enabled: signedIn });
  menu.push({ kind: 'action', action: 'check-now', label: 'Check mail now', enabled: signedIn });
  menu.push({ kind: 'action', action: 'toggle-dnd', label: 'Do not disturb', enabled: true, checked: s.doNotDisturb });
  menu.push({ kind: 'action', action: 'settings', label: 'Settings…', enabled: true });
  menu.push(signedIn ? { kind: 'action', action: 'sign-out', label: 'Sign out', enabled: true } : { kind: 'action', action: 'sign-in', label: 'Sign in…', enabled: true });
  menu.push({ kind: 'separator' });
  menu.push({ kind: 'action', action: 'quit', label: 'Quit Herald', enabled: true });

  const tooltip = `Herald — ${newCount > 0 && online ? text.count('newMessages', newCount) : status}`;
  return { icon, tooltip, badge: online ? newCount : 0, menu };
}
