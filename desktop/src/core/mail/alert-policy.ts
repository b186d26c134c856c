// What a new-mail alert turns into: a notification and a sound, or nothing.
//  - off for the folder (user switch, or the admin's "INBOX only"), or alerts switched off: nothing;
//  - do-not-disturb or quiet hours: nothing now (the tray still shows the counts);
//  - a burst: the first `digestThreshold` alerts pop up one by one at once (no added latency);
//    the rest of the burst (until `burstMs` without a new alert) become one digest;
//  - a sound with a pop-up (the user's choice for the event, else the skin's), at most one per
//    `soundGapMs`, so a burst does not rattle.
// The words are the core's catalog's (i18n/core-strings.ts), English unless told otherwise.
import { NO_SUBJECT as GATEWAY_NO_SUBJECT, UNKNOWN_SENDER as GATEWAY_UNKNOWN_SENDER } from '../../../../gateway/src/protocol/api.ts';
import type { NotificationView } from '../../shared/state.ts';
import type { EffectiveSettings } from '../../shared/settings.ts';
import type { Skin } from '../../shared/skins.ts';
import { coreStrings, type CoreText } from '../i18n/core-strings.ts';
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
  /** Display name of a folder path (last segment, from the folder list); INBOX is named by `text`. */
  folderName: (path: string) => string;
  /** The words of the pop-ups; default English. */
  text?: CoreText;
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

export function createAlertPolicy(d: AlertPolicyDeps): AlertPolicy {
  const burstMs = d.burstMs ?? 2000;
  const soundGapMs = d.soundGapMs ?? 1000;
  const text = d.text ?? coreStrings();
  const folderName = (path: string) => (isInbox(path) ? text.t('inbox') : d.folderName(path));
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
      title: text.count('moreNewMessages', total),
      body: folders.map(([p, n]) => text.t('digestLine', { folder: folderName(p), n })).join('\n'),
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
      const name = folderName(folder);
      if (item.kind === 'mail') {
        const { from, subject } = item.alert;
        const title = !from.trim() || from === GATEWAY_UNKNOWN_SENDER ? text.t('unknownSender') : from;
        const about = !subject.trim() || subject === GATEWAY_NO_SUBJECT ? text.t('noSubject') : subject;
        show({ kind: 'mail', title, body: `${about}\n${name}`, folder });
      } else {
        show({ kind: 'missed', title: text.count('newMessagesIn', count, { folder: name }), body: text.t('missedBody'), folder });
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
