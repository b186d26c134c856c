// Each admin's TOTP secret (RFC 6238), apart from the account row (db.ts): nothing that reads
// accounts — and so no log line or API answer built from one — can carry it. The secret is read
// only to check a code (admin/totp.ts), and never shown again after enrollment.
import type { Db } from './db.ts';

export function createAdminTotpStore(db: Db) {
  const get = db.prepare('SELECT secret, last_step AS lastStep FROM admin_totp WHERE account_id = ?');
  const put = db.prepare('INSERT INTO admin_totp (account_id, secret, last_step, enrolled_at) VALUES (?, ?, ?, ?) ON CONFLICT(account_id) DO UPDATE SET secret = excluded.secret, last_step = excluded.last_step, enrolled_at = excluded.enrolled_at');
  const step = db.prepare('UPDATE admin_totp SET last_step = ? WHERE account_id = ? AND last_step < ?');
  const del = db.prepare('DELETE FROM admin_totp WHERE account_id = ?');
  return {
    get(accountId: number): { secret: string; lastStep: number } | undefined {
      return get.get(accountId) as { secret: string; lastStep: number } | undefined;
    },
    enrolled(accountId: number): boolean {
      return get.get(accountId) !== undefined;
    },
    set(accountId: number, secret: string, usedStep: number): void {
      put.run(accountId, secret, usedStep, Date.now());
    },
    /** Records the time step a code was accepted for; false when it (or a later one) was used already (replay). */
    use(accountId: number, usedStep: number): boolean {
      return step.run(usedStep, accountId, usedStep).changes === 1;
    },
    remove(accountId: number): boolean {
      return del.run(accountId).changes === 1;
    },
  };
}
export type AdminTotpStore = ReturnType<typeof createAdminTotpStore>;
