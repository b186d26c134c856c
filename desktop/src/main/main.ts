// The Electron main process: the composition root. It builds the real adapters (safeStorage
// secrets, the user data folder, Tray, Notification, BrowserWindows, shell.openExternal), hands
// them to the desktop core and the shell (shell.ts — all behaviour that can be tested without
// Electron lives there and in the modules it uses), and wires IPC through the router (sender
// check + contract validation). Built to desktop/dist/main.mjs by desktop/tools/build-desktop.ts;
// run with `npm run desktop`.
import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BrowserWindow, Notification, app, dialog, ipcMain, powerMonitor, protocol, safeStorage, session, shell as electronShell, webContents } from 'electron';
import { createXmppChat } from '../core/chat/xmpp-chat.ts';
import { osFamily } from '../core/chat/software-version.ts';
import { createHeraldCore, type HeraldCore } from '../core/herald-core.ts';
import { createUpdateController } from '../core/updates/update-controller.ts';
import { createElectronUpdater, dialogUpdatePrompt } from './electron-updater-adapter.ts';
import { systemClock } from '../core/ports/clock.ts';
import { installerPathArg } from '../core/provisioning/installer-tag.ts';
import { createDirStorage } from '../core/storage/dir-storage.ts';
import { validateTemplate } from '../core/webmail/webmail-url.ts';
import { EVENTS, INVOKE, type PickedFile } from '../shared/ipc.ts';
import { createAppFiles } from './app-files.ts';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from './app-origin.ts';
import { HIDDEN_ARG, electronStartup, xdgStartup, type Startup } from './autostart.ts';
import { CSP } from './csp.ts';
import { DEEP_LINK_SCHEME, findDeepLink } from './deep-links.ts';
import { createElectronTray } from './electron-tray.ts';
import { createWindows } from './electron-windows.ts';
import { createIpcHandlers } from './ipc-handlers.ts';
import { createIpcRouter } from './ipc-router.ts';
import { decideWindowOpen, navigationAllowed, type LinkContext } from './link-policy.ts';
import { mainStrings } from './main-strings.ts';
import { createSafeSecretStore } from './safe-secret-store.ts';
import { createShell } from './shell.ts';

const log = (message: string) => console.error(`[herald] ${message}`);

// Must happen before 'ready': our page's origin is a standard, secure scheme (fetch, media, CSP 'self').
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void run();
}

