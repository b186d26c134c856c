// Chat events the user should notice while looking elsewhere: an incoming message (or file) in a
// conversation whose window is not focused raises a silent notification and its sound, and counts
// as unread until that conversation is looked at. Nothing while do-not-disturb or quiet hours
// last (the unread count still grows). A burst in one conversation (offline messages arriving at
// login) updates one pop-up instead of raising many; a sound plays at most once per `soundGapMs`.
// A message the user sent from this app (its `pending` echo, not a carbon from another device nor
// a room's reflection) plays MessageOut. A contact coming online plays ContactOnline, going
// offline ContactOffline — but not during the presence flood right after connecting. Every sound
// waits out do-not-disturb and quiet hours.
import { serverSenderName, type ChatEvent, type ChatMessage } from '../shared/chat.ts';
import type { SoundEvent } from '../shared/settings.ts';
import type { Clock } from '../core/ports/clock.ts';
import { chatClickTarget, type ClickTarget } from './notification-routing.ts';
import { fmt, type MainStrings } from './main-strings.ts';

export interface ChatPopup {
  /** Stable per conversation burst: a newer pop-up with the same id replaces the older one. */
  id: string;
  /** Sent by the server itself (scripts, alerts, reminders): the "Herald" conversation. */
  server?: boolean;
  title: string;
  body: string;
  target: ClickTarget;
}

export interface ChatAlertDeps {
  clock: Clock;
  strings: MainStrings;
  notify(p: ChatPopup): void;
  sound(event: SoundEvent): void;
  /** Do-not-disturb or quiet hours now. */
  quiet(): boolean;
  /** A window showing this conversation has the focus. */
  focused(conversation: string): boolean;
  /** Display name of a contact (the roster's), or of a room. */
  name(jid: string): string;
  /** The unread count changed (tray redraw). */
  onUnread?(total: number): void;
  burstMs?: number;
  soundGapMs?: number;
  settleMs?: number;
}

const MAX_BODY = 200;
const clip = (s: string) => (s.length > MAX_BODY ? `${s.slice(0, MAX_BODY - 1)}…` : s);

export function createChatAlerts(d: ChatAlertDeps) {
  const burstMs = d.burstMs ?? 5000;
  const soundGapMs = d.soundGapMs ?? 1000;
  const settleMs = d.settleMs ?? 5000;
  const unread = new Map<string, number>();
  const bursts = new Map<string, { at: number; count: number; seq: number }>();
  let seq = 0;
  let lastSound = -Infinity;
  let onlineSince = Infinity;
  const online = new Set<string>();

  const total = () => [...unread.values()].reduce((a, b) => a + b, 0);
  const lastOf = new Map<SoundEvent, number>();
  /**
   * Sounds within the gap are dropped — the same message sound again (a burst), or a presence
   * sound after any sound. A message's sound is never swallowed by another kind a moment earlier
   * (a contact going offline, or the user's own "sent" sound just before a reply arrives).
   */
  const play = (event: SoundEvent) => {
    const now = d.clock.now();
    const isMessage = event === 'MessageIn' || event === 'MessageOut' || event === 'FileReceived' || event === 'ServerMessage';
    if (now - (isMessage ? (lastOf.get(event) ?? -Infinity) : lastSound) < soundGapMs) return;
    lastSound = now;
    lastOf.set(event, now);
    d.sound(event);
  };

  function message(m: ChatMessage): void {
    if (m.direction === 'out') {
      if (m.delivery === 'pending' && !d.quiet()) play('MessageOut');
      return;
    }
    if (d.focused(m.with)) return;
    unread.set(m.with, (unread.get(m.with) ?? 0) + 1);
    d.onUnread?.(total());
    if (d.quiet()) return;
    const now = d.clock.now();
    const prev = bursts.get(m.with);
    const inBurst = prev && now - prev.at < burstMs;
    const b = inBurst ? { at: now, count: prev.count + 1, seq: prev.seq } : { at: now, count: 1, seq: ++seq };
    bursts.set(m.with, b);
    // What the server sent is named as the server's ("Herald", "CI (Herald)"), not by a bare "herald".
    const named = d.name(m.with);
    const sender = m.kind === 'groupchat' ? m.from.split('/')[1] ?? m.from : m.server && (named === m.with || named === m.with.split('@')[0]) ? serverSenderName(m.with) : named;
    const title = m.kind === 'groupchat' ? fmt(d.strings.chatInRoom, { name: sender, room: d.name(m.with) }) : fmt(d.strings.chatFrom, { name: sender });
    const file = m.attachments?.[0];
    const text = file ? fmt(d.strings.fileShared, { name: file.name ?? file.url }) : m.body;
    const body = b.count > 1 ? `${fmt(d.strings.chatMore, { n: b.count })}\n${clip(text)}` : clip(text);
    d.notify({ id: `chat-${b.seq}`, title, body, target: chatClickTarget(m), ...(m.server ? { server: true } : {}) });
    // What the server sends (scripts, alert rules, reminders) has a sound of its own.
    play(file ? 'FileReceived' : m.server ? 'ServerMessage' : 'MessageIn');
  }

  return {
    handle(e: ChatEvent): void {
      if (e.type === 'message') return message(e.message);
      if (e.type === 'connection') {
        if (e.state === 'online') onlineSince = d.clock.now();
        else {
          onlineSince = Infinity;
          online.clear();
        }
        return;
      }
      if (e.type === 'presence') {
        const was = online.has(e.jid);
        if (e.show === 'offline') online.delete(e.jid);
        else online.add(e.jid);
        const settled = d.clock.now() - onlineSince >= settleMs;
        if (!settled || d.quiet()) return;
        if (!was && e.show !== 'offline') play('ContactOnline');
        else if (was && e.show === 'offline') play('ContactOffline');
      }
    },
    /** The user looked at the conversation (its window got the focus). */
    seen(conversation: string): void {
      if (unread.delete(conversation)) d.onUnread?.(total());
    },
    unread: total,
    unreadOf: (conversation: string) => unread.get(conversation) ?? 0,
  };
}
export type ChatAlerts = ReturnType<typeof createChatAlerts>;
