// Desktop updates from the company's gateway, decided by the admin's per-domain setting that
// GET /api/v1/config delivers (ClientConfig.updates; README "Updates"):
//   off        nothing: no check, no download.
//   notify     check; when a newer version exists, tell the user and let them choose: restart and
//              install now, install when Herald quits, or not now (not asked again for that version
//              in this run).
//   automatic  check, download in the background, install when Herald quits (nobody is asked).
// The mechanics (electron-updater's autoUpdater, generic provider) are behind UpdaterPort; the
// main-process adapter (desktop/src/main/electron-updater-adapter.ts) implements it. Checks repeat
// on the core's clock, so tests drive time themselves.
import type { ClientConfig } from '../../../../gateway/src/protocol/api.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';

export type UpdateMode = NonNullable<ClientConfig['updates']>['mode'];

export interface UpdaterPort {
  /** Where to look (an electron-updater generic feed) and with which credentials; `installOnQuit`: install a downloaded update when the app quits. */
  configure(o: { feedUrl: string; authorization: string; installOnQuit: boolean }): void;
  /** The newer version the feed offers, or null when this one is current. */
  check(): Promise<{ version: string } | null>;
  /** Downloads the version the last check found (its checksum is verified by the updater). */
  download(): Promise<void>;
  /** Quits and installs the downloaded update now. */
  installNow(): void;
}

export type UpdateChoice = 'now' | 'on-quit' | 'later';

/** How the user is asked in notify mode (a notification or dialog in the main process). */
export interface UpdatePrompt {
  offer(version: string): Promise<UpdateChoice>;
}

export type UpdatePhase = 'off' | 'idle' | 'checking' | 'asking' | 'downloading' | 'ready' | 'error';

export interface UpdateState {
  mode: UpdateMode;
  phase: UpdatePhase;
  /** The newer version found (asking, downloading, ready). */
  version?: string;
  /** The last failure (phase error), for the diagnostics view. */
  error?: string;
}

export interface UpdateControllerDeps {
  updater: UpdaterPort;
  prompt: UpdatePrompt;
  clock: Clock;
  /** Between checks; default 4 hours. */
  intervalMs?: number;
  /** The first check after start-up or a config change; default 1 minute (sign-in and mail first). */
  firstCheckMs?: number;
}

export function createUpdateController(d: UpdateControllerDeps) {
  const intervalMs = d.intervalMs ?? 4 * 3600_000;
  const firstCheckMs = d.firstCheckMs ?? 60_000;
  let state: UpdateState = { mode: 'off', phase: 'off' };
  let timer: TimerHandle | undefined;
  let generation = 0;
  let configured = '';
  /** Versions the user said "not now" to, and versions already downloaded. */
  const declined = new Set<string>();
  let downloaded: string | undefined;
  const listeners = new Set<(s: UpdateState) => void>();

  const set = (s: UpdateState) => {
    state = s;
    for (const l of listeners) l(state);
  };
  const schedule = (ms: number) => {
    d.clock.clearTimeout(timer);
    timer = d.clock.setTimeout(() => void check(), ms);
  };

  async function check(): Promise<void> {
    const gen = generation;
    const mode = state.mode;
    if (mode === 'off') return;
    if (['checking', 'asking', 'downloading'].includes(state.phase)) return;
    schedule(intervalMs);
    set({ mode, phase: 'checking' });
    try {
      const found = await d.updater.check();
      if (gen !== generation) return;
      if (!found) return set({ mode, phase: 'idle' });
      const { version } = found;
      if (downloaded === version) return set({ mode, phase: 'ready', version });
      if (mode === 'notify') {
        if (declined.has(version)) return set({ mode, phase: 'idle', version });
        set({ mode, phase: 'asking', version });
        const choice = await d.prompt.offer(version);
        if (gen !== generation) return;
        if (choice === 'later') {
          declined.add(version);
          return set({ mode, phase: 'idle', version });
        }
        d.updater.configure({ ...feedOf(), installOnQuit: true });
        await fetchUpdate(gen, version);
        if (gen === generation && choice === 'now' && state.phase === 'ready') d.updater.installNow();
        return;
      }
      await fetchUpdate(gen, version);
    } catch (e) {
      if (gen === generation) set({ mode, phase: 'error', error: (e as Error).message });
    }
  }

  async function fetchUpdate(gen: number, version: string): Promise<void> {
    set({ mode: state.mode, phase: 'downloading', version });
    await d.updater.download();
    if (gen !== generation) return;
    downloaded = version;
    set({ mode: state.mode, phase: 'ready', version });
  }

  let feed: { feedUrl: string; authorization: string } | undefined;
  const feedOf = () => feed!;

  return {
    state: (): UpdateState => state,
    onState(l: (s: UpdateState) => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },

    /**
     * The gateway's config (or none: signed out) and the device token. Called after each config
     * fetch; only a change of mode, feed or token restarts the schedule.
     */
    apply(config: ClientConfig | undefined, deviceToken: string | undefined): void {
      const u = config?.updates;
      const mode: UpdateMode = u && deviceToken ? u.mode : 'off';
      const key = mode === 'off' ? 'off' : JSON.stringify([mode, u!.feedUrl, deviceToken]);
      if (key === configured) return;
      configured = key;
      generation++;
      d.clock.clearTimeout(timer);
      timer = undefined;
      if (mode === 'off') {
        feed = undefined;
        return set({ mode, phase: 'off' });
      }
      feed = { feedUrl: u!.feedUrl, authorization: `Bearer ${deviceToken}` };
      // Automatic installs what it downloads when Herald quits; notify only once the user chose so.
      d.updater.configure({ ...feed, installOnQuit: mode === 'automatic' });
      set({ mode, phase: 'idle' });
      schedule(firstCheckMs);
    },

    /** "Check for updates" from the menu: now, unless off or already busy. */
    checkNow: (): Promise<void> => check(),

    stop(): void {
      generation++;
      d.clock.clearTimeout(timer);
      timer = undefined;
      listeners.clear();
    },
  };
}
export type UpdateController = ReturnType<typeof createUpdateController>;
