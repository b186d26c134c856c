// The tray's whole look from state, by one pure function (Signal Desktop's SystemTrayService
// pattern): the core's TrayModel (icon, counts, connection) plus what only the shell knows — chat
// presence and unread chat messages — become an icon, a tooltip, a badge and a menu spec that
// electron-tray.ts turns into Electron's Menu. The menu is always there (Linux AppIndicator trays
// show nothing else) and says in words what the icon means.
import { statusShown, type OwnPresence, type OwnPresenceState } from '../shared/chat.ts';
import type { TrayAction, TrayIcon, TrayModel } from '../shared/state.ts';
import { fmt, type MainStrings } from './main-strings.ts';
import type { Route } from './window-routes.ts';

export type OwnShow = OwnPresence['show'];
export const OWN_SHOWS: readonly OwnShow[] = ['online', 'away', 'xa', 'dnd', 'invisible', 'offline'];

export type MenuCommand =
  | { kind: 'open-folder'; path: string }
  | { kind: 'core'; action: Exclude<TrayAction, 'toggle-dnd' | 'settings' | 'sign-in'> }
  | { kind: 'open-window'; route: Route }
  | { kind: 'presence'; show: OwnShow };

export interface MenuSpec {
  type: 'normal' | 'separator' | 'checkbox' | 'radio' | 'submenu';
  label?: string;
  enabled?: boolean;
  checked?: boolean;
  command?: MenuCommand;
  submenu?: MenuSpec[];
}

export interface TrayLook {
  icon: TrayIcon;
  tooltip: string;
  badge: number;
  menu: MenuSpec[];
}

export interface ShellTrayState {
  /** Whether the chat part exists for this account (IM on) — the presence choices beyond DnD need it. */
  chat: boolean;
  /** The user's own presence as the chat part has it: chosen (tray or a window) and in effect (auto-away). */
  own?: OwnPresenceState;
  /** Incoming chat messages not seen yet. */
  chatUnread: number;
  /** Mail do-not-disturb (the core's). */
  doNotDisturb: boolean;
}

const separator: MenuSpec = { type: 'separator' };

export function trayLook(model: TrayModel, shell: ShellTrayState, t: MainStrings): TrayLook {
  const menu: MenuSpec[] = [];
  const signedIn = model.menu.some((i) => i.kind === 'action' && i.action === 'sign-out');
  for (const item of model.menu) {
    if (item.kind === 'status') menu.push({ type: 'normal', label: item.label, enabled: false });
    else if (item.kind === 'folder') {
      const name = item.path === 'INBOX' ? t.inbox : item.path;
      const counts = item.new > 0 ? fmt(t.countsNew, item) : item.unread > 0 ? fmt(t.countsUnread, item) : String(item.total);
      if (!menu.some((m) => m.command?.kind === 'open-folder')) menu.push(separator);
      menu.push({ type: 'normal', label: `${name} (${counts})`, command: { kind: 'open-folder', path: item.path } });
    }
  }
  if (shell.chatUnread > 0) menu.push({ type: 'normal', label: fmt(t.chatUnread, { n: shell.chatUnread }), command: { kind: 'open-window', route: { view: 'contacts' } } });
  menu.push(separator);

  // Status: chat presence and mail do-not-disturb are one choice ("Do not disturb" quiets both).
  // While auto-away is in effect, the away (or extended away) item is checked and says so.
  const status = statusShown(shell.chat ? shell.own : undefined, shell.doNotDisturb);
  const shows = shell.chat ? OWN_SHOWS : (['online', 'dnd'] as const);
  const label = (show: OwnShow) => (status.idle && show === status.shown ? (show === 'xa' ? t.xaIdle : t.awayIdle) : t[show]);
  menu.push({
    type: 'submenu',
    label: t.status,
    enabled: signedIn,
    submenu: shows.map((show) => ({ type: 'radio', label: label(show), checked: show === status.shown, command: { kind: 'presence', show } })),
  });
  menu.push({ type: 'normal', label: t.contacts, enabled: signedIn && shell.chat, command: { kind: 'open-window', route: { view: 'contacts' } } });
  menu.push({ type: 'normal', label: t.folders, enabled: signedIn, command: { kind: 'open-window', route: { view: 'folders' } } });
  const enabled = (a: TrayAction) => {
    const i = model.menu.find((x) => x.kind === 'action' && x.action === a);
    return i?.kind === 'action' ? i.enabled : false;
  };
  menu.push({ type: 'normal', label: t.checkNow, enabled: enabled('check-now'), command: { kind: 'core', action: 'check-now' } });
  menu.push({ type: 'normal', label: t.openWebmail, enabled: enabled('open-webmail'), command: { kind: 'core', action: 'open-webmail' } });
  menu.push(separator);
  menu.push({ type: 'normal', label: t.settings, command: { kind: 'open-window', route: { view: 'settings' } } });
  menu.push({ type: 'normal', label: t.help, command: { kind: 'open-window', route: { view: 'help' } } });
  menu.push({ type: 'normal', label: t.about, command: { kind: 'open-window', route: { view: 'about' } } });
  menu.push(signedIn ? { type: 'normal', label: t.signOut, command: { kind: 'core', action: 'sign-out' } } : { type: 'normal', label: t.signIn, command: { kind: 'open-window', route: { view: 'sign-in' } } });
  menu.push(separator);
  menu.push({ type: 'normal', label: t.quit, command: { kind: 'core', action: 'quit' } });

  const chatIcon = shell.chatUnread > 0 && model.icon !== 'offline';
  return {
    icon: chatIcon ? 'chat' : model.icon,
    tooltip: shell.chatUnread > 0 ? `${fmt(t.chatUnread, { n: shell.chatUnread })} — ${model.tooltip}` : model.tooltip,
    badge: model.badge + shell.chatUnread,
    menu,
  };
}
