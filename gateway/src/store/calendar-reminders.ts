// Calendar reminders already dealt with (gateway/src/im/calendar/reminders.ts): one row per
// (account, event UID, recurrence id, trigger instant), written in the SAME transaction as the
// reminder's delivery (system-message.ts: offline row, archive row), so a restart — or a crash
// right after — never sends one twice. A moved event has other trigger instants, hence new keys:
// it reminds at its new time. Rows also record reminders decided against (their trigger passed
// while the gateway was down and the event had begun; refused by the XMPP side for good), so
// that decision is made and logged once. Old rows are purged (their triggers are long past).
import type { Db } from './db.ts';

export type ReminderOutcome =
  /** Sent at its trigger (give or take the timer). */
  | 'sent'
  /** Sent after its trigger (the gateway was down, or the event was seen late), before the event began. */
  | 'late'
  /** Not sent: the trigger passed unseen and the event had already begun. */
  | 'skipped'
  /** Not sent: the XMPP side refused it for good (unknown user, IM off, offline store full). */
  | 'failed';

export interface ReminderKey {
  accountId: number;
  uid: string;
  /** The occurrence's RECURRENCE-ID (UTC ms), 0 for a one-off event. */
  recurrenceId: number;
  /** The trigger instant (UTC ms). */
  triggerAt: number;
}

export function createCalendarReminderStore(db: Db) {
  const has = db.prepare('SELECT 1 FROM calendar_reminders WHERE account_id = ? AND uid = ? AND recurrence_id = ? AND trigger_at = ?').pluck();
  // ON CONFLICT DO NOTHING (not OR IGNORE, which would also swallow a CHECK failure).
  const insert = db.prepare('INSERT INTO calendar_reminders (account_id, uid, recurrence_id, trigger_at, outcome, done_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const purge = db.prepare('DELETE FROM calendar_reminders WHERE trigger_at < ?');
  const byAccount = db.prepare('SELECT uid, recurrence_id, trigger_at, outcome, done_at FROM calendar_reminders WHERE account_id = ? ORDER BY trigger_at');
  return {
    /** Whether this reminder was dealt with already (sent, or decided against). */
    done(k: ReminderKey): boolean {
      return has.get(k.accountId, k.uid, k.recurrenceId, k.triggerAt) !== undefined;
    },
    /** Records the outcome; false when a row was there already. Meant for the delivery's transaction. */
    record(k: ReminderKey, outcome: ReminderOutcome, now = Date.now()): boolean {
      return insert.run(k.accountId, k.uid, k.recurrenceId, k.triggerAt, outcome, now).changes > 0;
    },
    /** Forgets rows whose trigger is older than `before` (ms); returns how many. */
    purge(before: number): number {
      return purge.run(before).changes;
    },
    /** One account's rows, oldest trigger first (status and tests). */
    list(accountId: number): (Omit<ReminderKey, 'accountId'> & { outcome: ReminderOutcome; doneAt: number })[] {
      return (byAccount.all(accountId) as { uid: string; recurrence_id: number; trigger_at: number; outcome: ReminderOutcome; done_at: number }[]).map((r) => ({
        uid: r.uid,
        recurrenceId: r.recurrence_id,
        triggerAt: r.trigger_at,
        outcome: r.outcome,
        doneAt: r.done_at,
      }));
    },
  };
}
export type CalendarReminderStore = ReturnType<typeof createCalendarReminderStore>;
