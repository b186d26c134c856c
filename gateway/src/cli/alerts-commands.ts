// `herald-gateway alerts list|show|enable|disable|delete|reset`: the admin's mail-to-IM alert rules
// from the command line, through the console's own code (admin/alert-rules-admin.ts) — the same
// checks, the same stored list overriding im.alerts.rules, audited as cli@<host>. Works on the data
// folder while `serve` runs: the running gateway reads the stored list at each mail
// (im/alerts/rule-book.ts) and re-syncs whose mail is watched when it sees another process commit
// (main.ts, PRAGMA data_version).
import { createAdminAlertRules } from '../admin/alert-rules-admin.ts';
import { cliActor } from '../admin/audit.ts';
import type { Settings } from '../config/schema.ts';
import type { Logger } from '../config/logger.ts';
import { createAlertRuleBook } from '../im/alerts/rule-book.ts';
import type { AdminAlertRule } from '../protocol/admin-alerts.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { createServices } from '../main.ts';
import { UsageError, type Flags } from './admin-commands.ts';

type Services = ReturnType<typeof createServices>;

const whom = (r: AdminAlertRule) => [...r.domains.map((d) => `@${d}`), ...r.users].join(', ');

export function runAlertsCommand(settings: Settings, s: Services, log: Logger, args: string[], flags: Flags, out: (line: string) => void): void {
  const dates = { timeZone: settings.im.timeZone, locale: settings.im.locale };
  const book = createAlertRuleBook({ store: s.store, fileRules: settings.im.alerts.rules, maxRules: settings.im.alerts.maxRulesPerUser, dates, log });
  const rules = createAdminAlertRules({ book, store: s.store, audit: s.admin.audit, dates });
  const actor = cliActor();
  const [action, name, ...extra] = args;
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}" (a rule name with spaces goes in quotes)`);
  /** The rule named so (any case), as the list spells it. */
  const ruleOf = (): AdminAlertRule => {
    if (!name) throw new UsageError(`missing rule name (alerts ${action} <name>)`);
    const r = rules.view().rules.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!r) throw new HeraldError('not_found', `there is no admin alert rule named "${name}"`);
    return r;
  };
  const source = () => {
    const v = rules.view();
    return v.source === 'console' ? `the admin console's list (saved ${v.updatedAt}; the file's ${v.fileRules} rule(s) are not used: alerts reset goes back to them)` : 'the configuration file (im.alerts.rules)';
  };
  switch (action) {
    case 'list': {
      const v = rules.view();
      if (flags.json) return out(JSON.stringify(v, null, 2));
      out(`admin alert rules from ${source()}:`);
      if (!v.rules.length) return out('  (none)');
      for (const r of v.rules) out(`  ${r.enabled ? 'on ' : 'off'}  ${r.name}  — ${whom(r)}`);
      return;
    }
    case 'show': {
      return out(JSON.stringify(ruleOf(), null, 2));
    }
    case 'enable':
    case 'disable': {
      const n = ruleOf().name;
      const from = rules.view().source;
      const changed = rules.setEnabled(actor, n, action === 'enable');
      const state = action === 'enable' ? 'on' : 'off';
      if (!changed) return out(`${n} is ${state} already`);
      return out(`${n} is ${state}${from === 'file' ? "; the console's list now holds the file's rules (alerts reset goes back to the file)" : ''}`);
    }
    case 'delete': {
      const n = ruleOf().name;
      rules.remove(actor, n);
      return out(`deleted ${n}`);
    }
    case 'reset': {
      if (name) throw new UsageError(`alerts reset takes no rule name (got "${name}")`);
      return out(rules.reset(actor) ? `back to the configuration file's rules (${book.fileRules.length})` : 'the configuration file\'s rules are in effect already');
    }
    default:
      throw new UsageError(action ? `unknown alerts command "${action}"` : 'missing alerts command (list, show, enable, disable, delete, reset)');
  }
}
