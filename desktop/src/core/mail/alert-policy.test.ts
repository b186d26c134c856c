import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailAlert } from '../../../../gateway/src/protocol/api.ts';
import { defaultSettings, type UserSettings } from '../../shared/settings.ts';
import type { Skin } from '../../shared/skins.ts';
import { FakeClock } from '../../../test-support/fake-clock.ts';
import { RecordingNotifier, RecordingSoundPlayer } from '../../../test-support/fake-ports.ts';
import { coreStrings } from '../i18n/core-strings.ts';
import { effectiveSettings } from '../settings/effective-settings.ts';
import { createAlertPolicy } from './alert-policy.ts';
import { inQuietHours, msUntilQuietChange } from './quiet-hours.ts';

const skin = { sounds: { NewMail: { file: '/styles/Default/sounds/new-mail.wav', relative: 'sounds/new-mail.wav', bytes: 1 } } } as unknown as Skin;

function setup(edit: (s: UserSettings) => void = () => {}, scope: 'all' | 'inbox' = 'all', clock = new FakeClock(), locale?: string) {
  const user = defaultSettings();
  edit(user);
  const config = {
    user: { address: 'a@x.y', displayName: 'A' },
    webmail: { urlTemplate: '' },
    xmpp: { enabled: false, domain: 'x.y', tcp: { host: 'h', port: 1 }, websocketUrl: 'ws://h' },
    pollIntervalSeconds: 60,
    skin: { default: 'Default', locked: false },
    sounds: { newMail: true, messageIn: true },
    alerts: { digestThreshold: 3, folders: scope },
  };
  const notifier = new RecordingNotifier();
  const sound = new RecordingSoundPlayer();
  let settings = effectiveSettings(user, config);
  const text = locale === undefined ? undefined : coreStrings(locale);
  const policy = createAlertPolicy({ clock, notifier, sound, settings: () => settings, skin: () => skin, folderName: (p) => p.split('/').at(-1)!, burstMs: 2000, soundGapMs: 1000, text });
  return { clock, notifier, sound, policy, set: (e: (s: UserSettings) => void) => ((e(user), (settings = effectiveSettings(user, config)))) };
}
const mail = (uid: number, folder = 'INBOX'): { kind: 'mail'; alert: MailAlert } => ({ kind: 'mail', alert: { folder, uid, from: 'Bob <bob@example.com>', subject: `s${uid}`, date: '2026-01-15T12:00:00Z' } });

test('one pop-up per message with sender, subject and folder, and the skin’s sound', () => {
  const { notifier, sound, policy } = setup();
  policy.handle(mail(1, 'Projects/Herald'));
  assert.deepEqual(notifier.shown, [{ id: 'mail-1', kind: 'mail', title: 'Bob <bob@example.com>', body: 's1\nHerald', folder: 'Projects/Herald' }]);
  assert.deepEqual(sound.played, [{ event: 'NewMail', file: '/styles/Default/sounds/new-mail.wav' }]);
  policy.handle({ kind: 'missed', folder: 'INBOX', count: 2 });
  assert.equal(notifier.shown[1]!.title, '2 new messages in Inbox', 'INBOX is named like in the tray and the folder list');
  policy.handle({ kind: 'missed', folder: 'Lists/dev', count: 1 });
  assert.deepEqual([notifier.shown[2]!.title, notifier.shown[2]!.body], ['1 new message in dev', 'arrived while Herald was not connected']);
});

test('a burst above the digest threshold: the first ones at once, the rest as one digest; one sound per second', async () => {
  const { clock, notifier, sound, policy } = setup();
  for (let i = 1; i <= 3; i++) policy.handle(mail(i));
  for (let i = 4; i <= 10; i++) policy.handle(mail(i, i % 2 ? 'INBOX' : 'Lists/dev'));
  assert.equal(notifier.shown.length, 3, 'threshold 3: three pop-ups immediately, no latency added');
  assert.equal(sound.played.length, 1, 'one sound for the burst so far');
  await clock.advance(1999);
  policy.handle({ kind: 'missed', folder: 'INBOX', count: 5 }); // still the same burst
  await clock.advance(2000);
  assert.equal(notifier.shown.length, 4);
  assert.deepEqual(notifier.shown[3], { id: 'mail-4', kind: 'digest', title: '12 more new messages', body: 'Inbox: 8\ndev: 4', folder: 'INBOX' });
  assert.equal(sound.played.length, 2);
  policy.handle(mail(11));
  assert.equal(notifier.shown.length, 5, 'a new burst pops up at once again');
});

