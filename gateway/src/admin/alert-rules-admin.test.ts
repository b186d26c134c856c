import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { silentLogger } from '../config/logger.ts';
import { SettingsSchema } from '../config/schema.ts';
import { createAlertRuleBook } from '../im/alerts/rule-book.ts';
import { HeraldError } from '../protocol/errors.ts';
import { createStore, type Store } from '../store/index.ts';
import { createAdminAlertRules } from './alert-rules-admin.ts';
import { createAuditLog } from './audit.ts';

const actor = { who: 'ann@example.com', from: '127.0.0.1' };
const FILE_RULES = SettingsSchema.parse({ im: { alerts: { rules: [{ name: 'From file', domains: ['example.com'], conditions: { subject: { match: 'contains', value: 'file' } } }] } } }).im.alerts.rules;
const rule = (name: string, o: Record<string, unknown> = {}) => ({ name, enabled: true, conditions: {}, action: { template: `${name}: $SUBJECT$` }, domains: ['example.com'], users: [], ...o });
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function open(dir: string) {
  const store = createStore(dir);
  let changes = 0;
  const book = createAlertRuleBook({ store, fileRules: FILE_RULES, maxRules: 5, log: silentLogger, onChange: () => changes++ });
  const audit = createAuditLog({ dir: path.join(dir, 'logs') });
  const admin = createAdminAlertRules({ book, store, audit, dates: { timeZone: 'UTC', locale: 'en-GB' } });
  return { store, book, admin, audit, changes: () => changes };
}

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-admin-rules-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const first = open(dir);
  first.store.domains.add('example.com');
  const alice = first.store.accounts.add({ address: 'alice@example.com', local: 'alice', domain: 'example.com', displayName: 'Alice', passwordHash: null });
  let current: ReturnType<typeof open> & { store: Store } = first;
  cleanups.push(() => current.store.close());
  return {
    dir,
    alice,
    get s() {
      return current;
    },
    /** The gateway restarted: a new store connection and rule book over the same data folder. */
    restart() {
      current.store.close();
      current = open(dir);
    },
  };
}

const names = (refs: { label: string }[]) => refs.map((r) => r.label);

test('the file’s rules apply until the console saves; then the saved list applies at once and after a restart', () => {
  const t = setup();
  assert.equal(t.s.admin.view().source, 'file');
  assert.deepEqual(names(t.s.book.rulesFor(t.alice)), ['From file']);
  t.s.admin.add(actor, rule('Invoices', { conditions: { subject: { match: 'contains', value: 'invoice' } } }));
  assert.equal(t.s.changes(), 1, 'whose mail is watched is recomputed');
  assert.equal(t.s.admin.view().source, 'console');
  // The file's rules were copied in first: nothing the admin saw disappears on the first save.
  assert.deepEqual(names(t.s.book.rulesFor(t.alice)), ['From file', 'Invoices']);
  t.s.admin.replace(actor, 'invoices', rule('Invoices', { action: { template: 'Edited: $SUBJECT$' } }));
  assert.equal(t.s.book.rulesFor(t.alice)[1]!.rule.action.template, 'Edited: $SUBJECT$');
  t.restart();
  assert.equal(t.s.admin.view().source, 'console');
  assert.equal(t.s.book.rulesFor(t.alice)[1]!.rule.action.template, 'Edited: $SUBJECT$');
  const actions = t.s.audit.search({}).map((e) => `${e.action} ${e.target}`);
  assert.deepEqual(actions.sort(), ['alert.rule.add Invoices', 'alert.rule.edit Invoices']);
});

test('switching off, deleting and going back to the file', () => {
  const t = setup();
  t.s.admin.add(actor, rule('Second'));
  assert.equal(t.s.admin.setEnabled(actor, 'From file', false), true);
  assert.deepEqual(names(t.s.book.rulesFor(t.alice)), ['Second']);
  assert.equal(t.s.admin.setEnabled(actor, 'From file', false), false, 'already off: no change, no audit line');
  t.s.admin.remove(actor, 'Second');
  assert.deepEqual(names(t.s.book.rulesFor(t.alice)), []);
  assert.deepEqual(t.s.book.ruledAccounts(), [], 'no enabled admin rule: nobody watched for it');
  assert.equal(t.s.admin.reset(actor), true);
  assert.equal(t.s.admin.view().source, 'file');
  assert.deepEqual(names(t.s.book.rulesFor(t.alice)), ['From file']);
  assert.equal(t.s.admin.reset(actor), false);
  assert.deepEqual(t.s.audit.search({}).map((e) => e.action).sort(), ['alert.rule.add', 'alert.rule.delete', 'alert.rule.enable', 'alert.rules.reset']);
});

test('bad input is refused naming the field, and nothing is saved', () => {
  const t = setup();
  const refused = (fn: () => unknown, code: string, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof HeraldError && e.code === code && re.test(e.message));
  refused(() => t.s.admin.add(actor, rule('from FILE')), 'bad_request', /field "rule\.name": another admin rule is named/);
  refused(() => t.s.admin.add(actor, rule('Elsewhere', { domains: ['example.com', 'nowhere.example'] })), 'bad_request', /field "rule\.domains\.1": nowhere\.example is not a domain/);
  refused(() => t.s.admin.replace(actor, 'No such rule', rule('X')), 'not_found', /no admin alert rule named "No such rule"/);
  refused(() => t.s.admin.remove(actor, 'No such rule'), 'not_found', /No such rule/);
  refused(() => t.s.admin.setEnabled(actor, 'No such rule', true), 'not_found', /No such rule/);
  assert.equal(t.s.store.adminAlertRules.get(), undefined);
  assert.equal(t.s.changes(), 0);
  assert.deepEqual(t.s.audit.search({}), []);
  // Renaming onto another rule's name is refused too.
  t.s.admin.add(actor, rule('Second'));
  refused(() => t.s.admin.replace(actor, 'Second', rule('From File')), 'bad_request', /rule\.name/);
});

test('the preview uses the engine’s matching and expansion for the rule’s first user', () => {
  const t = setup();
  const p = t.s.admin.preview({
    rule: { conditions: { subject: { match: 'contains', value: 'invoice' } }, action: { template: '$RECIPIENT$: $SUBJECT$ from $SENDER$' }, domains: [], users: ['bob@example.com'] },
    mail: { subject: 'Invoice 7', fromName: 'Max', fromAddress: 'max@example.net' },
  });
  assert.deepEqual({ matches: p.matches, to: p.to, body: p.body }, { matches: true, to: 'bob@example.com', body: 'bob@example.com: Invoice 7 from Max <max@example.net>' });
  assert.equal(t.s.admin.preview({ rule: { conditions: { subject: { match: 'equals', value: 'x' } }, action: {}, domains: ['example.com'], users: [] }, mail: {} }).matches, false);
});
