// Failed-login counters (per client address, per account and client address, per account) and the
// client addresses each account signed in from: in SQLite, so a restart forgets neither and the CLI
// (`user unlock`, `user passwd`) can clear them while `serve` runs. The rules are in
// directory/login-guard.ts; this file only stores rows.
import type { Db } from './db.ts';

export interface ThrottleRow {
  failures: number;
  windowStart: number;
  /** Account rows: the earliest time an address the account does not know may try again. */
  nextAt: number;
}

export function createLoginThrottleStore(db: Db) {
  const get = db.prepare('SELECT failures, window_start AS windowStart, next_at AS nextAt FROM login_throttle WHERE key = ?');
  const put = db.prepare(
    'INSERT INTO login_throttle (key, account, failures, window_start, next_at) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, next_at = excluded.next_at',
  );
  const del = db.prepare('DELETE FROM login_throttle WHERE key = ?');
  const delAccount = db.prepare('DELETE FROM login_throttle WHERE account = ?');
  const sweep = db.prepare('DELETE FROM login_throttle WHERE window_start <= ? AND next_at <= ?');
  const familiar = db.prepare('SELECT 1 FROM login_familiar WHERE account = ? AND client = ? AND last_ok > ?');
  const remember = db.prepare('INSERT INTO login_familiar (account, client, last_ok) VALUES (?, ?, ?) ON CONFLICT (account, client) DO UPDATE SET last_ok = excluded.last_ok');
  const forgetOld = db.prepare('DELETE FROM login_familiar WHERE last_ok <= ?');
  const forgetAccount = db.prepare('DELETE FROM login_familiar WHERE account = ?');
  return {
    get(key: string): ThrottleRow | undefined {
      return get.get(key) as ThrottleRow | undefined;
    },
    /** `account`: the account the row belongs to (null for a client-address row), for clearAccount. */
    put(key: string, account: string | null, row: ThrottleRow): void {
      put.run(key, account, row.failures, row.windowStart, row.nextAt);
    },
    delete(key: string): void {
      del.run(key);
    },
    /** Removes the account's own counters and those of every (account, client address) pair. */
    clearAccount(account: string): number {
      return delAccount.run(account).changes;
    },
    /** Drops rows whose window started at or before `before` and that hold no pending delay. */
    sweep(before: number, now: number): void {
      sweep.run(before, now);
    },
    isFamiliar(account: string, client: string, since: number): boolean {
      return familiar.get(account, client, since) !== undefined;
    },
    rememberFamiliar(account: string, client: string, now: number): void {
      remember.run(account, client, now);
    },
    forgetFamiliarBefore(before: number): void {
      forgetOld.run(before);
    },
    forgetAccount(account: string): void {
      forgetAccount.run(account);
      delAccount.run(account);
    },
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}
export type LoginThrottleStore = ReturnType<typeof createLoginThrottleStore>;
