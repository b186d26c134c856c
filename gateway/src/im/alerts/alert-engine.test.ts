// The rules engine with a real store (SQLite in a temp folder) and the real rule book; `send`
// records what the XMPP server would be handed (the end-to-end path is in
// test/integration/alert-rules.test.ts).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../config/logger.ts';
import { SettingsSchema } from '../../config/schema.ts';
import { AlertRuleSchema, type AlertRule } from '../../protocol/api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import { createStore, type AccountRow } from '../../store/index.ts';
import { createAlertEngine, SINCE_GRACE_MS, summaryText } from './alert-engine.ts';
import { createAlertRuleBook, type AdminAlertRule } from './rule-book.ts';
import type { IncomingMail, OutgoingAlert } from './types.ts';

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(adminRules: unknown[] = [], o: { maxRules?: number; now?: () => number; send?: (m: OutgoingAlert) => void } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-alerts-'));
  const store = createStore(dir);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  for (const d of ['example.com', 'example.org', 'elsewhere.example']) store.domains.add(d);
  const add = (address: string) => {
    const [local, domain] = address.split('@') as [string, string];
    return store.accounts.add({ address, local, domain, displayName: local, passwordHash: null });
  };
  const users = { alice: add('alice@example.com'), bob: add('bob@example.com'), olga: add('olga@example.org'), eve: add('eve@elsewhere.example') };
  const admin = SettingsSchema.parse({ im: { alerts: { rules: adminRules } } }).im.alerts.rules;
  const sent: OutgoingAlert[] = [];
  const book = createAlertRuleBook({ store, fileRules: admin, maxRules: o.maxRules ?? 5, log: silentLogger });
  const engine = createAlertEngine({
    book,
    watch: store.alertRules,
    send: o.send ?? ((m) => void sent.push(m)),
    serviceAddress: 'herald@%d',
    dates: { timeZone: 'UTC', locale: 'en-GB' },
    limits: { windowMs: 60_000, perRule: 2, perRecipient: 10 },
    log: silentLogger,
    now: o.now,
  });
  cleanups.push(() => engine.close());
  return { store, users, book, engine, sent };
}

const rule = (r: unknown): AlertRule => AlertRuleSchema.parse(r);
let uid = 0;
const mail = (over: Partial<IncomingMail> = {}): IncomingMail => ({
  folder: 'INBOX',
  from: 'Billing <billing@bigcustomer.example>',
  subject: 'Invoice 42',
  date: '2026-11-27T09:00:00.000Z',
  uid: ++uid,
  sender: { name: 'Billing', address: 'billing@bigcustomer.example' },
  to: [{ name: 'Alice', address: 'alice@example.com' }],
  cc: [],
  priority: 'normal',
  received: new Date().toISOString(),
  ...over,
});
const owner = (a: AccountRow) => a;

test('personal rule: matching mail → one IM from herald@<domain> with the template; others nothing', () => {
  const { users, book, engine, sent } = setup();
  book.replace(users.alice, [rule({ name: 'Invoices', conditions: { subject: { match: 'contains', value: 'invoice' } }, action: { template: '$SENDER$: $SUBJECT$ [$PRIORITY$]' } })]);
  engine.setWatched([users.alice]);
  engine.onNewMail(owner(users.alice), mail());
  engine.onNewMail(owner(users.alice), mail({ subject: 'Lunch?' }));
  engine.onNewMail(owner(users.bob), mail());
  assert.deepEqual(sent, [{ from: 'herald@example.com', to: 'alice@example.com', body: 'Billing <billing@bigcustomer.example>: Invoice 42 [normal]' }]);
});

