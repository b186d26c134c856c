// The imap mail source against a real Dovecot: counts, push alerts, sweeps, non-ASCII folders,
// acknowledgements, restarts without duplicate alerts, a server that goes away and comes back,
// and a refused master login. No IMAP mocks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { SettingsSchema, type Settings } from '../../gateway/src/config/schema.ts';
import { createImapSource } from '../../gateway/src/mail/imap/imap-source.ts';
import type { MailboxWatch, MailSource } from '../../gateway/src/mail/source.ts';
import type { Folder, MailAlert, MailStatus } from '../../gateway/src/protocol/api.ts';
import { HeraldError } from '../../gateway/src/protocol/errors.ts';
import { createStore, type AccountRow, type Store } from '../../gateway/src/store/index.ts';
import { startDovecot, testMessage, type Dovecot } from '../fixtures/dovecot.ts';

const USERS = ['counts', 'seen', 'folders', 'uidvalidity', 'intl', 'ack', 'refresh', 'restart', 'down', 'wrongpw', 'authzid', 'closeall'].map((n) => ({
  address: `${n}@example.com`,
  password: `${n}-pw`,
}));
const FAST_BACKOFF = { minMs: 200, maxMs: 1000, jitter: 0.3 };

let dovecot: Dovecot;
let dataDir: string;
let store: Store;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  dovecot = await startDovecot({ users: USERS });
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-imap-test-'));
  store = createStore(dataDir);
  store.domains.add('example.com');
});

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await dovecot?.destroy();
  store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function imapSettings(server: Dovecot, over: { sweepSeconds?: number; login?: Partial<Settings['mail']['imap']['login']> } = {}) {
  return SettingsSchema.parse({
    mail: {
      source: 'imap',
      imap: {
        host: server.host,
        port: server.imapPort,
        sweepSeconds: over.sweepSeconds ?? 1,
        connectTimeoutSeconds: 3,
        login: { mode: 'master', masterUser: server.masterUser, masterPassword: server.masterPassword, separator: '*', ...over.login },
      },
    },
  }).mail.imap;
}

function account(local: string): AccountRow {
  const address = `${local}@example.com`;
  return store.accounts.byAddress(address) ?? store.accounts.add({ address, local, domain: 'example.com', displayName: local, passwordHash: null });
}

interface Recorder {
  folders: Folder[][];
  alerts: MailAlert[];
  statuses: MailStatus[];
  events: Parameters<MailSource['open']>[1];
  /** Resolves with the first recorded value (from now on, or already recorded) that matches. */
  until<T>(what: () => T | undefined, ms?: number, label?: string): Promise<T>;
}

function recorder(): Recorder {
  const r: Recorder = {
    folders: [],
    alerts: [],
    statuses: [],
    events: {
      folders: (f) => r.folders.push(f),
      alert: (a) => r.alerts.push(a),
      status: (s) => r.statuses.push(s),
    },
    async until(what, ms = 3000, label = 'condition') {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = what();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    },
  };
  return r;
}

function open(server: Dovecot, local: string, over: Parameters<typeof imapSettings>[1] = {}) {
  const source = createImapSource({ settings: imapSettings(server, over), store, log: silentLogger, backoff: FAST_BACKOFF });
  const rec = recorder();
  const watch = source.open(account(local), rec.events);
  cleanups.push(() => source.close());
  return { source, watch, rec };
}

const folder = (w: MailboxWatch, p: string) => w.folders().find((f) => f.path === p);
const counts = (f: Folder | undefined) => f && { total: f.total, unread: f.unread, new: f.new };

/** Another IMAP client: the user with their own password (a mail program). */
async function userClient(server: Dovecot, local: string): Promise<ImapFlow> {
  const c = new ImapFlow({ host: server.host, port: server.imapPort, secure: false, logger: false, auth: { user: `${local}@example.com`, pass: `${local}-pw` } });
  c.on('error', () => undefined);
  await c.connect();
  cleanups.push(() => c.logout());
  return c;
}

function assertNoDuplicateAlerts(alerts: MailAlert[]) {
  const keys = alerts.map((a) => `${a.folder}#${a.uid}`);
  assert.deepEqual(keys, [...new Set(keys)], 'every message is alerted once');
}

