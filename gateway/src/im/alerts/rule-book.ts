// Which mail-to-IM rules apply to whom: the admin's (each for some domains and/or users: the config
// file's `im.alerts.rules`, or — once saved from the admin console — the stored list, which then
// overrides the file's; read at each use, so a console edit applies to the next mail) and each
// user's own (stored, edited over PUT /api/v1/alert-rules).
// Admin rules come first, in config order, then the user's. Only enabled rules count — for
// matching and for deciding whose mailbox must be watched all the time.
import type { Logger } from '../../config/logger.ts';
import { ALERT_MACROS, AlertRuleSchema, type AlertPreviewRequest, type AlertPreviewResponse, type AlertRule, type AlertRulesResponse } from '../../protocol/api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { AccountRow, Store } from '../../store/index.ts';
import { previewRule } from './preview.ts';
import type { DateStyle } from './template.ts';
import type { AlertOwner } from './types.ts';

import { AdminAlertRuleSchema, type AdminAlertRule, type AdminAlertSource } from '../../protocol/admin-alerts.ts';

export type { AdminAlertRule };

export interface RuleRef {
  /** Stable identity for the rate limit: `admin:<name>` or `user:<account id>:<name>`. */
  key: string;
  /** How summaries name it. */
  label: string;
  admin: boolean;
  rule: AlertRule;
}

const appliesTo = (r: AdminAlertRule, owner: AlertOwner) => r.users.includes(owner.address) || r.domains.includes(owner.domain);
const asRule = ({ domains: _d, users: _u, ...rule }: AdminAlertRule): AlertRule => rule;
const bad = (field: string, message: string) => new HeraldError('bad_request', `field "${field}": ${message}`);