test('admin rules apply to their domains/users, come first, and a recipient gets one IM per message', () => {
  const { users, book, engine, sent } = setup([
    { name: 'Urgent', domains: ['example.com'], conditions: { priority: 'high' }, action: { template: 'URGENT $SUBJECT$' } },
    { name: 'Watch Olga', users: ['olga@example.org'], action: { to: 'bob@example.com' } },
  ]);
  book.replace(users.alice, [rule({ name: 'Everything' })]);
  engine.onNewMail(owner(users.alice), mail({ priority: 'high' }));
  engine.onNewMail(owner(users.alice), mail({ subject: 'plain' }));
  engine.onNewMail(owner(users.olga), mail({ subject: 'for olga', date: '2026-11-27T09:30:00.000Z' }));
  engine.onNewMail(owner(users.eve), mail({ priority: 'high' }));
  assert.deepEqual(
    sent.map((m) => [m.to, m.from, m.body]),
    [
      ['alice@example.com', 'herald@example.com', 'URGENT Invoice 42'],
      ['alice@example.com', 'herald@example.com', 'New mail from Billing <billing@bigcustomer.example>: plain (in INBOX, Fri, 27 Nov 2026, 09:00 UTC)'],
      ['bob@example.com', 'herald@example.com', 'New mail for olga@example.org from Billing <billing@bigcustomer.example>: for olga (in INBOX, Fri, 27 Nov 2026, 09:30 UTC)'],
    ],
  );
  assert.deepEqual(
    book.ruledAccounts().map((a) => a.address).sort(),
    ['alice@example.com', 'bob@example.com', 'olga@example.org'],
    'whole domain example.com, plus olga; not eve',
  );
  const view = book.view(users.bob);
  assert.deepEqual(
    view.adminRules.map((r) => [r.name, r.readOnly]),
    [['Urgent', true]],
    "bob sees the admin rule that applies to him, read-only, not the one about olga",
  );
  assert.ok(!('domains' in view.adminRules[0]!), 'whom an admin rule covers is not shown');
});

test('disabled rules do nothing and do not keep a mailbox watched', () => {
  const { users, book, engine, sent } = setup([{ name: 'Off', enabled: false, domains: ['example.com'] }]);
  book.replace(users.alice, [rule({ name: 'Mine', enabled: false })]);
  engine.onNewMail(owner(users.alice), mail());
  assert.equal(sent.length, 0);
  assert.deepEqual(book.ruledAccounts(), []);
  assert.equal(book.view(users.alice).rules[0]!.enabled, false, 'kept, shown as off');
});

test('the rules watch: mail that arrived before it is old mail (no alert); the mark survives a restart', () => {
  let clock = Date.parse('2026-11-27T12:00:00Z');
  const { store, users, book, engine, sent } = setup([], { now: () => clock });
  book.replace(users.alice, [rule({ name: 'All' })]);
  engine.setWatched([users.alice]);
  const since = store.alertRules.watchedSince(users.alice.id);
  assert.equal(since, clock);
  const at = (ms: number) => new Date(since! + ms).toISOString();
  engine.onNewMail(owner(users.alice), mail({ subject: 'last week', received: at(-7 * 86_400_000) }));
  engine.onNewMail(owner(users.alice), mail({ subject: 'just before (clock skew)', received: at(-SINCE_GRACE_MS + 1000) }));
  engine.onNewMail(owner(users.alice), mail({ subject: 'after', received: at(5000) }));
  assert.deepEqual(
    sent.map((m) => m.body.split(': ')[1]!.split(' (')[0]),
    ['just before', 'after'],
  );
  assert.equal(engine.stats().skippedOld, 1);

  // Later (a restart: the same call with the same users) keeps the mark; new users get "now".
  clock += 3_600_000;
  engine.setWatched([users.alice, users.bob]);
  assert.equal(store.alertRules.watchedSince(users.alice.id), since);
  assert.equal(store.alertRules.watchedSince(users.bob.id), clock);
  // Without rules the mark goes, and comes back fresh.
  engine.setWatched([users.bob]);
  assert.equal(store.alertRules.watchedSince(users.alice.id), undefined);
});

test('rate limit: two per rule, the rest in one summary — also when the gateway stops (close)', () => {
  const { users, book, engine, sent } = setup();
  book.replace(users.alice, [rule({ name: 'Storm', action: { template: '$SUBJECT$' } })]);
  for (let i = 0; i < 25; i++) engine.onNewMail(owner(users.alice), mail({ subject: `m${i}` }));
  assert.deepEqual(
    sent.map((m) => m.body),
    ['m0', 'm1'],
  );
  engine.close();
  assert.equal(sent.length, 3);
  assert.match(sent[2]!.body, /^…and 23 more matching messages in the last 1 second \(rule "Storm"; held back by the alert rate limit\)$/);
  assert.equal(sent[2]!.from, 'herald@example.com');
  engine.onNewMail(owner(users.alice), mail());
  assert.equal(sent.length, 3, 'nothing after close');
  assert.equal(summaryText({ dropped: 1, byRule: [{ label: 'A', dropped: 1 }, { label: 'B', dropped: 0 }], windowMs: 600_000 }), '…and 1 more matching message in the last 10 minutes (rules "A" 1, "B" 0; held back by the alert rate limit)');
});

