// Start at login. macOS and Windows: Electron's app.setLoginItemSettings. Linux has no such API
// in Electron: an XDG autostart entry (~/.config/autostart/herald.desktop, the freedesktop
// "Desktop Application Autostart" spec that GNOME, KDE, Xfce and others follow).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StartupView } from '../shared/ipc.ts';

export interface LoginItemsLike {
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(s: { openAtLogin: boolean; openAsHidden?: boolean; args?: string[] }): void;
}

export interface Startup {
  get(): Promise<StartupView>;
  set(openAtLogin: boolean): Promise<StartupView>;
}

export const HIDDEN_ARG = '--hidden';

export function electronStartup(app: LoginItemsLike): Startup {
  const view = () => ({ openAtLogin: app.getLoginItemSettings().openAtLogin, supported: true });
  return {
    get: async () => view(),
    async set(on) {
      app.setLoginItemSettings({ openAtLogin: on, openAsHidden: true, args: [HIDDEN_ARG] });
      return view();
    },
  };
}

/** Quotes an Exec= argument as the Desktop Entry spec says (double quotes; \ " ` $ escaped). */
const quoteExec = (s: string) => (/^[A-Za-z0-9_./+-]+$/.test(s) ? s : `"${s.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`);

export function xdgStartup(o: { configHome: string; exec: string; args?: string[]; name?: string }): Startup {
  const file = path.join(o.configHome, 'autostart', 'herald.desktop');
  const entry = [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${o.name ?? 'Herald'}`,
    `Exec=${[o.exec, ...(o.args ?? [HIDDEN_ARG])].map(quoteExec).join(' ')}`,
    'X-GNOME-Autostart-enabled=true',
    'Terminal=false',
    '',
  ].join('\n');
  const get = async (): Promise<StartupView> => {
    try {
      const text = await readFile(file, 'utf8');
      return { openAtLogin: !/^(Hidden=true|X-GNOME-Autostart-enabled=false)$/m.test(text), supported: true };
    } catch {
      return { openAtLogin: false, supported: true };
    }
  };
  return {
    get,
    async set(on) {
      if (on) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, entry, { mode: 0o644 });
      } else await rm(file, { force: true });
      return get();
    },
  };
}
