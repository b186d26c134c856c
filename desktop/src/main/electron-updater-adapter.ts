// The only file that touches electron-updater: its autoUpdater behind the core's UpdaterPort
// (core/updates/update-controller.ts decides when), fed from the gateway's generic feed with the
// device token, and the notify-mode question as a message box. electron-updater is imported on
// first use, so an unpackaged run (npm run desktop, tests) never loads it.
import { dialog } from 'electron';
import type { AppUpdater } from 'electron-updater';
import type { UpdateChoice, UpdatePrompt, UpdaterPort } from '../core/updates/update-controller.ts';

async function loadAutoUpdater(log: (line: string) => void): Promise<AppUpdater> {
  const mod = (await import('electron-updater')) as unknown as { autoUpdater?: AppUpdater; default?: { autoUpdater: AppUpdater } };
  const u = mod.autoUpdater ?? mod.default!.autoUpdater;
  u.logger = { info: (m: unknown) => log(`updates: ${String(m)}`), warn: (m: unknown) => log(`updates: ${String(m)}`), error: (m: unknown) => log(`updates: ${String(m)}`), debug: () => {} };
  return u;
}

export function createElectronUpdater(log: (line: string) => void): UpdaterPort {
  let loaded: Promise<AppUpdater> | undefined;
  let feed: { feedUrl: string; authorization: string; installOnQuit: boolean } | undefined;
  let applied: string | undefined;
  const updater = async () => {
    loaded ??= loadAutoUpdater(log);
    const u = await loaded;
    const key = feed && `${feed.feedUrl} ${feed.authorization}`;
    if (feed) u.autoInstallOnAppQuit = feed.installOnQuit;
    // setFeedURL makes a new provider: only when the feed changed, so a download follows its check.
    if (feed && key !== applied) {
      applied = key;
      // One range per request: the gateway answers single ranges (RFC 9110 §14), not multipart.
      u.setFeedURL({ provider: 'generic', url: feed.feedUrl, useMultipleRangeRequest: false });
      // Sent with the channel file and the download (AppUpdater.computeRequestHeaders).
      u.requestHeaders = { authorization: feed.authorization };
      u.autoDownload = false; // the core decides (update-controller.ts)
    }
    return u;
  };
  return {
    configure(o) {
      feed = o;
    },
    async check() {
      const u = await updater();
      const r = await u.checkForUpdates();
      return r?.isUpdateAvailable ? { version: r.updateInfo.version } : null;
    },
    async download() {
      await (await updater()).downloadUpdate();
    },
    installNow() {
      void updater().then((u) => u.quitAndInstall());
    },
  };
}

/** Notify mode: a message box that says which version is ready and lets the user choose. */
export const dialogUpdatePrompt: UpdatePrompt = {
  async offer(version: string): Promise<UpdateChoice> {
    const { response } = await dialog.showMessageBox({
      type: 'info',
      title: 'Herald update',
      message: `Herald ${version} is available.`,
      detail: 'Your administrator published a new version. Install it now (Herald restarts), when you quit Herald, or later.',
      buttons: ['Restart and install', 'Install when I quit', 'Not now'],
      defaultId: 1,
      cancelId: 2,
    });
    return (['now', 'on-quit', 'later'] as const)[response] ?? 'later';
  },
};
