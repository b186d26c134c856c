// Mail push from Dovecot (mail.imap.changes = push) against a real Dovecot 2.3 running the
// README's snippet (deploy/dovecot-herald-push.conf + .lua, read by test/fixtures/dovecot-push.ts):
// LMTP delivery, doveadm flag changes, expunges and mailbox creation reach the gateway as
// push_notification_lua POSTs and the counts, `mail` events and alert rules follow — with no
// IMAP connection left open for a user nobody reads mail for (no IDLE, no sweeps).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadOrCreatePushToken } from '../../gateway/src/mail/push/push-token.ts';
import type { Folder, ServerEvent } from '../../gateway/src/protocol/api.ts';
import { startDovecot, testMessage, type Dovecot } from '../fixtures/dovecot.ts';
import { dovecotPushSnippet, PUSH_SNIPPET_FILE } from '../fixtures/dovecot-push.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { freePort } from '../fixtures/peer-utils.ts';
import { startSlixmpp, type SlixEvent } from '../fixtures/slixmpp.ts';

type Msg = Extract<SlixEvent, { event: 'message' }>;
const PW = 'correct horse battery';
const PUSH = '/api/v1/mail/push/dovecot';

let dovecot: Dovecot;
let gw: TestGateway;
let dataDir: string;
let token: string;
const logLines: { msg: string; user?: string }[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  // The gateway's port and token come first: Dovecot's config names both.
  const port = await freePort();
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-push-'));
  token = loadOrCreatePushToken(dataDir);
  dovecot = await startDovecot({
    users: ['alice', 'bob', 'stranger'].map((n) => ({ address: `${n}@example.com`, password: `${n}-pw` })),
    extraConfig: dovecotPushSnippet({ gatewayUrl: `http://127.0.0.1:${port}`, token }),
  });
  const log = pino({ level: 'info' }, { write: (s: string) => void logLines.push(JSON.parse(s) as { msg: string; user?: string }) });
  gw = await startTestGateway(
    {
      'http.port': port,
      'mail.source': 'imap',
      'mail.imap.changes': 'push',
      'mail.imap.port': dovecot.imapPort,
      'mail.imap.login.masterUser': dovecot.masterUser,
      'mail.imap.login.masterPassword': dovecot.masterPassword,
      'im.calendar.invitations': 'connected',
    },
    { dataDir, log },
  );
});

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await gw?.destroy();
  await dovecot?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const waitFor = async <T>(fn: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** IMAP sessions Dovecot holds now, as its own `doveadm who` counts them. */
const imapSessions = async () => (await dovecot.doveadm(['who'])).split('\n').filter((l) => /\bimap\b/.test(l)).length;

const folder = (e: ServerEvent, path: string): Folder | undefined => (e.type === 'folders' ? e.folders.find((f) => f.path === path) : undefined);

test("README shows the snippet this test's Dovecot runs, line for line", () => {
  const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
  const config = readFileSync(PUSH_SNIPPET_FILE, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n').trim();
  assert.ok(readme.includes(`\`\`\`\n${config}\n\`\`\``), `README's "Mail push from Dovecot" block differs from ${PUSH_SNIPPET_FILE}`);
  assert.match(readme, /deploy\/dovecot-herald-push\.conf/);
  assert.match(readme, /deploy\/dovecot-herald-push\.lua/);
});

test('the push token file is private (0600) and the route needs it', async () => {
  assert.equal(statSync(path.join(dataDir, 'mail-push.token')).mode & 0o777, 0o600);
  const body = { user: 'alice@example.com', events: [{ event: 'MessageNew', mailbox: 'INBOX', uid: 1 }] };
  assert.equal((await gw.api('POST', PUSH, { body })).status, 401, 'no token');
  const wrong = await gw.api('POST', PUSH, { body, headers: { authorization: `Bearer ${token}x` } });
  assert.equal(wrong.status, 401, 'a wrong token');
  assert.equal(wrong.json.error.code, 'unauthorized');
  assert.equal((await gw.api('POST', PUSH, { body, headers: { authorization: `Basic ${token}` } })).status, 401, 'not a bearer token');
});

test('bad bodies are refused with 400/413/415 and change nothing; an unknown user is ignored with one log line', async () => {
  const auth = { authorization: `Bearer ${token}` };
  const post = (body: unknown, headers: Record<string, string> = {}) => gw.api('POST', PUSH, { body, headers: { ...auth, ...headers } });
  assert.equal((await post('{"user":')).status, 400, 'not JSON');
  assert.equal((await post({ user: 'alice@example.com', events: [] })).status, 400, 'no events');
  assert.equal((await post({ user: 'alice@example.com', events: [{ event: 'Bogus', mailbox: 'INBOX' }] })).status, 400, 'unknown event');
  assert.equal((await post({ user: 'alice@example.com', events: [{ event: 'MessageNew', mailbox: 'INBOX', uid: -1 }] })).status, 400, 'bad uid');
  assert.equal((await post({ events: [{ event: 'MessageNew', mailbox: 'INBOX' }] })).status, 400, 'no user');
  assert.equal((await post({ user: 'a', events: [{ event: 'MessageNew', mailbox: 'x'.repeat(200_000) }] })).status, 413, 'past the body limit');
  assert.equal((await post('user=alice', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);

  const before = logLines.length;
  const unknown = { user: 'nobody@example.com', events: [{ event: 'MessageNew', mailbox: 'INBOX', uid: 1 }] };
  assert.equal((await post(unknown)).status, 204);
  assert.equal((await post(unknown)).status, 204);
  const lines = logLines.slice(before).filter((l) => l.user === 'nobody@example.com');
  assert.equal(lines.length, 1, `one line for the unknown user: ${JSON.stringify(lines)}`);
  assert.match(lines[0]!.msg, /does not know: ignored/);
  // A real push for a user Dovecot has and the gateway does not: Dovecot is answered 204, no error in its log.
  await dovecot.deliver('stranger@example.com', testMessage({ subject: 'to a stranger' }));
  await waitFor(() => logLines.find((l) => l.user === 'stranger@example.com'), 5000, 'the unknown-user line');
  assert.doesNotMatch(dovecot.log(), /herald push to .* failed/);
});

test('deliver → `mail` event at once; flags, expunge and a new folder update the counts', async () => {
  const alice = await gw.user('alice@example.com', PW);
  const ev = await gw.events(alice);
  cleanups.push(async () => ev.close());
  await ev.next((e) => e.type === 'folders');

  const t0 = Date.now();
  await dovecot.deliver('alice@example.com', testMessage({ subject: 'pushed' }));
  const m = await ev.next((e) => e.type === 'mail', 5000);
  const ms = Date.now() - t0;
  assert.equal(m.type === 'mail' && m.alert.subject, 'pushed');
  // No IDLE is held and no sweep runs with push: only the push can have brought it.
  assert.equal(gw.settings.mail.imap.changes, 'push');
  assert.ok(ms < 2000, `delivery → mail event in ${ms} ms`);
  // The counts went out just before the alert (MailboxEvents: `folders` first).
  const counts = ev.received.filter((e) => e.type === 'folders').at(-1)!;
  let inbox = folder(counts, 'INBOX')!;
  assert.deepEqual({ total: inbox.total, unread: inbox.unread, new: inbox.new }, { total: 1, unread: 1, new: 1 });

  await dovecot.doveadm(['flags', 'add', '-u', 'alice@example.com', '\\Seen', 'mailbox', 'INBOX', 'all']);
  inbox = folder(await ev.next((e) => folder(e, 'INBOX')?.unread === 0), 'INBOX')!;
  assert.equal(inbox.new, 0, 'read elsewhere: no longer new');
  await dovecot.doveadm(['flags', 'remove', '-u', 'alice@example.com', '\\Seen', 'mailbox', 'INBOX', 'all']);
  inbox = folder(await ev.next((e) => folder(e, 'INBOX')?.unread === 1), 'INBOX')!;
  await dovecot.doveadm(['expunge', '-u', 'alice@example.com', 'mailbox', 'INBOX', 'all']);
  inbox = folder(await ev.next((e) => folder(e, 'INBOX')?.total === 0), 'INBOX')!;
  assert.equal(inbox.unread, 0);

  await dovecot.doveadm(['mailbox', 'create', '-u', 'alice@example.com', 'Projects']);
  const p = folder(await ev.next((e) => !!folder(e, 'Projects')), 'Projects')!;
  assert.deepEqual({ total: p.total, unread: p.unread }, { total: 0, unread: 0 });
  // Mail into another folder is pushed as well (IDLE only ever watched INBOX).
  await dovecot.deliver('alice@example.com', testMessage({ subject: 'into Projects' }), 'Projects');
  const m2 = await ev.next((e) => e.type === 'mail', 5000);
  assert.deepEqual(m2.type === 'mail' && [m2.alert.folder, m2.alert.subject], ['Projects', 'into Projects']);
  // While her client is online her connection stays (a push costs no login); it goes with the client.
  assert.equal(gw.mail.watchCount().connections, 1);
  ev.close();
  await waitFor(() => (gw.mail.watchCount().connections === 0 ? true : undefined), 5000, "alice's connection to close with her client");
});

test('an alert rule fires for a user with no client online, and no IMAP connection is held for them', async () => {
  const bobToken = await gw.user('bob@example.com', PW);
  const put = await gw.api('PUT', '/api/v1/alert-rules', {
    token: bobToken,
    body: { rules: [{ name: 'Boss', conditions: { sender: { match: 'contains', value: 'boss@' } }, action: { template: 'Mail from the boss: $SUBJECT$' } }] },
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.ok(gw.mail.watched().pinned >= 1, "bob's mailbox is watched with no client of his");
  // His watch read the folders once and logged out: nothing held for him, by the gateway's count and Dovecot's.
  await waitFor(() => (gw.mail.watchCount().connections === 0 ? true : undefined), 5000, 'the gateway to hold no IMAP connection');
  await waitFor(async () => ((await imapSessions()) === 0 ? true : undefined), 5000, 'Dovecot to have no IMAP session');

  const bob = await startSlixmpp({ label: 'bob' });
  cleanups.push(() => bob.close());
  await bob.call('connect', { jid: 'bob@example.com', password: PW, host: '127.0.0.1', port: gw.xmppPort!, starttls: true, sm: false });
  await dovecot.deliver('bob@example.com', testMessage({ subject: 'Quarterly numbers', from: 'The Boss <boss@example.com>' }));
  const im = await bob.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com', 8000);
  assert.equal(im.body, 'Mail from the boss: Quarterly numbers');
  await waitFor(() => (gw.mail.watchCount().connections === 0 ? true : undefined), 5000, 'the connection opened for the push to close again');
  assert.equal(await imapSessions(), 0);
});
