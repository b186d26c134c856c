// Mail-to-IM alert rules in imap mode, against a real Dovecot (LMTP delivery): the imap source
// reports To, Cc and the priority of new mail (ENVELOPE + the priority header fields in the same
// UID FETCH) and fetchRaw gives a message's source with a size cap (BODY.PEEK[]<0.n>) without
// disturbing INBOX's IDLE; and the whole gateway turns such a mail into an IM at slixmpp.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { SettingsSchema } from '../../gateway/src/config/schema.ts';
import { createImapSource } from '../../gateway/src/mail/imap/imap-source.ts';
import type { NewMail } from '../../gateway/src/mail/source.ts';
import { HeraldError } from '../../gateway/src/protocol/errors.ts';
import { createStore, type Store } from '../../gateway/src/store/index.ts';
import { startDovecot, testMessage, type Dovecot } from '../fixtures/dovecot.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';

type Msg = Extract<SlixEvent, { event: 'message' }>;
const PW = 'correct horse battery';

let dovecot: Dovecot;
let dataDir: string;
let store: Store;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  dovecot = await startDovecot({ users: ['source', 'alice'].map((n) => ({ address: `${n}@example.com`, password: `${n}-pw` })) });
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-alert-imap-'));
  store = createStore(dataDir);
  store.domains.add('example.com');
});

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await dovecot?.destroy();
  store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const waitFor = async <T>(fn: () => T | undefined, ms: number, what: string): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const BIG_BODY = `${'0123456789abcdef'.repeat(4096)}\r\nend of a 64 KiB body`;

test('imap source: To, Cc, priority and arrival time of new mail; fetchRaw whole, capped, in another folder, errors', async () => {
  const sep = dovecot.separator;
  const nested = `Projects${sep}Herald`;
  await dovecot.deliver('source@example.com', testMessage({ subject: 'already there' }), nested); // the folder exists before the watch
  const settings = SettingsSchema.parse({
    mail: {
      source: 'imap',
      imap: { host: dovecot.host, port: dovecot.imapPort, sweepSeconds: 60, login: { masterUser: dovecot.masterUser, masterPassword: dovecot.masterPassword } },
    },
  }).mail.imap;
  const source = createImapSource({ settings, store, log: silentLogger });
  cleanups.push(() => source.close());
  const account = store.accounts.add({ address: 'source@example.com', local: 'source', domain: 'example.com', displayName: 'Source', passwordHash: null });
  const alerts: NewMail[] = [];
  const watch = source.open(account, { folders: () => undefined, alert: (a) => alerts.push(a), status: () => undefined });
  await watch.ready;

  const sent = testMessage({
    from: 'Billing Dept <billing@bigcustomer.example>',
    to: 'Source <source@example.com>, "Accounts, Team" <accounts@example.com>',
    subject: 'Invoice 42',
    headers: ['Cc: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.com>, ops@example.com', 'X-Priority: 1 (Highest)', 'Importance: low'],
    body: BIG_BODY,
  });
  const t0 = Date.now();
  await dovecot.deliver('source@example.com', sent);
  const m = await waitFor(() => alerts.find((a) => a.subject === 'Invoice 42'), 5000, 'the INBOX alert');
  assert.deepEqual(m.sender, { name: 'Billing Dept', address: 'billing@bigcustomer.example' });
  assert.deepEqual(m.to, [
    { name: 'Source', address: 'source@example.com' },
    { name: 'Accounts, Team', address: 'accounts@example.com' },
  ]);
  assert.deepEqual(m.cc, [
    { name: 'Jürgen', address: 'juergen@example.com' },
    { name: '', address: 'ops@example.com' },
  ]);
  assert.equal(m.priority, 'high', 'X-Priority, fetched in the same UID FETCH, wins over Importance');
  const received = Date.parse(m.received);
  assert.ok(received >= Math.floor(t0 / 1000) * 1000 && received <= Date.now(), `INTERNALDATE is the delivery time (${m.received})`);

  const whole = await watch.fetchRaw('INBOX', m.uid, 1024 * 1024);
  assert.equal(whole.truncated, false);
  assert.equal(whole.size, whole.bytes.length);
  const text = whole.bytes.toString('utf8');
  assert.ok(text.includes('Subject: Invoice 42\r\n') && text.endsWith('end of a 64 KiB body\r\n'), 'the whole source as delivered');
  assert.ok(whole.size > 64 * 1024);
  const head = await watch.fetchRaw('INBOX', m.uid, 300);
  assert.equal(head.bytes.length, 300);
  assert.equal(head.truncated, true);
  assert.equal(head.size, whole.size);
  assert.deepEqual(head.bytes, whole.bytes.subarray(0, 300));

  // A message in another folder: fetched there, and INBOX's IDLE still pushes new mail afterwards.
  await dovecot.deliver('source@example.com', testMessage({ subject: 'nested one', headers: ['Priority: non-urgent'] }), nested);
  await watch.refresh(); // other folders are swept (every 60 s here): sweep now
  const n = await waitFor(() => alerts.find((a) => a.subject === 'nested one'), 5000, 'the nested alert');
  assert.equal(n.priority, 'low');
  assert.match((await watch.fetchRaw(nested, n.uid, 4096)).bytes.toString(), /Subject: nested one/);
  const t1 = Date.now();
  await dovecot.deliver('source@example.com', testMessage({ subject: 'after fetchRaw' }));
  await waitFor(() => alerts.find((a) => a.subject === 'after fetchRaw'), 5000, 'INBOX push after fetchRaw');
  assert.ok(Date.now() - t1 < 5000, `pushed by IDLE on INBOX (the next sweep is a minute away): ${Date.now() - t1} ms`);

  await assert.rejects(watch.fetchRaw('INBOX', 9999, 100), (e: unknown) => e instanceof HeraldError && e.code === 'not_found' && /no message 9999/.test(e.message));
  await assert.rejects(watch.fetchRaw('Nope', 1, 100), (e: unknown) => e instanceof HeraldError && e.code === 'not_found' && /no folder "Nope"/.test(e.message));
  await assert.rejects(watch.fetchRaw('INBOX', m.uid, 0), RangeError);
  assert.equal(new Set(alerts.map((a) => `${a.folder}#${a.uid}`)).size, alerts.length, 'nothing alerted twice');
});

