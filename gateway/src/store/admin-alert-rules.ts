// The admin's alert rules as edited in the console (admin/alert-rules-admin.ts): one row holding the
// whole list as JSON (validated again when read, like the users' own rules). While the row exists
// it is what the alert engine uses instead of the config file's im.alerts.rules; removing it goes
// back to the file.
import type { Db } from './db.ts';

export interface StoredAdminRules {
  /** The JSON text as stored (the rule book re-parses only when it changed). */
  json: string;
  updatedAt: number;
}

export function createAdminAlertRuleStore(db: Db) {
  const get = db.prepare('SELECT rules, updated_at FROM admin_alert_rules WHERE id = 1');
  const put = db.prepare(
    `INSERT INTO admin_alert_rules (id, rules, updated_at) VALUES (1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`,
  );
  const del = db.prepare('DELETE FROM admin_alert_rules WHERE id = 1');
  return {
    /** The console's list, or undefined when the config file's rules are in effect. */
    get(): StoredAdminRules | undefined {
      const r = get.get() as { rules: string; updated_at: number } | undefined;
      return r && { json: r.rules, updatedAt: r.updated_at };
    },
    /** Stores the list (an empty list too: it means "no admin rules", not "the file's"). */
    put(rules: readonly unknown[]): void {
      put.run(JSON.stringify(rules), Date.now());
    },
    /** Back to the config file's rules. */
    clear(): boolean {
      return del.run().changes === 1;
    },
  };
}
export type AdminAlertRuleStore = ReturnType<typeof createAdminAlertRuleStore>;