async function run(): Promise<void> {
  let core: HeraldCore | undefined;
  let quitting = false;
  const pendingLinks: string[] = [];
  const handleLink = (url: string) => {
    if (!core) return void pendingLinks.push(url);
    void core.handleDeepLink(url).catch((e: Error) => log(`deep link refused: ${e.message}`));
  };

  // herald:// links: macOS sends open-url (possibly before 'ready'); Windows and Linux start a
  // second instance, whose argv the single-instance lock forwards here.
  app.on('open-url', (e, url) => {
    e.preventDefault();
    handleLink(url);
  });
  app.on('second-instance', (_e, argv) => {
    const link = findDeepLink(argv);
    if (link) handleLink(link);
    ui.windows?.open(core?.state().signIn ? { view: 'sign-in' } : { view: 'contacts' });
  });
  if (process.defaultApp && process.argv[1]) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [path.resolve(process.argv[1])]);
  else app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  if (process.platform === 'win32') app.setAppUserModelId('org.herald.desktop');

  // Every webContents, ours or not: no webviews, no navigation away, no new windows but our routes.
  let linkContext: () => LinkContext = () => ({ appOrigin: APP_ORIGIN });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
    const guard = (ev: { preventDefault(): void }, url: string) => {
      if (!navigationAllowed(contents.getURL(), url)) {
        ev.preventDefault();
        log(`navigation to ${url.slice(0, 200)} refused`);
      }
    };
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.setWindowOpenHandler(({ url }) => {
      const d = decideWindowOpen(url, linkContext());
      if (d.action === 'open-window') ui.windows?.open(d.route);
      else if (d.action === 'open-external') void electronShell.openExternal(d.url);
      else log(`window.open refused: ${d.reason}`);
      return { action: 'deny' };
    });
  });
  app.on('window-all-closed', () => {
    // A tray app keeps running with no window open.
  });

  // Created after 'ready'; the app-wide handlers above may fire before that.
  const ui: { windows?: ReturnType<typeof createWindows> } = {};
  await app.whenReady();

  const userData = app.getPath('userData');
  const appRoot = app.getAppPath();
  const resources = app.isPackaged ? process.resourcesPath : appRoot;
  // One OS locale for the main process's words and the core's (pop-ups, tray status, prompts).
  const locale = app.getLocale();
  const strings = mainStrings(locale);
  const storage = createDirStorage(userData);
  const secrets = createSafeSecretStore({
    safe: safeStorage,
    storage,
    platform: process.platform,
    warn: (kind) => {
      const text = kind === 'weak' ? strings.weakSecrets : strings.noSecrets;
      log(text);
      if (Notification.isSupported()) new Notification({ title: 'Herald', body: text, silent: true }).show();
    },
  });

  const appFiles = createAppFiles({ rendererDir: path.join(appRoot, 'desktop', 'dist', 'renderer'), skins: () => core?.skins() ?? { skins: [], rejected: [] }, userSoundDirs: () => [core?.userSoundsDir()] });
  protocol.handle(APP_SCHEME, async (req) => {
    const u = new URL(req.url);
    const hit = u.host === APP_HOST ? appFiles.resolve(u.pathname) : undefined;
    if (!hit) return new Response('not found', { status: 404 });
    try {
      return new Response(await readFile(hit.file), { headers: { 'content-type': hit.type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
  // The renderer needs no camera, microphone, geolocation, notifications API (main notifies) ...
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const shell = createShell({
    strings,
    clock: systemClock,
    appFiles,
    origin: APP_ORIGIN,
    adapters: {
      broadcast: (channel, payload) => {
        for (const wc of ui.windows?.all() ?? []) wc.send(channel, payload);
      },
      playSound: (payload) => ui.windows?.open({ view: 'contacts' }, { show: false }).webContents.send(EVENTS.sound, payload),
      drawTray: (look, images) => tray.draw(look, images),
      notify: (n, onClick) => {
        if (!Notification.isSupported()) return;
        const note = new Notification({ title: n.title, body: n.body, silent: true });
        notes.add(note);
        note.on('click', () => onClick());
        note.on('close', () => notes.delete(note));
        note.show();
      },
      openWindow: (route) => void ui.windows?.open(route),
      focusedConversation: () => {
        const r = ui.windows?.focusedRoute();
        return r && (r.view === 'chat' || r.view === 'room') ? r.jid : undefined;
      },
      quit: () => app.quit(),
      log,
    },
  });
  // Notifications are kept referenced until closed, or the GC takes them and their click with them.
  const notes = new Set<Notification>();
  const windows = createWindows({
    preload: path.join(appRoot, 'desktop', 'dist', 'preload.cjs'),
    icon: () => core?.activeSkin()?.images.TrayIdle?.file,
    onFocus: (route) => {
      if (route.view === 'chat' || route.view === 'room') shell.seen(route.jid);
    },
    quitting: () => quitting,
  });
  ui.windows = windows;
  const tray = createElectronTray({ run: (cmd) => void shell.run(cmd), onClick: () => windows.open({ view: 'contacts' }), badgeWindow: () => windows.get({ view: 'contacts' }) });

  core = createHeraldCore({
    storage,
    secrets,
    notifier: shell.ports.notifier,
    sound: shell.ports.sound,
    tray: shell.ports.tray,
    browser: { open: (url) => electronShell.openExternal(url) },
    // A per-user installer may name itself on the command line; else its path is read from the
    // resources, where build/installer.nsh left it (the core reads the tag in its signature).
    places: { resourcesDir: resources, userDataDir: userData, installer: installerPathArg(process.argv) },
    styles: { bundledDir: path.join(resources, 'styles'), userDir: path.join(userData, 'Styles') },
    deviceName: `Herald on ${os.hostname()}`,
    locale,
    // Updates from the gateway's feed, as its per-domain setting says; only a packaged app can install one.
    ...(app.isPackaged ? { updates: createUpdateController({ updater: createElectronUpdater(log), prompt: dialogUpdatePrompt, clock: systemClock }) } : {}),
  });
  const c = core;
  shell.attach(c);
  // Chat: connected by the core with the device token once the gateway says IM is on.
  const chatService = createXmppChat({ storage, historyDir: path.join(userData, 'History'), idle: { idleSeconds: () => powerMonitor.getSystemIdleTime() }, locale, software: { version: app.getVersion(), ...(osFamily(process.platform) ? { os: osFamily(process.platform) } : {}) } });
  chatService.onEvent((e) => {
    if (e.type === 'storage-problem') log(e.error ? `${e.file} not saved: ${e.error}` : `${e.file}: saved again`);
  });
  c.attachChat(chatService);
  // Signing in closes the sign-in window and shows the contacts; being signed out (revoked, or
  // from the tray) brings the sign-in window back.
  let signedOut: boolean | undefined;
  c.onState((s) => {
    const now = !!s.signIn;
    if (signedOut === undefined || now === signedOut) return void (signedOut = now);
    signedOut = now;
    if (now) windows.open({ view: 'sign-in' });
    else {
      windows.get({ view: 'sign-in' })?.close();
      windows.open({ view: 'contacts' });
    }
  });
  linkContext = () => {
    let webmailOrigin: string | undefined;
    try {
      webmailOrigin = validateTemplate(c.settings().effective.webmail.template);
    } catch {
      webmailOrigin = undefined;
    }
    const gw = c.state().gatewayUrl;
    return { appOrigin: APP_ORIGIN, webmailOrigin, gatewayOrigin: gw ? new URL(gw).origin : undefined };
  };

  const startup: Startup =
    process.platform === 'linux'
      ? xdgStartup({ configHome: process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), exec: process.env.APPIMAGE || process.execPath, args: app.isPackaged ? [HIDDEN_ARG] : [appRoot, HIDDEN_ARG] })
      : electronStartup(app);
  const handlers = createIpcHandlers({
    core: c,
    setPresence: shell.setPresence,
    shell: {
      startup,
      appInfo: () => ({ version: app.getVersion(), platform: process.platform, secretStorage: secrets.kind }),
      async pickFile(sender): Promise<PickedFile | null> {
        const wc = webContents.fromId(sender.id);
        const win = wc ? BrowserWindow.fromWebContents(wc) : null;
        const opts = { title: strings.pickFile, properties: ['openFile' as const] };
        const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
        const file = r.canceled ? undefined : r.filePaths[0];
        if (!file) return null;
        const st = await stat(file);
        return { file, name: path.basename(file), bytes: st.size };
      },
      async openPath(folder) {
        // shell.openPath answers with an error message ('' when it worked) instead of throwing.
        const problem = await electronShell.openPath(folder);
        if (problem) throw new Error(problem);
      },
      async saveFile(sender, suggestedName, content) {
        const wc = webContents.fromId(sender.id);
        const win = wc ? BrowserWindow.fromWebContents(wc) : null;
        const opts = { title: strings.saveExport, defaultPath: path.join(app.getPath('documents'), suggestedName) };
        const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
        if (r.canceled || !r.filePath) return null;
        await writeFile(r.filePath, content, { encoding: 'utf8', mode: 0o600 });
        return r.filePath;
      },
    },
  });
  const router = createIpcRouter({ handlers, sender: { origins: [APP_ORIGIN], isOurs: (id) => windows.isOurs(id) }, log });
  for (const channel of Object.values(INVOKE)) {
    ipcMain.handle(channel, (e, payload: unknown) => router(channel, payload, { id: e.sender.id, url: e.senderFrame?.url ?? '', mainFrame: !!e.senderFrame && e.senderFrame === e.sender.mainFrame }));
  }

  powerMonitor.on('resume', () => c.resume());
  powerMonitor.on('unlock-screen', () => c.resume());
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (e) => {
    if (!core) return;
    e.preventDefault();
    const stopping = core;
    core = undefined;
    void stopping.stop().finally(() => {
      tray.destroy();
      windows.closeAll();
      app.exit(0);
    });
  });

  const state = await c.start();
  for (const link of [...pendingLinks.splice(0), findDeepLink(process.argv)].filter((x): x is string => !!x)) handleLink(link);
  const hidden = process.argv.includes(HIDDEN_ARG);
  // The contacts window always exists (it plays sounds and carries the Windows badge); hidden at login.
  windows.open({ view: 'contacts' }, { show: !hidden && !state.signIn });
  if (state.signIn) windows.open({ view: 'sign-in' });
}
