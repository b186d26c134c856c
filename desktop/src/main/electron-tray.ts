// The TrayLook (tray-menu.ts) drawn with Electron: icon from the active skin, tooltip, the context
// menu ALWAYS attached (Linux AppIndicator trays show nothing without one and never report
// clicks), and the unread badge: app.setBadgeCount on macOS and Unity-style Linux docks, an
// overlay icon on the Windows taskbar. Redraws only when something visible changed.
import { Menu, Tray, app, nativeImage, type BrowserWindow, type NativeImage } from 'electron';
import type { TrayIcon } from '../shared/state.ts';
import { toMenuTemplate } from './menu-template.ts';
import type { MenuCommand, TrayLook } from './tray-menu.ts';

export interface ElectronTrayDeps {
  run(cmd: MenuCommand): void;
  /** Windows: a left click opens the contacts window (there, users expect it). */
  onClick(): void;
  /** The window whose taskbar button shows the Windows overlay badge. */
  badgeWindow(): BrowserWindow | undefined;
}

export function createElectronTray(d: ElectronTrayDeps) {
  let tray: Tray | undefined;
  let last = '';
  const image = (file: string | undefined): NativeImage => {
    const img = file ? nativeImage.createFromPath(file) : nativeImage.createEmpty();
    // macOS menu bar icons are 16 pt high; skins ship 16–32 px images.
    return process.platform === 'darwin' && !img.isEmpty() ? img.resize({ height: 16 }) : img;
  };

  return {
    draw(look: TrayLook, images: Partial<Record<TrayIcon, string>>): void {
      const key = JSON.stringify([look, images[look.icon]]);
      if (key === last) return;
      last = key;
      const img = image(images[look.icon] ?? images.idle);
      if (!tray) {
        tray = new Tray(img);
        if (process.platform === 'win32') tray.on('click', () => d.onClick());
      } else tray.setImage(img);
      tray.setToolTip(look.tooltip);
      tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(look.menu, d.run)));
      if (process.platform === 'win32') {
        const w = d.badgeWindow();
        if (w && !w.isDestroyed()) w.setOverlayIcon(look.badge > 0 ? image(images['new-mail']) : null, look.badge > 0 ? look.tooltip : '');
      } else app.setBadgeCount(look.badge);
    },
    destroy(): void {
      tray?.destroy();
      tray = undefined;
    },
  };
}
