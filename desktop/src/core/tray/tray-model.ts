// The tray, computed from state by one function (Signal Desktop's SystemTrayService pattern):
// icon, tooltip, badge and the whole menu. The menu always says what the icon means, because
// Linux trays may show neither tooltips nor react to clicks.
import type { CoreState, TrayMenuItem, TrayModel } from '../../shared/state.ts';

const STATUS: Record<CoreState['connection']['state'], string> = {
  'signed-out': 'Signed out',
  connecting: 'Connecting…',
  connected: 'Connected',
  'gateway-unreachable': 'Gateway unreachable',
  'mail-unavailable': 'Mail server unavailable',
};

export function trayModel(s: CoreState): TrayModel {
  const c = s.connection;
  const online = c.state === 'connected';
  const newCount = s.folders.reduce((n, f) => n + f.new, 0);
  const icon = !online ? 'offline' : newCount > 0 ? 'new-mail' : 'idle';
  let status = STATUS[c.state];
  if (c.state === 'connected' && c.transport === 'poll') status += ' (checking periodically)';
  if (c.detail && c.state !== 'connected') status += ` — ${c.detail}`;
  if (s.doNotDisturb) status += ' · do not disturb';
  else if (s.quiet) status += ' · quiet hours';

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

  const tooltip = newCount > 0 && online ? `Herald — ${newCount} new message${newCount === 1 ? '' : 's'}` : `Herald — ${status}`;
  return { icon, tooltip, badge: online ? newCount : 0, menu };
}