test('the gateway in imap mode: a rule on recipient and priority → the IM at slixmpp', async () => {
  const gw: TestGateway = await startTestGateway({
    'mail.source': 'imap',
    'mail.imap.port': dovecot.imapPort,
    'mail.imap.login.masterUser': dovecot.masterUser,
    'mail.imap.login.masterPassword': dovecot.masterPassword,
    'mail.imap.sweepSeconds': 1,
    // Only rules keep mailboxes watched here (with the default `all`, calendar invitations watch every IM user's).
    'im.calendar.invitations': 'connected',
  });
  cleanups.push(() => gw.destroy());
  const token = await gw.user('alice@example.com', PW);
  const put = await gw.api('PUT', '/api/v1/alert-rules', {
    token,
    body: {
      rules: [
        {
          name: 'Urgent to the team',
          conditions: { recipient: { match: 'equals', value: 'team@example.com' }, priority: 'high' },
          action: { template: '[$PRIORITY$] $SUBJECT$ from $SENDER$ to $TO$' },
        },
      ],
    },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.equal(gw.mail.watched().pinned, 1, "alice's mailbox is watched with no client of hers");
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 200); // her watch has read the folders
  const alice: Slixmpp = await startSlixmpp({ label: 'alice' });
  cleanups.push(() => alice.close());
  await alice.call('connect', { jid: 'alice@example.com', password: PW, host: '127.0.0.1', port: gw.xmppPort!, starttls: true, sm: false });

  await dovecot.deliver('alice@example.com', testMessage({ subject: 'not urgent', to: 'team@example.com' }));
  await dovecot.deliver('alice@example.com', testMessage({ subject: 'urgent, but not to the team', headers: ['Importance: high'] }));
  await dovecot.deliver('alice@example.com', testMessage({ subject: 'Server room flooded', from: 'Facility <fm@example.org>', to: 'alice@example.com', headers: ['Cc: Team <team@example.com>', 'Importance: High'] }));
  const m = await alice.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com', 8000);
  assert.equal(m.body, '[high] Server room flooded from Facility <fm@example.org> to alice@example.com, Team <team@example.com>');
  await new Promise((r) => setTimeout(r, 1500)); // a sweep: nothing else comes
  assert.equal(alice.events.filter((e) => e.event === 'message' && e.from === 'herald@example.com').length, 1);
});
