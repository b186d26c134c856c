// Herald's windows: one BrowserWindow per route (contacts, a conversation, history, folders,
// settings, about, sign-in), every one sandboxed with contextIsolation, no Node, our preload only,
// showing app://herald/index.html#/<route>. The contacts window hides instead of closing (it plays
// the sounds and shows the Windows badge); the others close. Navigation away from the page and
// new windows are refused for every webContents (app-wide guard in main.ts); window.open of one of
// our routes opens that Herald window instead.
import { BrowserWindow, type WebContents } from 'electron';
import { APP_INDEX } from './app-origin.ts';
import { routeHash, routeKey, windowSpec, type Route } from './window-routes.ts';

export interface WindowsDeps {
  preload: string;
  icon?: () => string | undefined;
  /** A window got the focus (chat windows mark their conversation read). */
  onFocus(route: Route): void;
  /** Whether the app is quitting (then the contacts window really closes). */
  quitting(): boolean;
}

export function createWindows(d: WindowsDeps) {
  const byKey = new Map<string, { win: BrowserWindow; route: Route }>();

  function open(route: Route, o: { show?: boolean } = {}): BrowserWindow {
    const key = routeKey(route);
    const existing = byKey.get(key);
    if (existing && !existing.win.isDestroyed()) {
      // The one Help window asked for another section: it moves there (only its #route changes).
      if (routeHash(existing.route) !== routeHash(route)) {
        existing.route = route;
        void existing.win.loadURL(APP_INDEX + routeHash(route));
      }
      if (o.show !== false) {
        if (existing.win.isMinimized()) existing.win.restore();
        existing.win.show();
        existing.win.focus();
      }
      return existing.win;
    }
    const spec = windowSpec(route);
    const win = new BrowserWindow({
      ...spec,
      show: false,
      title: 'Herald',
      icon: d.icon?.(),
      autoHideMenuBar: true,
      webPreferences: {
        preload: d.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: true,
      },
    });
    byKey.set(key, { win, route });
    win.removeMenu();
    if (o.show !== false) win.once('ready-to-show', () => win.show());
    win.on('focus', () => d.onFocus(route));
    if (route.view === 'contacts') {
      win.on('close', (e) => {
        if (d.quitting()) return;
        e.preventDefault();
        win.hide();
      });
    }
    win.on('closed', () => {
      if (byKey.get(key)?.win === win) byKey.delete(key);
    });
    void win.loadURL(APP_INDEX + routeHash(route));
    return win;
  }

  const alive = () => [...byKey.values()].filter((x) => !x.win.isDestroyed());

  return {
    open,
    isOurs: (webContentsId: number) => alive().some((x) => x.win.webContents.id === webContentsId),
    /** Every window's webContents (pushes go to all of them). */
    all: (): WebContents[] => alive().map((x) => x.win.webContents),
    get: (route: Route) => byKey.get(routeKey(route))?.win,
    focusedRoute(): Route | undefined {
      const f = BrowserWindow.getFocusedWindow();
      return alive().find((x) => x.win === f)?.route;
    },
    closeAll(): void {
      for (const x of alive()) x.win.destroy();
    },
  };
}
export type Windows = ReturnType<typeof createWindows>;
