// The desktop core's composition root: builds the session, the folder feed, the mail monitor and
// the alert policy from the ports it is given, and keeps one CoreState that the tray (one render
// call per change) and the renderer (through the DesktopApi) show. No Electron, no DOM: the
// Electron main process passes real adapters, tests pass fakes for the ports and a real gateway.
import { ClientConfigSchema, type ClientConfig, type Folder } from '../../../gateway/src/protocol/api.ts';
import type { SettingsView, SignInResult } from '../shared/ipc.ts';
import { defaultSettings, type EffectiveSettings, type SoundEvent, type UserSettingsPatch } from '../shared/settings.ts';
import type { Skin, SkinCatalog } from '../shared/skins.ts';
import type { CoreState, FolderView } from '../shared/state.ts';
import type { ChatService } from './chat/chat-service.ts';
import { createAlertRulesService } from './gateway/alert-rules-service.ts';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './gateway/backoff.ts';
import { createFolderFeed, type FolderFeed } from './gateway/folder-feed.ts';
import { AuthRevokedError } from './gateway/gateway-errors.ts';
import { coreStrings } from './i18n/core-strings.ts';
import { createAlertPolicy } from './mail/alert-policy.ts';
import { msUntilQuietChange } from './mail/quiet-hours.ts';
import { createMailMonitor } from './mail/mail-monitor.ts';
import type { Browser } from './ports/browser.ts';
import { systemClock, type Clock, type TimerHandle } from './ports/clock.ts';
import type { Notifier } from './ports/notifier.ts';
import type { SecretStore } from './ports/secret-store.ts';
import type { SoundPlayer } from './ports/sound-player.ts';
import type { Storage } from './ports/storage.ts';
import type { TrayView } from './ports/tray-view.ts';
import type { ProvisionPlaces } from './provisioning/provision-sources.ts';
import { SignInError, createSession, type SignedIn, type StartResult } from './session/session.ts';
import { effectiveSettings } from './settings/effective-settings.ts';
import { loadSettings, type SettingsStore } from './settings/settings-store.ts';
import { discoverSkins, pickSkin } from './skins/skin-catalog.ts';
import { SoundFileError, createUserSounds } from './sounds/user-sounds.ts';
import { trayModel } from './tray/tray-model.ts';
import { isAllowedWebmailUrl, validateTemplate, webmailUrl } from './webmail/webmail-url.ts';

export interface CoreDeps {
  storage: Storage;
  secrets: SecretStore;
  notifier: Notifier;
  sound: SoundPlayer;
  tray: TrayView;
  browser: Browser;
  clock?: Clock;
  places: ProvisionPlaces;
  /** cacheDir: where imported Windows themes are converted to (default: <userDataDir>/skin-cache). */
  styles: { bundledDir: string; userDir?: string; cacheDir?: string };
  /** Shown to the admin in the gateway's device list. */
  deviceName?: string;
  /** The gateway the sign-in form offers before the user ever signed in (the preview knows its gateway). */
  suggestedGatewayUrl?: string;
  /** Desktop updates (updates/update-controller.ts): told each config the gateway sends, and the sign-out. */
  updates?: { apply(config: ClientConfig | undefined, deviceToken: string | undefined): void };
  /** The OS locale (Electron's app.getLocale()): 'de…' gets German pop-ups, tray status and prompts; default English. */
  locale?: string;
  tuning?: {
    /** How long count increases wait for the pushed alerts that explain them. */
    graceMs?: number;
    burstMs?: number;
    soundGapMs?: number;
    backoff?: BackoffOptions;
    deadAfterMs?: number;
    random?: () => number;
    apiTimeoutMs?: number;
  };
}

