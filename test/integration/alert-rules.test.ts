// Mail-to-IM alert rules end to end (gateway/src/im/alerts/), maildir mode: mail delivered into a
// user's Maildir while no desktop client of theirs runs → the IM arrives at Debian's slixmpp with
// the template filled in, from herald@<domain>, logged centrally as `alert`; the HTTP API
// (GET/PUT, field-naming errors, limits, per-user isolation); admin rules from the config; a
// 200-message storm held by the rate limit with one summary saying how many; no second IM for the
// same mail after a restart, one for the mail that came while the gateway was down; and old mail
// a newly watched mailbox catches up on fires nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IM_LOG_FILE, imLogDir, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';
import { sleep } from '../fixtures/peer-utils.ts';

type Msg = Extract<SlixEvent, { event: 'message' }>;
const PW = 'correct horse battery';
const WINDOW_S = 4;
const PER_RULE = 5;
const CONFIG = {
  // Only rules keep mailboxes watched here (with the default `all`, calendar invitations watch every IM user's).
  'im.calendar.invitations': 'connected',
  'im.timeZone': 'Europe/Berlin',
  'im.alerts.windowSeconds': WINDOW_S,
  'im.alerts.perRule': PER_RULE,
  'im.alerts.perRecipient': 50,
  'im.alerts.maxRulesPerUser': 3,
  'im.alerts.rules': [
    {
      name: 'The boss writes',
      domains: ['example.com'],
      conditions: { sender: { match: 'equals', value: 'ceo@example.com' } },
      action: { template: 'Mail from the boss: $SUBJECT$ ($DATE$)' },
    },
    {
      name: 'Audit copy',
      users: ['carol@example.com'],
      conditions: { subject: { match: 'glob', value: 'audit *' } },
      action: { to: 'bob@example.com' },
    },
  ],
};

let dataDir: string;
let gw: TestGateway;
const clients: Slixmpp[] = [];
const tokens: Record<string, string> = {};

const domainOf = (local: string) => (local === 'dave' ? 'other.example' : 'example.com');
const maildir = (local: string) => path.join(dataDir, 'mail', domainOf(local), local);
const deliver = (local: string, m: { from?: string; subject: string; to?: string; headers?: string[]; date?: Date }) => {
  const base = composeMessage({ from: m.from ?? 'Someone <someone@example.net>', to: m.to ?? `${local}@${domainOf(local)}`, subject: m.subject, date: m.date });
  // Extra header lines go right after the first line (before the blank line ending the header).
  const text = m.headers?.length ? base.replace('\r\n', `\r\n${m.headers.join('\r\n')}\r\n`) : base;
  return deliverToMaildir(maildir(local), text);
};

/** Every `alert` line of the central IM log. */
function alertLines(): ImLogLine[] {
  const dir = imLogDir(dataDir);
  if (!existsSync(dir)) return [];
  const out: ImLogLine[] = [];
  for (const f of readdirSync(dir).filter((n) => IM_LOG_FILE.test(n)).sort()) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const l = parseImLogLine(line);
      if (l.type === 'alert') out.push(l);
    }
  }
  return out;
}

async function connect(local: string): Promise<Slixmpp> {
  const c = await startSlixmpp({ label: local });
  clients.push(c);
  await c.call('connect', { jid: `${local}@${domainOf(local)}`, password: PW, host: '127.0.0.1', port: gw.xmppPort!, starttls: true, sm: false, resource: 'slix' });
  return c;
}

/** IMs from the service address a client received so far. */
const fromHerald = (c: Slixmpp) => c.events.filter((e): e is Msg => e.event === 'message' && /^herald@/.test(e.from ?? ''));

/** Waits until the user's mailbox watch has read its folders (a rule set just now opened it). */
const watched = async (local: string) => assert.equal((await gw.api('GET', '/api/v1/folders', { token: tokens[local] })).status, 200);

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-alert-rules-'));
  // The users exist before the gateway with the admin rules starts (as they would in production).
  const first = await startTestGateway({}, { dataDir });
  for (const u of ['alice', 'bob', 'carol', 'erin']) await first.user(`${u}@example.com`, PW);
  await first.user('dave@other.example', PW);
  // dave's mailbox was watched once (he used the app), then nobody watched it for a while. (The
  // users of example.com are watched all the time: an admin rule covers their domain.)
  await deliver('dave', { subject: 'first mail' });
  await first.api('GET', '/api/v1/folders', { token: await first.user('dave@other.example') });
  await first.destroy();
  gw = await startTestGateway(CONFIG, { dataDir });
  for (const u of ['alice', 'bob', 'carol', 'erin']) tokens[u] = await gw.user(`${u}@example.com`);
  tokens.dave = await gw.user('dave@other.example');
});

