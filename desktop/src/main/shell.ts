// The desktop shell's behaviour without Electron: fills the core's Notifier, SoundPlayer and
// TrayView ports, fans the core's state, settings and chat events out to the windows, raises chat
// pop-ups, keeps the tray look (one render per change) and runs the tray menu's commands. The
// Electron main process (main.ts) gives it adapters over Tray, Notification and BrowserWindow; the
// browser preview (desktop/preview) gives it adapters over its WebSocket bridge. Tests give fakes.
import type { ChatService } from '../core/chat/chat-service.ts';
import type { HeraldCore } from '../core/herald-core.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Notifier } from '../core/ports/notifier.ts';
import type { SoundPlayer } from '../core/ports/sound-player.ts';
import type { TrayView } from '../core/ports/tray-view.ts';
import type { OwnPresence } from '../shared/chat.ts';
import { EVENTS, type EventChannel } from '../shared/ipc.ts';
import type { SoundEvent } from '../shared/settings.ts';
import type { Skin } from '../shared/skins.ts';
import type { TrayIcon, TrayModel } from '../shared/state.ts';
import type { AppFiles } from './app-files.ts';
import { createChatAlerts } from './chat-alerts.ts';
import { createPopupPairing } from './popup-pairing.ts';
import type { MainStrings } from './main-strings.ts';
import { mailClickTarget, routeClick, type ClickTarget } from './notification-routing.ts';
import { soundFile } from './sound-choice.ts';
import { IpcError } from './ipc-router.ts';
import { trayLook, type MenuCommand, type TrayLook } from './tray-menu.ts';
import type { Route } from './window-routes.ts';

export interface ShellAdapters {
  /** Sends a push to every window of ours. */
  broadcast(channel: EventChannel, payload: unknown): void;
  /** Sends a sound to the one window that plays sounds (so it plays once). */
  playSound(payload: { event: SoundEvent; url: string }): void;
  /** Draws the tray: the look, and the skin's image file for each icon. */
  drawTray(look: TrayLook, images: Partial<Record<TrayIcon, string>>): void;
  /** Shows a silent notification; `onClick` when the user clicks it. */
  notify(n: { id: string; title: string; body: string }, onClick: () => void): void;
  openWindow(route: Route): void;
  /** The conversation (bare JID) shown by the focused window, if it is a chat window. */
  focusedConversation(): string | undefined;
  quit(): void;
  log(message: string): void;
}

export interface ShellDeps {
  adapters: ShellAdapters;
  strings: MainStrings;
  clock: Clock;
  appFiles: AppFiles;
  /** Prefix for the paths appFiles serves: `app://herald` in Electron, '' in the preview. */
  origin: string;
  tuning?: { chatBurstMs?: number; soundGapMs?: number; presenceSettleMs?: number };
}

const ICON_ROLE: Record<TrayIcon, keyof Skin['images']> = { idle: 'TrayIdle', 'new-mail': 'TrayNewMail', offline: 'TrayOffline', chat: 'TrayChat' };

