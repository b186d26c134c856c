// A tray MenuSpec (tray-menu.ts) → Electron's menu template: each item with a command gets a click
// that runs it. Only Electron's types are imported, so tests run this without Electron.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand, MenuSpec } from './tray-menu.ts';

export function toMenuTemplate(items: MenuSpec[], run: (cmd: MenuCommand) => void): MenuItemConstructorOptions[] {
  return items.map((i): MenuItemConstructorOptions => {
    if (i.type === 'separator') return { type: 'separator' };
    const o: MenuItemConstructorOptions = { type: i.type, label: i.label, enabled: i.enabled ?? true };
    if (i.type === 'checkbox' || i.type === 'radio') o.checked = !!i.checked;
    if (i.submenu) o.submenu = toMenuTemplate(i.submenu, run);
    const cmd = i.command;
    if (cmd) o.click = () => run(cmd);
    return o;
  });
}