after(async () => {
  for (const c of clients) await c.close();
  await gw?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('done when: a rule for invoices → mail into the Maildir → the IM at slixmpp, template filled in, logged as alert', async () => {
  const alice = await connect('alice');
  const put = await gw.api('PUT', '/api/v1/alert-rules', {
    token: tokens.alice,
    body: {
      rules: [
        {
          name: 'Big customer invoices',
          conditions: {
            sender: { match: 'glob', value: '*@bigcustomer.example' },
            subject: { match: 'contains', value: 'INVOICE' },
            recipient: { match: 'equals', value: 'accounts@example.com' },
            priority: ['high'],
          },
          action: { template: '$SENDER$ wrote "$SUBJECT$" to $TO$ ($PRIORITY$) — $FOLDER$ of $RECIPIENT$, $DATE$' },
        },
      ],
    },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.equal(put.json.rules[0].enabled, true, 'defaults filled in');
  await watched('alice');
  const date = new Date('2026-11-27T09:00:00Z');
  const to = 'Alice <alice@example.com>';
  // Near misses first: each fails one condition.
  await deliver('alice', { from: 'Billing <billing@bigcustomer.example>', to, subject: 'Invoice 1 (normal priority)', date, headers: ['Cc: accounts@example.com'] });
  await deliver('alice', { from: 'Billing <billing@smallcustomer.example>', to, subject: 'Invoice 2 (wrong sender)', date, headers: ['Cc: accounts@example.com', 'X-Priority: 1'] });
  await deliver('alice', { from: 'Billing <billing@bigcustomer.example>', to, subject: 'Invoice 3 (not to accounts)', date, headers: ['Importance: high'] });
  await deliver('alice', { from: 'Billing <billing@bigcustomer.example>', to, subject: 'Invoice 4', date, headers: ['Cc: "Accounts" <accounts@example.com>', 'X-Priority: 1 (Highest)'] });
  const m = await alice.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com', 5000);
  assert.equal(
    m.body,
    'Billing <billing@bigcustomer.example> wrote "Invoice 4" to Alice <alice@example.com>, Accounts <accounts@example.com> (high) — INBOX of alice@example.com, Fri, 27 Nov 2026, 10:00 CET',
  );
  assert.equal(m.type, 'chat');
  assert.ok(m.stanza_id, 'archived for alice like any chat message');
  await sleep(500);
  assert.equal(fromHerald(alice).length, 1, 'the three near misses sent nothing');
  const logged = alertLines().filter((l) => l.to === 'alice@example.com');
  assert.deepEqual(
    logged.map((l) => [l.from, l.body]),
    [['herald@example.com', m.body]],
    'one line in the central IM log, type alert',
  );
});

test('HTTP API: own rules, admin rules read-only, errors that name the field, the limit, other users untouched', async () => {
  const get = (u: string) => gw.api('GET', '/api/v1/alert-rules', { token: tokens[u] });
  const put = (u: string, rules: unknown) => gw.api('PUT', '/api/v1/alert-rules', { token: tokens[u], body: { rules } });
  assert.equal((await gw.api('GET', '/api/v1/alert-rules')).status, 401);
  assert.equal((await gw.api('PUT', '/api/v1/alert-rules', { body: { rules: [] } })).status, 401);
  assert.equal((await gw.api('PUT', '/api/v1/alert-rules', { token: tokens.alice, body: 'rules', headers: { 'content-type': 'text/plain' } })).status, 415);

  const mine = await get('alice');
  assert.equal(mine.status, 200);
  assert.deepEqual(
    mine.json.rules.map((r: { name: string }) => r.name),
    ['Big customer invoices'],
  );
  assert.deepEqual(
    mine.json.adminRules.map((r: { name: string; readOnly: boolean }) => [r.name, r.readOnly]),
    [['The boss writes', true]],
  );
  assert.equal(mine.json.maxRules, 3);
  assert.ok(mine.json.macros.includes('$SENDER$') && mine.json.macros.includes('$RECIPIENT$'));
  const carols = await get('carol');
  assert.deepEqual(
    carols.json.adminRules.map((r: { name: string }) => r.name),
    ['The boss writes', 'Audit copy'],
  );
  assert.deepEqual((await get('dave')).json.adminRules, [], "dave's domain is not covered");

  const refused: [unknown, RegExp][] = [
    [[{ name: 'x', conditions: { subject: { match: 'regex', value: '(a+)+$' } } }], /field "rules\.0\.conditions\.subject\.match"/],
    [[{ name: 'x', conditions: { subject: { match: 'contains', value: '' } } }], /field "rules\.0\.conditions\.subject\.value"/],
    [[{ name: 'x', conditions: { subject: { match: 'glob', value: 'x'.repeat(257) } } }], /field "rules\.0\.conditions\.subject\.value"/],
    [[{ name: 'x', conditions: { priority: 'urgent' } }], /field "rules\.0\.conditions\.priority"/],
    [[{ name: 'x', conditions: { color: 'red' } }], /unknown field\(s\) color/],
    [[{ name: 'x', action: { template: 'bell \u0007' } }], /field "rules\.0\.action\.template": no control characters/],
    [[{ name: 'x', action: { to: 'not an address' } }], /field "rules\.0\.action\.to"/],
    [[{ name: '' }], /field "rules\.0\.name"/],
    [[{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }], /field "rules": at most 3 rules per user \(got 4\)/],
    [[{ name: 'Same' }, { name: 'same' }], /field "rules\.1\.name": another rule is named "same"/],
    [[{ name: 'x', action: { to: 'nobody@example.com' } }], /field "rules\.0\.action\.to": nobody@example\.com is not a user here/],
    [[{ name: 'x', action: { to: 'dave@other.example' } }], /field "rules\.0\.action\.to": dave@other\.example is not one of your contacts/],
    ['not a list', /field "rules"/],
  ];
  for (const [rules, message] of refused) {
    const r = await put('alice', rules);
    assert.equal(r.status, 400, JSON.stringify(rules));
    assert.equal(r.json.error.code, 'bad_request');
    assert.match(r.json.error.message, message);
  }
  assert.deepEqual((await get('alice')).json.rules, mine.json.rules, 'a refused PUT changed nothing');

  // bob's rules are bob's: a PUT of his never touches alice's, and he never sees hers.
  const bobs = await put('bob', [{ name: 'From alice', conditions: { sender: { match: 'contains', value: 'alice@' } }, action: { to: 'alice@example.com' } }]);
  assert.equal(bobs.status, 200);
  assert.deepEqual(
    (await get('bob')).json.rules.map((r: { name: string }) => r.name),
    ['From alice'],
  );
  assert.deepEqual((await get('alice')).json.rules, mine.json.rules);
  assert.equal((await put('bob', [])).status, 200);
  assert.deepEqual((await get('bob')).json.rules, []);
  assert.deepEqual((await get('alice')).json.rules, mine.json.rules, "bob emptying his list left alice's alone");
});

test('admin rules from the config: for a whole domain, and a copy to another user, with no client of the owner running', async () => {
  const carol = await connect('carol');
  const bob = await connect('bob');
  await deliver('carol', { from: 'The CEO <ceo@example.com>', subject: 'Q4 numbers', date: new Date('2026-11-27T16:30:00Z') });
  const boss = await carol.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com', 5000);
  assert.equal(boss.body, 'Mail from the boss: Q4 numbers (Fri, 27 Nov 2026, 17:30 CET)');

  await deliver('carol', { from: 'Auditor <audit@firm.example>', subject: 'Audit 2026: documents', date: new Date('2026-11-27T08:15:00Z') });
  const copy = await bob.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com', 5000);
  assert.equal(copy.body, 'New mail for carol@example.com from Auditor <audit@firm.example>: Audit 2026: documents (in INBOX, Fri, 27 Nov 2026, 09:15 CET)');
  await sleep(300);
  assert.equal(fromHerald(carol).length, 1, 'the audit mail goes to bob, not carol (the boss rule does not match it)');
});

test('old mail a mailbox catches up on when rules start watching it fires nothing; new mail does', async () => {
  const dave = await connect('dave');
  const skipped = gw.alerts!.stats().skippedOld;
  // Arrived an hour ago, while nobody watched dave's mailbox (no client of his, no rules).
  const old = await deliver('dave', { subject: 'an hour old' });
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(old, hourAgo, hourAgo);
  assert.equal(gw.mail.watched().total, 4, 'alice, bob, carol, erin (the admin rule), not dave');
  const put = await gw.api('PUT', '/api/v1/alert-rules', { token: tokens.dave, body: { rules: [{ name: 'All', action: { template: 'dave: $SUBJECT$' } }] } });
  assert.equal(put.status, 200);
  await watched('dave'); // his watch opened with the PUT and caught up on "an hour old"
  assert.equal(gw.alerts!.stats().skippedOld, skipped + 1, 'the catch-up was judged old');
  await deliver('dave', { subject: 'brand new' });
  const m = await dave.next<Msg>((e) => e.event === 'message' && e.body === 'dave: brand new', 5000);
  assert.equal(m.from, 'herald@other.example', 'from herald@<the recipient\'s domain>');
  await sleep(300);
  assert.deepEqual(
    fromHerald(dave).map((e) => e.body),
    ['dave: brand new'],
    'nothing for "an hour old"',
  );
});

test('mail storm: 200 messages → the rate limit holds and ONE summary says how many more', async () => {
  const erin = await connect('erin');
  assert.equal((await gw.api('PUT', '/api/v1/alert-rules', { token: tokens.erin, body: { rules: [{ name: 'Storm', conditions: { subject: { match: 'glob', value: 'storm #*' } }, action: { template: '$SUBJECT$' } }] } })).status, 200);
  await watched('erin');
  const N = 200;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await deliver('erin', { subject: `storm #${i}` });
  const delivered = performance.now() - t0;
  // Wait for the window to end (the summary) and a bit more: nothing else may come.
  await erin.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com' && /^…and \d+ more/.test(e.body ?? ''), (WINDOW_S + 5) * 1000);
  await sleep(WINDOW_S * 1000 + 500);
  const got = fromHerald(erin).map((e) => e.body ?? '');
  const single = got.filter((b) => b.startsWith('storm #'));
  const summaries = got.filter((b) => b.startsWith('…and'));
  const held = summaries.map((b) => Number(/^…and (\d+) more matching messages in the last \d+ seconds? \(rule "Storm"; held back by the alert rate limit\)$/.exec(b)?.[1]));
  console.log(`# storm: ${N} delivered in ${delivered.toFixed(0)} ms → ${single.length} alert IMs + ${summaries.length} summary (${held.join(', ')} held back)`);
  assert.ok(held.every((n) => Number.isInteger(n) && n > 0), `summary texts: ${JSON.stringify(summaries)}`);
  assert.equal(single.length + held.reduce((a, b) => a + b, 0), N, 'every matching message is either an IM or counted in a summary');
  assert.equal(new Set(single).size, single.length, 'no IM twice');
  assert.ok(summaries.length >= 1);
  assert.ok(single.length <= PER_RULE * summaries.length, `at most ${PER_RULE} per window (${single.length} IMs, ${summaries.length} windows)`);
  assert.ok(single.length + summaries.length <= 2 * (PER_RULE + 1), 'erin got a handful of IMs, not 200');
  assert.equal(alertLines().filter((l) => l.to === 'erin@example.com').length, got.length, 'each IM logged once');
});

test('restart: no second IM for mail already alerted; mail that came while the gateway was down fires once', async () => {
  const alice = clients.find((c) => c.label === 'alice')!;
  assert.equal(
    (await gw.api('PUT', '/api/v1/alert-rules', { token: tokens.alice, body: { rules: [{ name: 'All', conditions: { subject: { match: 'glob', value: 'restart: *' } }, action: { template: 'R $SUBJECT$' } }] } }))
      .status,
    200,
  );
  await deliver('alice', { subject: 'restart: before' });
  await alice.next<Msg>((e) => e.event === 'message' && e.body === 'R restart: before', 5000);
  await alice.close();
  await gw.destroy(); // keeps the data folder (it was given)

  await deliver('alice', { subject: 'restart: while down' });
  gw = await startTestGateway(CONFIG, { dataDir });
  const again = await connect('alice'); // offline storage or live: either way it arrives here
  const m = await again.next<Msg>((e) => e.event === 'message' && e.body === 'R restart: while down', 8000);
  assert.equal(m.from, 'herald@example.com');
  await deliver('alice', { subject: 'restart: after' });
  await again.next<Msg>((e) => e.event === 'message' && e.body === 'R restart: after', 5000);
  await sleep(500);
  const bodies = fromHerald(again).map((e) => e.body);
  assert.deepEqual(bodies.filter((b) => b?.startsWith('R restart:')), ['R restart: while down', 'R restart: after']);
  const logged = alertLines()
    .filter((l) => l.to === 'alice@example.com' && l.body.startsWith('R restart:'))
    .map((l) => l.body);
  assert.deepEqual(logged, ['R restart: before', 'R restart: while down', 'R restart: after'], 'each exactly once in the log, across the restart');
});
