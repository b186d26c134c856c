// The admin's mail-to-IM alert rules as the console edits them: list, add, replace, delete, switch
// on/off, preview on a sample mail, and go back to the config file's rules. The first save copies
// the rules in effect (the file's) into the store; from then on the stored list overrides
// im.alerts.rules (im/alerts/rule-book.ts reads it at each use, so the next mail follows the edit
// without a restart). Every change is audited with the rule before and after.
import { ALERT_MACROS } from '../protocol/api.ts';
import type { AdminAlertPreview, AdminAlertRule, AdminAlertRulesView } from '../protocol/admin-alerts.ts';
import type { AlertPreviewResponse } from '../protocol/api.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { AlertRuleBook } from '../im/alerts/rule-book.ts';
import { previewRule } from '../im/alerts/preview.ts';
import type { DateStyle } from '../im/alerts/template.ts';
import type { Store } from '../store/index.ts';
import type { Actor, AuditLog } from './audit.ts';

const bad = (field: string, message: string) => new HeraldError('bad_request', `field "${field}": ${message}`);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function createAdminAlertRules({ book, store, audit, dates }: { book: AlertRuleBook; store: Store; audit: AuditLog; dates: DateStyle }) {
  const current = () => [...book.adminRules().rules];
  const indexOf = (rules: AdminAlertRule[], name: string) => {
    const i = rules.findIndex((r) => same(r.name, name));
    if (i < 0) throw new HeraldError('not_found', `there is no admin alert rule named "${name}"`);
    return i;
  };
  /** What the schema cannot check: a unique name, domains served here. */
  const check = (rules: AdminAlertRule[], rule: AdminAlertRule, except?: number) => {
    if (rules.some((r, i) => i !== except && same(r.name, rule.name))) throw bad('rule.name', `another admin rule is named "${rule.name}"`);
    rule.domains.forEach((d, i) => {
      if (!store.domains.get(d)) throw bad(`rule.domains.${i}`, `${d} is not a domain of this gateway`);
    });
  };
  const save = (rules: AdminAlertRule[]) => {
    store.adminAlertRules.put(rules);
    book.adminRulesChanged();
  };
  const json = (r: AdminAlertRule) => JSON.stringify(r);

  return {
    view(): AdminAlertRulesView {
      const s = book.adminRules();
      return { source: s.source, rules: [...s.rules], fileRules: book.fileRules.length, macros: [...ALERT_MACROS], updatedAt: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString() };
    },
    add(actor: Actor, rule: AdminAlertRule): void {
      const rules = current();
      check(rules, rule);
      save([...rules, rule]);
      audit.record(actor, 'alert.rule.add', rule.name, { rule: json(rule) });
    },
    /** Replaces the rule named `name` (the new one may have another name). */
    replace(actor: Actor, name: string, rule: AdminAlertRule): void {
      const rules = current();
      const i = indexOf(rules, name);
      check(rules, rule, i);
      const before = rules[i]!;
      rules[i] = rule;
      save(rules);
      audit.record(actor, 'alert.rule.edit', before.name, { before: json(before), after: json(rule) });
    },
    remove(actor: Actor, name: string): void {
      const rules = current();
      const [gone] = rules.splice(indexOf(rules, name), 1);
      save(rules);
      audit.record(actor, 'alert.rule.delete', gone!.name, { rule: json(gone!) });
    },
    setEnabled(actor: Actor, name: string, enabled: boolean): boolean {
      const rules = current();
      const i = indexOf(rules, name);
      if (rules[i]!.enabled === enabled && book.adminRules().source === 'console') return false;
      rules[i] = { ...rules[i]!, enabled };
      save(rules);
      audit.record(actor, 'alert.rule.enable', rules[i]!.name, { enabled });
      return true;
    },
    /** Forgets the console's list: the config file's rules apply again. */
    reset(actor: Actor): boolean {
      const had = store.adminAlertRules.clear();
      if (!had) return false;
      book.adminRulesChanged();
      audit.record(actor, 'alert.rules.reset', 'im.alerts.rules', { fileRules: book.fileRules.length });
      return true;
    },
    /** The IM the rule would send for a sample mail, for its first user (or a user of its first domain). */
    preview(p: AdminAlertPreview): AlertPreviewResponse {
      const address = p.rule.users[0] ?? `user@${p.rule.domains[0] ?? 'example.com'}`;
      const owner = { id: 0, address, domain: address.split('@')[1]! };
      return previewRule({ name: 'preview', enabled: true, conditions: p.rule.conditions, action: p.rule.action }, p.mail, owner, dates);
    },
  };
}
export type AdminAlertRules = ReturnType<typeof createAdminAlertRules>;