test('counts after delivery to INBOX and a nested folder; alerts pushed for new mail only', async () => {
  const sep = dovecot.separator;
  const nested = `Projects${sep}Herald`;
  const to = 'counts@example.com';
  await dovecot.deliver(to, testMessage({ subject: 'old mail' }));
  await dovecot.deliver(to, testMessage({ subject: 'old nested' }), nested);
  const { watch, rec } = open(dovecot, 'counts');
  await watch.ready;
  assert.deepEqual(watch.status(), { state: 'ok' });
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 1, unread: 1, new: 1 });
  assert.deepEqual(counts(folder(watch, nested)), { total: 1, unread: 1, new: 1 });
  assert.equal(folder(watch, nested)?.name, 'Herald');
  assert.equal(folder(watch, 'INBOX')?.specialUse, '\\Inbox');
  assert.ok(!watch.folders().some((f) => f.path === 'Projects'), 'the \\Noselect parent is not a folder');

  const sent = Date.now();
  await dovecot.deliver(to, testMessage({ subject: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin', from: '=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.net>' }));
  const alert = await rec.until(() => rec.alerts.find((a) => a.folder === 'INBOX'), 1500, 'INBOX alert');
  const latency = Date.now() - sent;
  assert.ok(latency <= 1500, `alert after ${latency} ms`);
  assert.equal(alert.subject, 'Grüße aus Berlin');
  assert.equal(alert.from, 'Jürgen Müller <jm@example.net>');
  assert.equal(alert.uid, 2);
  assert.ok(!Number.isNaN(Date.parse(alert.date)));
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 2, unread: 2, new: 2 });
  assert.deepEqual(counts(rec.folders.at(-1)?.find((f) => f.path === 'INBOX')), { total: 2, unread: 2, new: 2 }, 'folders told before the alert');

  // Other folders are looked at by the sweep (sweepSeconds 1).
  await dovecot.deliver(to, testMessage({ subject: '', from: 'plain@example.net' }), nested);
  const nestedAlert = await rec.until(() => rec.alerts.find((a) => a.folder === nested), 3000, 'nested alert');
  assert.equal(nestedAlert.subject, '(no subject)');
  assert.equal(nestedAlert.from, 'plain@example.net');
  assert.deepEqual(counts(folder(watch, nested)), { total: 2, unread: 2, new: 2 });
  await new Promise((r) => setTimeout(r, 1300)); // another sweep: nothing repeats
  assert.deepEqual(
    rec.alerts.map((a) => a.subject),
    ['Grüße aus Berlin', '(no subject)'],
    'mail that was there before the watch is not alerted',
  );
});

test('another client marking mail \\Seen lowers unread; mail read before we look is not alerted', async () => {
  const to = 'seen@example.com';
  await dovecot.deliver(to, testMessage({ subject: 'one' }));
  await dovecot.deliver(to, testMessage({ subject: 'two' }));
  const { watch, rec } = open(dovecot, 'seen');
  await watch.ready;
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 2, unread: 2, new: 2 });
  const mua = await userClient(dovecot, 'seen');
  const lock = await mua.getMailboxLock('INBOX');
  try {
    await mua.messageFlagsAdd({ uid: '1' }, ['\\Seen'], { uid: true });
  } finally {
    lock.release();
  }
  await rec.until(() => folder(watch, 'INBOX')?.unread === 1, 2000, 'unread 1');
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 2, unread: 1, new: 1 });
  assert.equal(rec.folders.at(-1)?.find((f) => f.path === 'INBOX')?.unread, 1, 'a folders event told it');

  // Appended already \Seen (e.g. a copy of sent mail): counted, never alerted.
  await mua.append('INBOX', testMessage({ subject: 'read already' }), ['\\Seen']);
  await rec.until(() => folder(watch, 'INBOX')?.total === 3, 2000, 'total 3');
  await dovecot.deliver(to, testMessage({ subject: 'unread new' }));
  await rec.until(() => rec.alerts.length >= 1, 2000, 'alert');
  assert.deepEqual(
    rec.alerts.map((a) => a.subject),
    ['unread new'],
  );
});