export class CoreError extends Error {
  override name = 'CoreError';
  constructor(
    readonly code: 'not_signed_in' | 'webmail_unavailable' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

const isInbox = (p: string) => p.toUpperCase() === 'INBOX';
/** The last GET /api/v1/config answer (no secrets in it). */
export const CONFIG_CACHE_FILE = 'client-config.json';

export function createHeraldCore(d: CoreDeps) {
  const stylesPlaces = () => ({ ...d.styles, cacheDir: d.styles.cacheDir ?? (d.places.userDataDir ? `${d.places.userDataDir}/skin-cache` : undefined) });
  const clock = d.clock ?? systemClock;
  const t = d.tuning ?? {};
  const text = coreStrings(d.locale);
  const session = createSession({ storage: d.storage, secrets: d.secrets, clock, places: d.places, deviceName: d.deviceName ?? 'Herald desktop', apiTimeoutMs: t.apiTimeoutMs, text, ...(d.suggestedGatewayUrl ? { suggestedGatewayUrl: d.suggestedGatewayUrl } : {}) });
  let settings: SettingsStore | undefined;
  let catalog: SkinCatalog = { skins: [], rejected: [] };
  let config: ClientConfig | undefined;
  let effective: EffectiveSettings = effectiveSettings(defaultSettings(), undefined);
  let current: SignedIn | undefined;
  let feed: FolderFeed | undefined;
  let folders: Folder[] = [];
  let retryTimer: TimerHandle | undefined;
  let retryAttempt = 0;
  let generation = 0;
  /**
   * Set by stop(): a sign-in, provisioning link or enrollment retry still on its way (an HTTP
   * request to the gateway) must not start the feed and the chat afterwards — quitting while
   * signing in left the event socket and the chat's socket open and the app running.
   */
  let stopped = false;
  let chat: ChatService | undefined;
  let quietTimer: TimerHandle | undefined;
  const userSounds = createUserSounds({ userDataDir: d.places.userDataDir });

  let state: CoreState = {
    connection: { state: 'connecting' },
    user: null,
    gatewayUrl: null,
    folders: [],
    signIn: null,
    doNotDisturb: false,
    quiet: false,
    problems: [],
  };
  const listeners = new Set<(s: CoreState) => void>();
  let lastTray = '';

  const monitor = createMailMonitor({ storage: d.storage, clock, graceMs: t.graceMs, onAlert: (item) => policy.handle(item) });
  const policy = createAlertPolicy({
    clock,
    notifier: d.notifier,
    sound: d.sound,
    settings: () => effective,
    skin: () => activeSkin(),
    folderName: (p) => folders.find((f) => f.path === p)?.name ?? p,
    text,
    burstMs: t.burstMs,
    soundGapMs: t.soundGapMs,
  });

  const folderViews = (): FolderView[] =>
    folders.map((f) => ({
      ...f,
      alerts: effective.alerts.enabled && effective.alerts.folders[f.path] !== false && (effective.alerts.scope === 'all' || isInbox(f.path)),
    }));

  const problems = (): string[] => {
    const out: string[] = [];
    if (settings?.problem) out.push(`Settings: ${settings.problem.message}`);
    if (monitor.problem) out.push(`Mail alerts: ${monitor.problem}`);
    for (const r of catalog.rejected) out.push(`Skin ${r.id || r.dir} (${r.source}) skipped: ${r.reason}`);
    return out;
  };

  function emit(patch: Partial<CoreState> = {}): void {
    state = { ...state, ...patch, folders: folderViews(), doNotDisturb: effective.alerts.doNotDisturb, quiet: policy.quiet(), problems: problems() };
    const model = trayModel(state, text);
    const json = JSON.stringify(model);
    if (json !== lastTray) {
      lastTray = json;
      d.tray.render(model);
    }
    for (const l of listeners) {
      try {
        l(state);
      } catch {
        // A listener's bug (a window gone, a renderer that threw) must not stop the core.
      }
    }
  }

  const recompute = () => {
    effective = effectiveSettings(settings!.get(), config);
    feed?.setPollInterval(effective.pollIntervalSeconds);
    armQuietTimer();
  };

  // The tray says "quiet hours" while they last: redraw when they begin or end.
  function armQuietTimer(): void {
    clock.clearTimeout(quietTimer);
    quietTimer = undefined;
    const ms = msUntilQuietChange(effective.alerts.quietHours, new Date(clock.now()));
    if (ms === undefined) return;
    quietTimer = clock.setTimeout(() => {
      armQuietTimer();
      emit();
    }, ms + 1000);
  }

  function activeSkin(): Skin | undefined {
    return pickSkin(catalog, effective.skin.name);
  }

  async function loadConfig(gen: number): Promise<void> {
    const s = current;
    if (!s) return;
    try {
      const c = await s.api.config(s.token);
      if (gen !== generation) return;
      config = c;
      recompute();
      emit();
      syncChat();
      d.updates?.apply(c, s.token);
      // Kept, so the admin's policy (locks, webmail, poll interval) applies from the next start on,
      // even before the gateway answers.
      await d.storage.write(CONFIG_CACHE_FILE, JSON.stringify(c)).catch(() => {});
    } catch (e) {
      if (gen !== generation) return;
      if (e instanceof AuthRevokedError) await revoked(e.message);
      // Otherwise keep the last config; it is fetched again at the next (re)connection.
    }
  }

  /**
   * Chat follows the session: connected with the device token once the gateway's config says IM
   * is on (again after each reconnection of the feed, if it went offline), disconnected when it is
   * off. Its own failures show in its `connection` events, not here.
   */
  function syncChat(): void {
    const s = current;
    if (!chat || !s || !config) return;
    if (!config.xmpp.enabled) {
      void chat.disconnect().catch(() => {});
      return;
    }
    if (chat.connection().state !== 'offline') return;
    const { websocketUrl, tcp, domain } = config.xmpp;
    void chat.connect({ websocketUrl, tcp, domain, jid: s.user.address, deviceToken: s.token }).catch(() => {});
  }

  async function cachedConfig(user: string): Promise<ClientConfig | undefined> {
    try {
      const r = ClientConfigSchema.safeParse(JSON.parse((await d.storage.read(CONFIG_CACHE_FILE)) ?? 'null'));
      return r.success && r.data.user.address === user ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  async function teardown(): Promise<void> {
    generation++;
    clock.clearTimeout(retryTimer);
    retryTimer = undefined;
    feed?.stop();
    feed = undefined;
    policy.stop();
    await monitor.stop();
    await chat?.disconnect().catch(() => {});
    current = undefined;
    config = undefined;
    d.updates?.apply(undefined, undefined);
    folders = [];
    if (settings) recompute();
  }

  async function revoked(message: string): Promise<void> {
    await teardown();
    const prompt = await session.revoked(message);
    emit({ connection: { state: 'signed-out', detail: prompt.message }, signIn: prompt, user: null });
  }

  async function begin(s: SignedIn): Promise<void> {
    if (stopped) return;
    await teardown();
    const gen = generation;
    if (stopped) return;
    current = s;
    retryAttempt = 0;
    await monitor.load(s.user.address);
    const cached = await cachedConfig(s.user.address);
    // Stopped (or signed out) meanwhile: teardown() has run and nothing may start now.
    if (gen !== generation) return;
    config = cached;
    recompute();
    emit({ connection: { state: 'connecting' }, user: s.user, gatewayUrl: s.gatewayUrl, signIn: null });
    let wasConnected = false;
    feed = createFolderFeed({
      api: s.api,
      token: s.token,
      clock,
      pollIntervalSeconds: effective.pollIntervalSeconds,
      backoff: t.backoff,
      random: t.random,
      deadAfterMs: t.deadAfterMs,
      events: {
        folders(snapshot) {
          if (gen !== generation) return;
          folders = snapshot.folders;
          monitor.snapshot(folders);
          emit();
        },
        alert(a) {
          if (gen === generation) monitor.alert(a);
        },
        connection(c) {
          if (gen !== generation || c.state === 'signed-out') return;
          const connected = c.state === 'connected' || c.state === 'mail-unavailable';
          // A (re)connection: the admin may have changed the config meanwhile.
          if (connected && !wasConnected) void loadConfig(gen);
          wasConnected = connected;
          emit({ connection: c });
        },
        revoked(message) {
          if (gen === generation) void revoked(message);
        },
      },
    });
    feed.start();
  }

  async function apply(r: StartResult): Promise<void> {
    if (stopped) return;
    if ('signedIn' in r) return begin(r.signedIn);
    if ('prompt' in r) {
      await teardown();
      return emit({ connection: { state: 'signed-out', detail: r.prompt.message }, signIn: r.prompt, user: null });
    }
    // Provisioned but the gateway is not there yet: keep trying to enroll, with backoff.
    const gen = generation;
    const delay = backoffDelay(retryAttempt++, t.backoff ?? DEFAULT_BACKOFF, t.random);
    emit({ connection: { state: 'gateway-unreachable', detail: r.unreachable, nextRetryAt: clock.now() + delay }, signIn: null });
    retryTimer = clock.setTimeout(() => {
      if (gen === generation) void r.retry().then((next) => (gen === generation ? apply(next) : undefined));
    }, delay);
  }

  const requireSession = (): SignedIn => {
    if (!current) throw new CoreError('not_signed_in', 'not signed in');
    return current;
  };

  /** Opens webmail at the folder and acknowledges it (its `new` count drops to 0). */
  async function openFolder(path: string): Promise<void> {
    const s = requireSession();
    if (!config) await loadConfig(generation);
    if (!effective.webmail.template) throw new CoreError('webmail_unavailable', 'no webmail is configured');
    await d.browser.open(webmailUrl(effective.webmail.template, { folder: path, user: s.user.address }));
    try {
      const r = await s.api.ack(s.token, path);
      if (current !== s) return;
      folders = r.folders;
      monitor.snapshot(folders);
      emit();
    } catch (e) {
      if (e instanceof AuthRevokedError) await revoked(e.message);
      // Otherwise the counts catch up with the next snapshot.
    }
  }

  const settingsView = (): SettingsView => ({ user: settings!.get(), effective, ...(settings!.problem ? { problem: settings!.problem.message } : {}) });

  return {
    async start(): Promise<CoreState> {
      stopped = false;
      settings = await loadSettings(d.storage);
      settings.onChange(() => {
        recompute();
        emit();
      });
      catalog = await discoverSkins(stylesPlaces());
      recompute();
      await apply(await session.start());
      return state;
    },

    async stop(): Promise<void> {
      stopped = true;
      await teardown();
      clock.clearTimeout(quietTimer);
      quietTimer = undefined;
      listeners.clear();
    },

    state: () => state,

    onState(listener: (s: CoreState) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async signIn(gatewayUrl: string, user: string, password: string): Promise<SignInResult> {
      if (current) return { ok: false, message: text.t('alreadySignedIn', { user: current.user.address }) };
      try {
        await begin(await session.signIn(gatewayUrl, user, password));
        return { ok: true, state };
      } catch (e) {
        if (!(e instanceof SignInError)) throw e;
        emit({ signIn: { reason: 'login-failed', message: e.message, gatewayUrl, user } });
        return { ok: false, message: e.message, ...(e.retryAfterSeconds ? { retryAfterSeconds: e.retryAfterSeconds } : {}) };
      }
    },

    async signOut(): Promise<void> {
      const s = current;
      await teardown();
      const prompt = await session.signOut(s);
      emit({ connection: { state: 'signed-out', detail: prompt.message }, signIn: prompt, user: null });
    },

    /** A `herald://provision?...` link: used only while signed out (a link never switches accounts). */
    async handleDeepLink(url: string): Promise<CoreState> {
      if (current) return state;
      await apply(await session.provision(url));
      return state;
    },

    openFolder,
    openWebmail: (): Promise<void> => openFolder('INBOX'),

    /** Opens an arbitrary link only if it is http(s) under the webmail's origin; false otherwise. */
    async openExternal(url: string): Promise<boolean> {
      let origin: string;
      try {
        origin = validateTemplate(effective.webmail.template);
      } catch {
        return false;
      }
      if (!isAllowedWebmailUrl(url, origin)) return false;
      await d.browser.open(url);
      return true;
    },

    checkNow(): void {
      feed?.refresh();
    },

    /** After sleep/resume or a network change. */
    resume(): void {
      feed?.resume();
      emit();
    },

    async setDoNotDisturb(on: boolean): Promise<void> {
      await settings!.update({ alerts: { doNotDisturb: on } });
    },

    settings: settingsView,

    async updateSettings(patch: UserSettingsPatch): Promise<SettingsView> {
      // A sound file can be chosen only through importSound (a copy the app keeps): a window
      // naming any path (~/.ssh/id_ed25519) would otherwise get it served back as a "sound".
      const current = settings!.get().sounds.events;
      for (const [event, choice] of Object.entries(patch.sounds?.events ?? {}) as [SoundEvent, unknown][]) {
        if (typeof choice !== 'object' || !choice) continue;
        const { file } = choice as { file: string };
        const kept = current[event];
        if (!userSounds.owns(file) && !(typeof kept === 'object' && kept.file === file)) throw new SoundFileError(`${event}: a sound file is chosen with "Choose file…", not by its path`);
      }
      await settings!.update(patch);
      return settingsView();
    },

    /** The user picked a sound file for an event: checked, copied into the app's data folder, chosen. */
    async importSound(event: SoundEvent, name: string, bytes: Uint8Array): Promise<SettingsView> {
      const stored = await userSounds.store(name, bytes);
      await settings!.update({ sounds: { events: { ...settings!.get().sounds.events, [event]: { file: stored.file, name: stored.name } } } });
      return settingsView();
    },
    /** Where picked sound files are kept (app-files serves them from here). */
    userSoundsDir: (): string | undefined => userSounds.dir,

    skins: (): SkinCatalog => catalog,
    activeSkin: (): Skin | undefined => activeSkin(),
    async reloadSkins(): Promise<SkinCatalog> {
      catalog = await discoverSkins(stylesPlaces());
      emit();
      return catalog;
    },

    /** The chat part (chat/xmpp-chat.ts: createXmppChat) plugs in here; connected while signed in with IM on. */
    attachChat(service: ChatService): void {
      chat = service;
      syncChat();
    },
    chat: (): ChatService | undefined => chat,

    /** The user's own mail-to-IM alert rules on the gateway ("My alert rules"). */
    alertRules: createAlertRulesService({ session: () => current, onRevoked: (m) => revoked(m) }),
  };
}
export type HeraldCore = ReturnType<typeof createHeraldCore>;