test('a refused IM is logged and does not stop the other recipients', () => {
  const sent: OutgoingAlert[] = [];
  const { users, book, engine } = setup([{ name: 'Copy to bob', domains: ['example.com'], action: { to: 'bob@example.com' } }], {
    send: (m) => {
      if (m.to === 'bob@example.com') throw new Error('instant messaging is switched off for example.com');
      sent.push(m);
    },
  });
  book.replace(users.alice, [rule({ name: 'Mine' })]);
  engine.onNewMail(owner(users.alice), mail());
  assert.deepEqual(
    sent.map((m) => m.to),
    ['alice@example.com'],
  );
  assert.equal(engine.stats().failed, 1);
});

test('replace: rules per user limited, names unique, recipients must be contacts — each error names the field', () => {
  const { store, users, book } = setup([], { maxRules: 2 });
  const err = (fn: () => unknown, field: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof HeraldError && e.code === 'bad_request' && field.test(e.message));
  err(() => book.replace(users.alice, [rule({ name: 'a' }), rule({ name: 'b' }), rule({ name: 'c' })]), /^field "rules": at most 2 rules per user \(got 3\)$/);
  err(() => book.replace(users.alice, [rule({ name: 'Same' }), rule({ name: 'same' })]), /^field "rules\.1\.name": another rule is named "same"$/);
  err(() => book.replace(users.alice, [rule({ name: 'x', action: { to: 'nobody@example.com' } })]), /^field "rules\.0\.action\.to": nobody@example\.com is not a user here$/);
  err(() => book.replace(users.alice, [rule({ name: 'x', action: { to: 'eve@elsewhere.example' } })]), /^field "rules\.0\.action\.to": eve@elsewhere\.example is not one of your contacts/);
  assert.deepEqual(book.view(users.alice).rules, [], 'a refused list changes nothing');
  store.domainLinks.link('example.com', 'elsewhere.example');
  assert.equal(book.replace(users.alice, [rule({ name: 'x', action: { to: 'eve@elsewhere.example' } })]).rules.length, 1, 'a linked domain is fine');
  assert.deepEqual(book.replace(users.alice, []).rules, [], 'an empty list removes them');
  assert.deepEqual(store.alertRules.owners(), []);
});

test('a stored rule that is no longer valid is ignored, the valid ones still work', () => {
  const { store, users, book, engine, sent } = setup();
  store.alertRules.put(users.alice.id, [{ name: 'broken', conditions: { subject: { match: 'regex', value: '(a+)+$' } } }, { name: 'ok', action: { template: 'ok $SUBJECT$' } }]);
  assert.deepEqual(
    book.view(users.alice).rules.map((r) => r.name),
    ['ok'],
  );
  engine.onNewMail(owner(users.alice), mail());
  assert.deepEqual(
    sent.map((m) => m.body),
    ['ok Invoice 42'],
  );
});

test('admin rules in the config are checked at start: scope required, names unique', () => {
  const bad = (rules: unknown[]) => SettingsSchema.safeParse({ im: { alerts: { rules } } });
  const r1 = bad([{ name: 'x' }]);
  assert.ok(!r1.success && r1.error.issues.some((i) => i.path.join('.') === 'im.alerts.rules.0.domains' && /needs "domains" or "users"/.test(i.message)));
  const r2 = bad([{ name: 'x', domains: ['a.example'] }, { name: 'X', users: ['u@a.example'] }]);
  assert.ok(!r2.success && r2.error.issues.some((i) => i.path.join('.') === 'im.alerts.rules.1.name'));
  const r3 = bad([{ name: 'x', domains: ['a.example'], conditions: { subject: { match: 'regex', value: '.*' } } }]);
  assert.ok(!r3.success && r3.error.issues.some((i) => i.path.join('.') === 'im.alerts.rules.0.conditions.subject.match'));
  const ok = SettingsSchema.parse({ im: { alerts: { rules: [{ name: 'x', domains: ['A.Example'] }] } } }).im.alerts.rules[0] as AdminAlertRule;
  assert.deepEqual([ok.domains, ok.users, ok.enabled], [['a.example'], [], true]);
  assert.ok(!SettingsSchema.safeParse({ im: { timeZone: 'Mars/Olympus' } }).success);
});