test('folders created, renamed and deleted by another client show up after a sweep', async () => {
  const sep = dovecot.separator;
  const { watch, rec } = open(dovecot, 'folders');
  await watch.ready;
  const mua = await userClient(dovecot, 'folders');
  const paths = () => watch.folders().map((f) => f.path);
  await mua.mailboxCreate(['Reports']);
  await rec.until(() => paths().includes('Reports'), 3000, 'Reports created');
  await mua.mailboxCreate(['Reports', 'Weekly']);
  await rec.until(() => paths().includes(`Reports${sep}Weekly`), 3000, 'Reports/Weekly created');
  await mua.mailboxRename('Reports', 'Archive');
  await rec.until(() => paths().includes('Archive') && !paths().includes('Reports'), 3000, 'rename');
  assert.ok(paths().includes(`Archive${sep}Weekly`), 'children move along');
  assert.equal(folder(watch, 'Archive')?.specialUse, '\\Archive', 'special use guessed from the name');
  await mua.mailboxDelete(`Archive${sep}Weekly`);
  await rec.until(() => !paths().includes(`Archive${sep}Weekly`), 3000, 'delete');
  // The server's RFC 6154 flag wins over the name (the fixture marks "Outbox Copies" \Sent).
  await mua.mailboxCreate('Outbox Copies');
  await rec.until(() => paths().includes('Outbox Copies'), 3000, 'special-use folder');
  assert.equal(folder(watch, 'Outbox Copies')?.specialUse, '\\Sent');
  assert.deepEqual(paths(), ['INBOX', 'Outbox Copies', 'Archive'], 'INBOX, special-use folders, the rest');
  assert.equal(store.folderState.get(account('folders').id, 'Reports'), undefined, 'state of a vanished folder is dropped');
});

test('a folder deleted and created again (new UIDVALIDITY) starts afresh without alerting old mail', async () => {
  const to = 'uidvalidity@example.com';
  await dovecot.deliver(to, testMessage({ subject: 'first life' }), 'Temp');
  const { watch, rec } = open(dovecot, 'uidvalidity');
  await watch.ready;
  const before = store.folderState.get(account('uidvalidity').id, 'Temp');
  assert.ok(before);
  const mua = await userClient(dovecot, 'uidvalidity');
  await mua.mailboxDelete('Temp');
  await mua.mailboxCreate('Temp');
  await mua.append('Temp', testMessage({ subject: 'second life, old mail' }));
  await mua.append('Temp', testMessage({ subject: 'second life, more old mail' }));
  await rec.until(() => store.folderState.get(account('uidvalidity').id, 'Temp')?.uidValidity !== before.uidValidity || undefined, 3000, 'new UIDVALIDITY');
  await rec.until(() => folder(watch, 'Temp')?.total === 2 || undefined, 3000, 'recount');
  assert.deepEqual(counts(folder(watch, 'Temp')), { total: 2, unread: 2, new: 2 });
  await dovecot.deliver(to, testMessage({ subject: 'really new' }), 'Temp');
  const a = await rec.until(() => rec.alerts[0], 3000, 'alert');
  assert.deepEqual([a.subject, a.uid], ['really new', 3]);
  assert.equal(rec.alerts.length, 1);
});

test('refresh() reads every folder now, without waiting for the sweep', async () => {
  const to = 'refresh@example.com';
  await dovecot.deliver(to, testMessage(), 'Lists');
  const { watch, rec } = open(dovecot, 'refresh', { sweepSeconds: 3600 });
  await watch.ready;
  await dovecot.deliver(to, testMessage({ subject: 'list mail' }), 'Lists');
  await dovecot.deliver(to, testMessage(), 'Brand new');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(folder(watch, 'Lists')?.total, 1, 'no sweep yet');
  await watch.refresh();
  assert.equal(folder(watch, 'Lists')?.total, 2);
  assert.ok(folder(watch, 'Brand new'));
  assert.deepEqual(
    rec.alerts.map((a) => [a.folder, a.subject]),
    [['Lists', 'list mail']],
  );
});

