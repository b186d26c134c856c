// What a new-mail alert turns into: a notification and a sound, or nothing.
//  - off for the folder (user switch, or the admin's "INBOX only"), or alerts switched off: nothing;
//  - do-not-disturb or quiet hours: nothing now (the tray still shows the counts);
//  - a burst: the first `digestThreshold` alerts pop up one by one at once (no added latency);
//    the rest of the burst (until `burstMs` without a new alert) become one digest;
//  - a sound with a pop-up (the user's choice for the event, else the skin's), at most one per
//    `soundGapMs`, so a burst does not rattle.
import type { NotificationView } from '../../shared/state.ts';
import type { EffectiveSettings } from '../../shared/settings.ts';
import type { Skin } from '../../shared/skins.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { SoundPlayer } from '../ports/sound-player.ts';
import type { AlertItem } from './mail-monitor.ts';
import { inQuietHours } from './quiet-hours.ts';

export interface AlertPolicyDeps {
  clock: Clock;
  notifier: Notifier;
  sound: SoundPlayer;
  settings: () => EffectiveSettings;
  skin: () => Skin | undefined;
  /** Display name of a folder path (last segment, from the folder list). */
  folderName: (path: string) => string;
  burstMs?: number;
  soundGapMs?: number;
}

export interface AlertPolicy {
  handle(item: AlertItem): void;
  /** Whether pop-ups are held back now (do-not-disturb or quiet hours). */
  quiet(): boolean;
  stop(): void;
  /** Alerts held back by do-not-disturb or quiet hours since start. */
  readonly suppressed: number;
}

const isInbox = (path: string) => path.toUpperCase() === 'INBOX';
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function createAlertPolicy(d: AlertPolicyDeps): AlertPolicy {
  const burstMs = d.burstMs ?? 2000;
  const soundGapMs = d.soundGapMs ?? 1000;
  let seq = 0;
  let shownInBurst = 0;
  let burstTimer: TimerHandle | undefined;
  const digest = new Map<string, number>();
  let lastSound = -Infinity;
  let suppressed = 0;

  const quiet = () => {
    const s = d.settings().alerts;
    return s.doNotDisturb || inQuietHours(s.quietHours, new Date(d.clock.now()));
  };

  const playNewMail = () => {
    const s = d.settings().sounds;
    if (!s.enabled || !s.newMailAllowed) return;
    const now = d.clock.now();
    if (now - lastSound < soundGapMs) return;
    const choice = s.events.NewMail ?? 'skin';
    const file = choice === 'none' ? undefined : choice === 'skin' ? d.skin()?.sounds.NewMail?.file : choice.file;
    if (!file) return;
    lastSound = now;
    d.sound.play({ event: 'NewMail', file });
  };

  const show = (n: Omit<NotificationView, 'id'>) => {
    d.notifier.show({ id: `mail-${++seq}`, ...n });
    playNewMail();
  };

  const endBurst = () => {
    burstTimer = undefined;
    shownInBurst = 0;
    if (digest.size === 0) return;
    const total = [...digest.values()].reduce((a, b) => a + b, 0);
    const folders = [...digest.entries()].sort((a, b) => b[1] - a[1]);
    digest.clear();
    if (quiet()) {
      suppressed += total;
      return;
    }
    show({
      kind: 'digest',
      title: plural(total, 'more new message', 'more new messages'),
      body: folders.map(([p, n]) => `${d.folderName(p)}: ${n}`).join('\n'),
      ...(folders.length === 1 ? { folder: folders[0]![0] } : { folder: 'INBOX' }),
    });
  };

  return {
    handle(item) {
      const s = d.settings().alerts;
      const folder = item.kind === 'mail' ? item.alert.folder : item.folder;
      if (!s.enabled || s.folders[folder] === false || (s.scope === 'inbox' && !isInbox(folder))) return;
      const count = item.kind === 'mail' ? 1 : item.count;
      if (quiet()) {
        suppressed += count;
        return;
      }
      d.clock.clearTimeout(burstTimer);
      burstTimer = d.clock.setTimeout(endBurst, burstMs);
      if (shownInBurst >= s.digestThreshold) {
        digest.set(folder, (digest.get(folder) ?? 0) + count);
        return;
      }
      shownInBurst++;
      const name = d.folderName(folder);
      if (item.kind === 'mail') {
        show({ kind: 'mail', title: `${item.alert.from || 'Unknown sender'}`, body: `${item.alert.subject || '(no subject)'}\n${name}`, folder });
      } else {
        show({ kind: 'missed', title: `${plural(count, 'new message', 'new messages')} in ${name}`, body: 'arrived while Herald was not connected', folder });
      }
    },
    quiet,
    stop() {
      d.clock.clearTimeout(burstTimer);
      burstTimer = undefined;
    },
    get suppressed() {
      return suppressed;
    },
  };
}