test('do-not-disturb and quiet hours hold pop-ups and sounds back; per-folder switches and the admin’s INBOX-only policy apply', async () => {
  const s = setup((u) => (u.alerts.doNotDisturb = true));
  s.policy.handle(mail(1));
  assert.equal(s.notifier.shown.length, 0);
  assert.equal(s.sound.played.length, 0);
  assert.equal(s.policy.suppressed, 1);
  s.set((u) => (u.alerts.doNotDisturb = false));
  s.policy.handle(mail(2));
  assert.equal(s.notifier.shown.length, 1, 'after do-not-disturb ends, new mail pops up again');

  const night = new FakeClock(new Date(2026, 0, 15, 23, 30).getTime());
  const q = setup((u) => (u.alerts.quietHours = { enabled: true, from: '22:00', to: '07:00' }), 'all', night);
  q.policy.handle(mail(1));
  assert.equal(q.notifier.shown.length, 0, 'quiet at 23:30');
  assert.equal(q.policy.quiet(), true);
  await night.advance(8 * 3600_000); // 07:30
  q.policy.handle(mail(2));
  assert.equal(q.notifier.shown.length, 1, 'not quiet at 07:30');

  const f = setup((u) => (u.alerts.folders = { 'Lists/dev': false }));
  f.policy.handle(mail(1, 'Lists/dev'));
  f.policy.handle(mail(2, 'Lists/other'));
  assert.deepEqual(f.notifier.shown.map((x) => x.folder), ['Lists/other']);

  const i = setup(() => {}, 'inbox');
  i.policy.handle(mail(1, 'Lists/other'));
  i.policy.handle(mail(2, 'inbox'));
  assert.deepEqual(i.notifier.shown.map((x) => x.folder), ['inbox']);

  const off = setup((u) => (u.alerts.enabled = false));
  off.policy.handle(mail(1));
  assert.equal(off.notifier.shown.length, 0);
});

test('sound per event: the skin’s, none, or the user’s own file; none when sounds are off', () => {
  const none = setup((u) => (u.sounds.events = { NewMail: 'none' }));
  none.policy.handle(mail(1));
  assert.equal(none.notifier.shown.length, 1);
  assert.deepEqual(none.sound.played, []);
  const own = setup((u) => (u.sounds.events = { NewMail: { file: '/home/alice/ding.ogg' } }));
  own.policy.handle(mail(1));
  assert.deepEqual(own.sound.played, [{ event: 'NewMail', file: '/home/alice/ding.ogg' }]);
  const off = setup((u) => (u.sounds.enabled = false));
  off.policy.handle(mail(1));
  assert.deepEqual(off.sound.played, []);
});

test('quiet hours: spans midnight, a same-day range, equal times mean none', () => {
  const at = (h: number, m = 0) => new Date(2026, 0, 15, h, m);
  const night = { enabled: true, from: '22:00', to: '07:00' };
  assert.deepEqual([at(21, 59), at(22), at(3), at(6, 59), at(7), at(12)].map((d) => inQuietHours(night, d)), [false, true, true, true, false, false]);
  const lunch = { enabled: true, from: '12:00', to: '13:30' };
  assert.deepEqual([at(11, 59), at(12), at(13, 29), at(13, 30)].map((d) => inQuietHours(lunch, d)), [false, true, true, false]);
  assert.equal(inQuietHours({ enabled: true, from: '08:00', to: '08:00' }, at(8)), false);
  assert.equal(inQuietHours({ ...night, enabled: false }, at(23)), false);
});

test('the next quiet-hours change is found across midnight', () => {
  const at = (h: number, m = 0) => new Date(2026, 0, 15, h, m);
  const night = { enabled: true, from: '22:00', to: '07:00' };
  assert.equal(msUntilQuietChange(night, at(21)), 3600_000);
  assert.equal(msUntilQuietChange(night, at(22)), 9 * 3600_000, 'at 22:00 sharp the next change is 07:00');
  assert.equal(msUntilQuietChange(night, at(23, 30)), 7.5 * 3600_000);
  assert.equal(msUntilQuietChange({ ...night, enabled: false }, at(21)), undefined);
});

test('in German: sender, subject, folder, missed mail and the digest in German words and plurals', async () => {
  const { clock, notifier, policy } = setup(() => {}, 'all', new FakeClock(), 'de_DE.UTF-8');
  policy.handle({ kind: 'mail', alert: { folder: 'INBOX', uid: 1, from: '', subject: '', date: '2026-01-15T12:00:00Z' } });
  // What the gateway sends for a message without From or Subject is said in German too.
  policy.handle({ kind: 'mail', alert: { folder: 'Projects/Herald', uid: 2, from: '(unknown sender)', subject: '(no subject)', date: '2026-01-15T12:00:00Z' } });
  policy.handle({ kind: 'missed', folder: 'INBOX', count: 3 });
  assert.deepEqual(
    notifier.shown.map((n) => [n.title, n.body]),
    [
      ['Unbekannter Absender', '(kein Betreff)\nPosteingang'],
      ['Unbekannter Absender', '(kein Betreff)\nHerald'],
      ['3 neue Nachrichten in Posteingang', 'eingegangen, während Herald nicht verbunden war'],
    ],
  );
  policy.handle({ kind: 'missed', folder: 'Lists/dev', count: 1 }); // over the threshold of 3: into the digest
  await clock.advance(2000);
  assert.deepEqual([notifier.shown[3]!.title, notifier.shown[3]!.body], ['1 weitere neue Nachricht', 'dev: 1']);

  const one = setup(() => {}, 'all', new FakeClock(), 'de');
  one.policy.handle({ kind: 'missed', folder: 'INBOX', count: 1 });
  assert.equal(one.notifier.shown[0]!.title, '1 neue Nachricht in Posteingang');
  for (let i = 1; i <= 5; i++) one.policy.handle(mail(i));
  await one.clock.advance(2000);
  assert.deepEqual([one.notifier.shown.at(-1)!.title, one.notifier.shown.at(-1)!.body], ['3 weitere neue Nachrichten', 'Posteingang: 3']);
});