export function createAlertRuleBook(deps: { store: Store; fileRules: readonly AdminAlertRule[]; maxRules: number; log: Logger; onChange?: () => void; dates?: DateStyle }) {
  const { store, fileRules, maxRules, log } = deps;

  const warnTo = (rules: readonly AdminAlertRule[]) => {
    for (const r of rules) {
      if (r.action.to && !store.accounts.byAddress(r.action.to)) log.warn({ rule: r.name, to: r.action.to }, 'admin alert rule sends to an address that is no user here (yet)');
    }
  };
  warnTo(fileRules);

  // The console's stored list, parsed again only when its text changed (one row read per use).
  let cached: { json: string; rules: AdminAlertRule[] } | undefined;
  const stored = (json: string): AdminAlertRule[] => {
    if (cached?.json === json) return cached.rules;
    const rules: AdminAlertRule[] = [];
    const raw: unknown = JSON.parse(json);
    (Array.isArray(raw) ? raw : []).forEach((v, i) => {
      const r = AdminAlertRuleSchema.safeParse(v);
      if (r.success) rules.push(r.data);
      else log.warn({ index: i, err: r.error.issues[0]?.message }, 'stored admin alert rule is not valid; ignored');
    });
    cached = { json, rules };
    warnTo(rules);
    return rules;
  };
  if (store.adminAlertRules.get() && fileRules.length) {
    log.info({ fileRules: fileRules.length }, 'admin alert rules: the list saved in the admin console is in effect; im.alerts.rules of the configuration file is not used (the console goes back to it)');
  }

  /** The admin rules in effect and where they come from. */
  const adminSet = (): { source: AdminAlertSource; rules: readonly AdminAlertRule[]; updatedAt: number | null } => {
    const s = store.adminAlertRules.get();
    return s ? { source: 'console', rules: stored(s.json), updatedAt: s.updatedAt } : { source: 'file', rules: fileRules, updatedAt: null };
  };

  /** The user's stored rules that are valid now (a stored one that no longer is, is logged and left out). */
  const personal = (owner: AlertOwner): AlertRule[] => {
    const out: AlertRule[] = [];
    store.alertRules.get(owner.id).forEach((raw, i) => {
      const r = AlertRuleSchema.safeParse(raw);
      if (r.success) out.push(r.data);
      else log.warn({ user: owner.address, index: i, err: r.error.issues[0]?.message }, 'stored alert rule is not valid; ignored');
    });
    return out;
  };

  /** Whom a user's rule may send to: a user of the owner's domain or of a domain linked to it (their contacts). */
  const reachable = (owner: AlertOwner, to: string): string | undefined => {
    const target = store.accounts.byAddress(to);
    if (!target) return `${to} is not a user here`;
    if (target.domain !== owner.domain && !store.domainLinks.linkedTo(owner.domain).includes(target.domain)) {
      return `${to} is not one of your contacts (only users of ${owner.domain} and its linked domains)`;
    }
    return undefined;
  };

  const view = (owner: AlertOwner): AlertRulesResponse => ({
    rules: personal(owner),
    adminRules: adminSet().rules.filter((r) => appliesTo(r, owner)).map((r) => ({ ...asRule(r), readOnly: true as const })),
    maxRules,
    macros: [...ALERT_MACROS],
  });

  return {
    /** The enabled rules for new mail in `owner`'s mailbox, admin rules first. */
    rulesFor(owner: AlertOwner): RuleRef[] {
      const out: RuleRef[] = [];
      for (const r of adminSet().rules) {
        if (r.enabled && appliesTo(r, owner)) out.push({ key: `admin:${r.name}`, label: r.name, admin: true, rule: asRule(r) });
      }
      for (const r of personal(owner)) {
        if (r.enabled) out.push({ key: `user:${owner.id}:${r.name}`, label: r.name, admin: false, rule: r });
      }
      return out;
    },

    /** Every user with at least one enabled rule (their mail is watched all the time). */
    ruledAccounts(): AccountRow[] {
      const byId = new Map<number, AccountRow>();
      for (const r of adminSet().rules) {
        if (!r.enabled) continue;
        for (const d of r.domains) for (const a of store.accounts.list(d)) byId.set(a.id, a);
        for (const u of r.users) {
          const a = store.accounts.byAddress(u);
          if (a) byId.set(a.id, a);
        }
      }
      for (const id of store.alertRules.owners()) {
        if (byId.has(id)) continue;
        const a = store.accounts.byId(id);
        if (a && personal(a).some((r) => r.enabled)) byId.set(id, a);
      }
      return [...byId.values()];
    },

    /** GET /api/v1/alert-rules. */
    view,

    /** The admin rules in effect: the console's (stored) or the config file's. */
    adminRules: adminSet,
    fileRules,

    /** After the admin rules changed (admin/alert-rules-admin.ts): whose mail is watched follows. */
    adminRulesChanged(): void {
      deps.onChange?.();
    },

    /** POST /api/v1/alert-rules/preview: the IM `rule` would send for a sample mail (nothing stored). */
    preview(owner: AlertOwner, rule: AlertRule, mail: AlertPreviewRequest['mail'] = {}): AlertPreviewResponse {
      return previewRule(rule, mail, owner, deps.dates ?? { timeZone: 'UTC', locale: 'en-GB' });
    },

    /**
     * PUT /api/v1/alert-rules: replaces the user's rules after checking what the schema cannot —
     * how many, unique names, reachable recipients. Errors name the field (`rules.2.action.to`).
     */
    replace(owner: AlertOwner, rules: AlertRule[]): AlertRulesResponse {
      if (rules.length > maxRules) throw bad('rules', maxRules === 0 ? 'personal alert rules are switched off here' : `at most ${maxRules} rules per user (got ${rules.length})`);
      const names = new Set<string>();
      rules.forEach((r, i) => {
        const name = r.name.toLowerCase();
        if (names.has(name)) throw bad(`rules.${i}.name`, `another rule is named "${r.name}"`);
        names.add(name);
        if (r.action.to) {
          const why = reachable(owner, r.action.to);
          if (why) throw bad(`rules.${i}.action.to`, why);
        }
      });
      store.alertRules.put(owner.id, rules);
      log.info({ user: owner.address, rules: rules.length }, 'alert rules replaced');
      deps.onChange?.();
      return view(owner);
    },
  };
}
export type AlertRuleBook = ReturnType<typeof createAlertRuleBook>;