test('non-ASCII folder names arrive decoded from modified UTF-7', async () => {
  const sep = dovecot.separator;
  const to = 'intl@example.com';
  await dovecot.deliver(to, testMessage({ subject: 'entwurf' }), 'Entwürfe');
  await dovecot.deliver(to, testMessage({ subject: 'проект' }), `Проекты${sep}Весна`);
  const { watch, rec } = open(dovecot, 'intl');
  await watch.ready;
  assert.deepEqual(counts(folder(watch, 'Entwürfe')), { total: 1, unread: 1, new: 1 });
  assert.equal(folder(watch, 'Entwürfe')?.specialUse, '\\Drafts');
  const spring = folder(watch, `Проекты${sep}Весна`);
  assert.equal(spring?.name, 'Весна');
  assert.deepEqual(counts(spring), { total: 1, unread: 1, new: 1 });
  await dovecot.deliver(to, testMessage({ subject: 'noch ein Entwurf' }), 'Entwürfe');
  const a = await rec.until(() => rec.alerts[0], 3000, 'alert in Entwürfe');
  assert.equal(a.folder, 'Entwürfe');
  await watch.ack('Entwürfe');
  assert.equal(folder(watch, 'Entwürfe')?.new, 0);
});

test('ack: new drops to 0, a later delivery is new again; unknown folder is not_found', async () => {
  const to = 'ack@example.com';
  await dovecot.deliver(to, testMessage({ subject: 'a' }));
  await dovecot.deliver(to, testMessage({ subject: 'b' }));
  await dovecot.deliver(to, testMessage({ subject: 'c' }));
  const { watch, rec } = open(dovecot, 'ack');
  await watch.ready;
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 3, unread: 3, new: 3 });
  await watch.ack('INBOX', 2);
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 3, unread: 3, new: 1 }, 'ack up to uid 2');
  const told = rec.folders.length;
  await watch.ack('INBOX');
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 3, unread: 3, new: 0 });
  assert.ok(rec.folders.length > told, 'ack emits folders');
  assert.equal(store.folderState.get(account('ack').id, 'INBOX')?.ackedUid, 3);
  await watch.ack('INBOX', 99); // never beyond what exists
  assert.equal(store.folderState.get(account('ack').id, 'INBOX')?.ackedUid, 3);
  await dovecot.deliver(to, testMessage({ subject: 'd' }));
  await rec.until(() => folder(watch, 'INBOX')?.new === 1, 2000, 'new 1');
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 4, unread: 4, new: 1 });
  await assert.rejects(watch.ack('No such folder'), (e: unknown) => e instanceof HeraldError && e.code === 'not_found');
  await watch.refresh();
});

test('a watch closed and opened again: no duplicate alerts, mail that came meanwhile alerted once', async () => {
  const to = 'restart@example.com';
  const first = open(dovecot, 'restart');
  await first.watch.ready;
  await dovecot.deliver(to, testMessage({ subject: 'while watching' }));
  await first.rec.until(() => first.rec.alerts.length === 1, 2000, 'first alert');
  await first.source.close();
  assert.throws(() => first.watch.folders(), /closed/); // it no longer knows
  await dovecot.deliver(to, testMessage({ subject: 'while closed' }));
  await dovecot.deliver(to, testMessage({ subject: 'also while closed' }), `Other${dovecot.separator}Sub`); // a new folder: baseline, no alert

  const second = open(dovecot, 'restart');
  await second.watch.ready;
  await second.rec.until(() => second.rec.alerts.length >= 1, 2000, 'alert after reopening');
  await new Promise((r) => setTimeout(r, 1300)); // a sweep later still nothing more
  assert.deepEqual(
    second.rec.alerts.map((a) => a.subject),
    ['while closed'],
  );
  assert.deepEqual(counts(folder(second.watch, 'INBOX')), { total: 2, unread: 2, new: 2 });
  assertNoDuplicateAlerts([...first.rec.alerts, ...second.rec.alerts]);
});