export function createShell(d: ShellDeps) {
  const a = d.adapters;
  let core: HeraldCore | undefined;
  let model: TrayModel | undefined;
  let chat: ChatService | undefined;
  let offChat: (() => void) | undefined;
  let lastSettings = '';

  const click = (t: ClickTarget) =>
    void routeClick(t, {
      openFolder: (p) => core!.openFolder(p),
      openWindow: a.openWindow,
      log: a.log,
    });

  const playFile = (event: SoundEvent, file: string) => a.playSound({ event, url: `${d.origin}${d.appFiles.soundPath(file)}` });

  // An alert rule aimed at the user: the new-mail pop-up and the server's alert IM are one pop-up.
  const pairing = createPopupPairing({ clock: d.clock });
  const alerts = createChatAlerts({
    clock: d.clock,
    strings: d.strings,
    notify: (p) => a.notify({ id: p.server ? pairing.server(p.id, p.body) : p.id, title: p.title, body: p.body }, () => click(p.target)),
    sound(event) {
      if (!core) return;
      const file = soundFile(event, core.settings().effective.sounds, core.activeSkin());
      if (file) playFile(event, file);
    },
    quiet: () => !!core && (core.state().doNotDisturb || core.state().quiet),
    focused: (jid) => a.focusedConversation()?.toLowerCase() === jid.toLowerCase(),
    name: (jid) => chat?.contacts().find((c) => c.jid === jid)?.name ?? jid.split('@')[0] ?? jid,
    onUnread: () => redraw(),
    burstMs: d.tuning?.chatBurstMs,
    soundGapMs: d.tuning?.soundGapMs,
    settleMs: d.tuning?.presenceSettleMs,
  });

  function redraw(): void {
    if (!model || !core) return;
    const s = core.state();
    const look = trayLook(model, { chat: !!chat, ...(chat ? { own: chat.ownPresence() } : {}), chatUnread: alerts.unread(), doNotDisturb: s.doNotDisturb }, d.strings);
    const skin = core.activeSkin();
    const images: Partial<Record<TrayIcon, string>> = {};
    for (const [icon, role] of Object.entries(ICON_ROLE) as [TrayIcon, keyof Skin['images']][]) {
      const f = skin?.images[role]?.file;
      if (f) images[icon] = f;
    }
    a.drawTray(look, images);
  }

  /** The chat part may appear (sign-in) or go (sign-out) at any state change: follow it. */
  function followChat(): void {
    const now = core?.chat();
    if (now === chat) return;
    offChat?.();
    offChat = undefined;
    chat = now;
    if (chat) {
      offChat = chat.onEvent((e) => {
        a.broadcast(EVENTS.chat, e);
        alerts.handle(e);
        if (e.type === 'roster' || e.type === 'connection' || e.type === 'own-presence') redraw();
      });
    }
  }

  /**
   * Sets the user's status from the tray or the renderer. "Do not disturb" quiets mail pop-ups too;
   * any other status ends that. The chat part keeps the status (the tray is redrawn from its
   * `own-presence` event); without it, mail do-not-disturb is the whole status.
   */
  let settingPresence = false;
  async function setPresence(p: OwnPresence): Promise<void> {
    if (!core) return;
    if (!chat && p.show !== 'online' && p.show !== 'dnd') throw new IpcError('chat_unavailable', 'chat is not available, so only "online" and "do not disturb" can be set');
    settingPresence = true;
    try {
      if (core.state().doNotDisturb !== (p.show === 'dnd')) await core.setDoNotDisturb(p.show === 'dnd');
      if (chat) await chat.setPresence(p);
    } finally {
      settingPresence = false;
    }
    redraw();
  }

  /**
   * Mail do-not-disturb switched elsewhere (the Settings checkbox): the chat follows, so contacts
   * see what the tray and the windows show. Invisible and offline are left alone: turning on
   * do-not-disturb must not make a hidden user visible.
   */
  let lastDnd: boolean | undefined;
  function followDoNotDisturb(on: boolean): void {
    const changed = lastDnd !== undefined && lastDnd !== on;
    lastDnd = on;
    if (!changed || settingPresence || !chat) return;
    const chosen = chat.ownPresence().chosen;
    if (chosen.show === 'invisible' || chosen.show === 'offline' || (chosen.show === 'dnd') === on) return;
    void chat.setPresence({ ...chosen, show: on ? 'dnd' : 'online' }).catch((e: Error) => a.log(`status could not follow do-not-disturb: ${e.message}`));
  }

  const ports: { notifier: Notifier; sound: SoundPlayer; tray: TrayView } = {
    notifier: {
      show(n) {
        const id = n.kind === 'mail' ? pairing.mail(n.id, n.body.split('\n')[0] ?? '') : n.id;
        if (id) a.notify({ id, title: n.title, body: n.body }, () => click(mailClickTarget(n)));
      },
    },
    sound: { play: ({ event, file }) => playFile(event, file) },
    tray: {
      render(m) {
        model = m;
        redraw();
      },
    },
  };

  return {
    /** The ports to build the core with. */
    ports,

    /** Connects the shell to the core built with `ports` (call before core.start()). */
    attach(c: HeraldCore): () => void {
      core = c;
      return c.onState((s) => {
        followChat();
        followDoNotDisturb(s.doNotDisturb);
        a.broadcast(EVENTS.state, s);
        const view = c.settings();
        const json = JSON.stringify(view);
        if (json !== lastSettings) {
          lastSettings = json;
          a.broadcast(EVENTS.settings, view);
        }
        redraw();
      });
    },

    /** A tray menu item was chosen. */
    async run(cmd: MenuCommand): Promise<void> {
      if (!core) return;
      try {
        switch (cmd.kind) {
          case 'open-folder':
            return click({ kind: 'folder', path: cmd.path });
          case 'open-window':
            return a.openWindow(cmd.route);
          case 'presence': {
            const status = chat?.ownPresence().chosen.status;
            return await setPresence({ show: cmd.show, ...(status ? { status } : {}) });
          }
          case 'core':
            if (cmd.action === 'check-now') return core.checkNow();
            if (cmd.action === 'open-webmail') return click({ kind: 'folder', path: 'INBOX' });
            if (cmd.action === 'sign-out') return await core.signOut();
            if (cmd.action === 'quit') return a.quit();
        }
      } catch (e) {
        a.log(`tray command ${JSON.stringify(cmd)} failed: ${(e as Error).message}`);
      }
    },

    /** A window showing this conversation got the focus. */
    seen(conversation: string): void {
      alerts.seen(conversation);
    },
    setPresence,
    chatUnread: () => alerts.unread(),
    redraw,
  };
}
export type Shell = ReturnType<typeof createShell>;
