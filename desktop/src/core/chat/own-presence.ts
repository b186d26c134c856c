// RFC 6121 §4: the user's own presence — available with show (away, xa, dnd) and status text,
// also to the rooms the user is in (XEP-0045 §7.7) — and `invisible`: unavailable to everyone
// while the connection stays up (servers then keep messages to the bare address in their offline
// store until the user is visible again; rooms are left, as servers end room presence with it).
// Auto-away: while the chosen show is `online`, the IdleSource is read on a Clock timer; after
// `awayMinutes` without input the show becomes away, after `xaMinutes` xa, and the chosen one
// comes back with the first input. Nothing is sent when nothing changed.
// What the user chose and what is in effect (`shown`: away/xa while auto-away applies) are told to
// `onChange` whenever either changes, so the tray and every window show the same status.
import { Element } from 'ltx';
import type { ChatPreferences, OwnPresence, OwnPresenceState } from '../../shared/chat.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { IdleSource } from '../ports/idle-source.ts';
import type { XmppConnection } from './xmpp-connection.ts';

export type Shown = { show: 'online' | 'away' | 'xa' | 'dnd' | 'invisible'; status?: string };

/** What auto-away makes of the chosen presence after `idleSeconds` without input. */
export function autoAway(chosen: Shown, idleSeconds: number, prefs: ChatPreferences['autoAway']): Shown {
  if (!prefs.enabled || chosen.show !== 'online') return chosen;
  if (idleSeconds >= prefs.xaMinutes * 60) return { ...chosen, show: 'xa' };
  if (idleSeconds >= prefs.awayMinutes * 60) return { ...chosen, show: 'away' };
  return chosen;
}

export function presenceStanza(p: Shown, to?: string): Element {
  if (p.show === 'invisible') return new Element('presence', { type: 'unavailable', ...(to ? { to } : {}) });
  const el = new Element('presence', to ? { to } : {});
  if (p.show !== 'online') el.c('show').t(p.show);
  if (p.status) el.c('status').t(p.status);
  return el;
}

export function createOwnPresence(d: {
  conn: XmppConnection;
  clock: Clock;
  idle?: IdleSource;
  prefs: () => ChatPreferences;
  /** Occupant addresses (room/nick) to tell as well. */
  rooms: () => string[];
  /** The chosen or the shown presence changed (not called when nothing did). */
  onChange?: (s: OwnPresenceState) => void;
  checkMs?: number;
}) {
  /** What the user chose; `offline` is kept here too (xmpp-chat.ts disconnects for it). */
  let chosen: OwnPresence = { show: 'online' };
  let shown: OwnPresenceState['shown'] = 'online';
  let told = JSON.stringify({ chosen, shown });
  let sent: string | undefined;
  let timer: TimerHandle | undefined;
  const checkMs = d.checkMs ?? 15_000;

  const state = (): OwnPresenceState => ({ chosen: { ...chosen }, shown });
  function tell(): void {
    const s = state();
    const key = JSON.stringify(s);
    if (key === told) return;
    told = key;
    d.onChange?.(s);
  }

  const current = (): Shown => {
    const c: Shown = { show: chosen.show === 'offline' ? 'online' : chosen.show, ...(chosen.status ? { status: chosen.status } : {}) };
    return autoAway(c, d.idle ? Math.max(0, d.idle.idleSeconds()) : 0, d.prefs().autoAway);
  };

  async function push(force: boolean): Promise<void> {
    if (chosen.show === 'offline') return;
    const p = current();
    shown = p.show;
    tell();
    const key = JSON.stringify(p);
    if (!force && key === sent) return;
    if (!(await d.conn.send(presenceStanza(p)))) return;
    sent = key;
    if (p.show !== 'invisible') for (const occupant of d.rooms()) await d.conn.send(presenceStanza(p, occupant));
  }

  function arm(): void {
    d.clock.clearTimeout(timer);
    timer = undefined;
    if (!d.idle || d.conn.state.state !== 'online' || chosen.show === 'offline') return;
    timer = d.clock.setTimeout(() => {
      timer = undefined;
      void push(false).finally(arm);
    }, checkMs);
  }

  /** No session: nobody sees auto-away, so what is shown is the choice again. */
  function stop(): void {
    d.clock.clearTimeout(timer);
    timer = undefined;
    sent = undefined;
    shown = chosen.show;
    tell();
  }

  return {
    /** What the user chose, and what is in effect now. */
    state,
    current,
    /** Records the user's choice and sends it; `offline` only records it and stops the idle watch. */
    async set(p: OwnPresence): Promise<void> {
      chosen = { show: p.show, ...(p.status ? { status: p.status } : {}) };
      if (p.show === 'offline') return stop();
      await push(false);
    },
    /** The initial presence of a new session (RFC 6121 §4.2), then the idle watch. */
    async announce(): Promise<void> {
      sent = undefined;
      await push(true);
      arm();
    },
    /** After a resumed session: the server still has our presence; only the watch restarts. */
    resume(): void {
      arm();
    },
    stop,
  };
}
export type OwnPresenceControl = ReturnType<typeof createOwnPresence>;