test('Dovecot down: unavailable naming host:port; back: recovers alone and alerts what came meanwhile', async () => {
  const server = await startDovecot({ users: [USERS.find((u) => u.address.startsWith('down@'))!] });
  cleanups.push(() => server.destroy());
  const to = 'down@example.com';
  await server.deliver(to, testMessage({ subject: 'before' }));
  const { watch, rec } = open(server, 'down');
  await watch.ready;
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 1, unread: 1, new: 1 });

  await server.stop();
  const st = await rec.until(() => rec.statuses.find((s) => s.state === 'unavailable'), 3000, 'unavailable');
  assert.match(st.message ?? '', new RegExp(`^IMAP server 127\\.0\\.0\\.1:${server.imapPort}: `));
  assert.deepEqual(watch.status(), st);
  assert.throws(
    () => watch.folders(),
    (e: unknown) => e instanceof HeraldError && e.code === 'mail_unavailable' && e.message.includes(`127.0.0.1:${server.imapPort}`) && e.status === 503,
  );
  await assert.rejects(watch.refresh(), (e: unknown) => e instanceof HeraldError && e.code === 'mail_unavailable');
  await assert.rejects(watch.ack('INBOX'), (e: unknown) => e instanceof HeraldError && e.code === 'mail_unavailable');
  await new Promise((r) => setTimeout(r, 800)); // a few failed reconnects
  assert.equal(rec.statuses.length, 1, 'unavailable is told once per outage');
  await server.writeToMaildir(to, testMessage({ subject: 'arrived while down' }));

  await server.start();
  await rec.until(() => rec.statuses.at(-1)?.state === 'ok', 5000, 'available again');
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 2, unread: 2, new: 2 });
  const a = await rec.until(() => rec.alerts.find((x) => x.subject === 'arrived while down'), 2000, 'alert for mail from the outage');
  assert.equal(a.uid, 2);
  // Push works again on the new connection.
  await server.deliver(to, testMessage({ subject: 'after recovery' }));
  await rec.until(() => rec.alerts.find((x) => x.subject === 'after recovery'), 1500, 'alert after recovery');
  assertNoDuplicateAlerts(rec.alerts);
  assert.deepEqual(
    rec.statuses.map((s) => s.state),
    ['unavailable', 'ok'],
  );
});

test('login with the SASL PLAIN authzid mode', async () => {
  const to = 'authzid@example.com';
  await dovecot.deliver(to, testMessage({ subject: 'x' }));
  const { watch } = open(dovecot, 'authzid', { login: { mode: 'authzid' } });
  await watch.ready;
  assert.deepEqual(watch.status(), { state: 'ok' });
  assert.deepEqual(counts(folder(watch, 'INBOX')), { total: 1, unread: 1, new: 1 });
});

test('source.close() closes every watch; nothing reconnects after', async () => {
  const { source, watch, rec } = open(dovecot, 'closeall');
  const other = source.open(account('counts'), recorder().events);
  await Promise.all([watch.ready, other.ready]);
  await source.close();
  await dovecot.deliver('closeall@example.com', testMessage({ subject: 'after close' }));
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(rec.alerts.length, 0);
  assert.equal(rec.statuses.length, 0, 'a deliberate close is not an outage');
});

// Last: a refused login makes Dovecot delay later logins from 127.0.0.1 (auth penalty), so it
// gets a Dovecot of its own.
test('a wrong master password: unavailable with a clear message, no crash, no hammering', async () => {
  const server = await startDovecot({ users: [USERS.find((u) => u.address.startsWith('wrongpw@'))!] });
  cleanups.push(() => server.destroy());
  const { watch, rec } = open(server, 'wrongpw', { login: { masterPassword: 'not-the-password' } });
  await watch.ready;
  const st = watch.status();
  assert.equal(st.state, 'unavailable');
  assert.match(st.message ?? '', new RegExp(`^IMAP server 127\\.0\\.0\\.1:${server.imapPort}: login as "wrongpw@example\\.com\\*master" \\(master user\\) failed`));
  assert.match(st.message ?? '', /check mail\.imap\.login/);
  assert.deepEqual(rec.statuses, [st]);
  assert.throws(() => watch.folders(), (e: unknown) => e instanceof HeraldError && e.code === 'mail_unavailable');
  await new Promise((r) => setTimeout(r, 1500));
  const attempts = server.log().split('\n').filter((l) => /auth failed/.test(l)).length;
  assert.equal(attempts, 1, 'no retry within seconds after a refused login');
});
