// The whole gateway in imap mode against a real Dovecot: sign-in checked by IMAP LOGIN, counts
// and push after LMTP delivery, per-user isolation, Dovecot down (503 naming it) and back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { composeMessage } from '../../gateway/src/mail/maildir/deliver.ts';
import type { ServerEvent } from '../../gateway/src/protocol/api.ts';
import { startDovecot, type Dovecot } from '../fixtures/dovecot.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

let dovecot: Dovecot;
let gw: TestGateway;
const PW = { alice: 'alice imap pw', bob: 'bob imap pw' };

before(async () => {
  dovecot = await startDovecot({ users: [{ address: 'alice@example.com', password: PW.alice }, { address: 'bob@example.com', password: PW.bob }] });
  gw = await startTestGateway({
    'directory.backend': 'imap',
    'directory.imap.port': dovecot.imapPort,
    'mail.source': 'imap',
    'mail.imap.port': dovecot.imapPort,
    'mail.imap.login.masterUser': dovecot.masterUser,
    'mail.imap.login.masterPassword': dovecot.masterPassword,
    'mail.imap.sweepSeconds': 1,
  });
  gw.services.directory.addDomain('example.com');
});
after(async () => {
  await gw?.destroy();
  await dovecot?.destroy();
});

const msg = (subject: string) => composeMessage({ from: 'Carol <carol@example.org>', to: 'x@example.com', subject, body: 'hi' });
const login = (user: string, password: string) => gw.api('POST', '/api/v1/session', { body: { user, password } });

test('sign in with the mail password (IMAP LOGIN, never stored); counts and a mail event after LMTP delivery', async () => {
  const r = await login('alice@example.com', PW.alice);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(gw.services.store.accounts.byAddress('alice@example.com')?.passwordHash, null, 'no password stored');
  const token = r.json.deviceToken as string;
  const f = await gw.api('GET', '/api/v1/folders', { token });
  assert.equal(f.status, 200, JSON.stringify(f.json));
  assert.deepEqual(f.json.folders.find((x: { path: string }) => x.path === 'INBOX'), { path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total: 0, unread: 0, new: 0 });

  const ev = await gw.events(token);
  await ev.next((e) => e.type === 'folders');
  await dovecot.deliver('alice@example.com', msg('Invoice 2026-11'));
  const t0 = Date.now();
  const mail = (await ev.next((e) => e.type === 'mail', 5000)) as Extract<ServerEvent, { type: 'mail' }>;
  assert.ok(Date.now() - t0 < 1500, `pushed within ~1 s (Dovecot holds IDLE back ~0.5 s); took ${Date.now() - t0} ms`);
  assert.equal(mail.alert.subject, 'Invoice 2026-11');
  assert.equal(mail.alert.from, 'Carol <carol@example.org>');
  const after = await gw.api('GET', '/api/v1/folders', { token });
  assert.equal(after.json.folders[0].unread, 1);
  assert.equal(after.json.folders[0].new, 1);
  ev.close();
});

test('one user never gets another user’s events or counts (imap mode)', async () => {
  const alice = (await login('alice@example.com', PW.alice)).json.deviceToken as string;
  const bob = (await login('bob@example.com', PW.bob)).json.deviceToken as string;
  const a = await gw.events(alice);
  const b = await gw.events(bob);
  await a.next((e) => e.type === 'folders');
  await b.next((e) => e.type === 'folders');
  await dovecot.deliver('bob@example.com', msg('for bob'));
  await b.next((e) => e.type === 'mail', 5000);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!a.received.some((e) => e.type === 'mail' && e.alert.subject === 'for bob'));
  const bobCounts = await gw.api('GET', '/api/v1/folders', { token: bob });
  const aliceCounts = await gw.api('GET', '/api/v1/folders', { token: alice });
  assert.equal(bobCounts.json.folders[0].total, 1);
  assert.equal(aliceCounts.json.folders[0].total, 1);
  a.close();
  b.close();
});

test('Dovecot stopped: 503 naming the server and a status event; restarted: recovers by itself', async () => {
  const token = (await login('alice@example.com', PW.alice)).json.deviceToken as string;
  const ev = await gw.events(token);
  await ev.next((e) => e.type === 'folders');
  await dovecot.stop();
  const down = (await ev.next((e) => e.type === 'status', 5000)) as Extract<ServerEvent, { type: 'status' }>;
  assert.equal(down.mail.state, 'unavailable');
  assert.match(down.mail.message ?? '', new RegExp(`127\\.0\\.0\\.1:${dovecot.imapPort}`));
  const f = await gw.api('GET', '/api/v1/folders', { token });
  assert.equal(f.status, 503);
  assert.equal(f.json.error.code, 'mail_unavailable');
  assert.match(f.json.error.message, new RegExp(`IMAP server 127\\.0\\.0\\.1:${dovecot.imapPort}`));
  const s = await login('alice@example.com', PW.alice);
  assert.equal(s.status, 503, 'cannot check a password while the IMAP server is down: 503, not 401');
  assert.equal(s.json.error.code, 'directory_unavailable');

  await dovecot.start();
  await ev.next((e) => e.type === 'status' && e.mail.state === 'ok', 40_000);
  await dovecot.deliver('alice@example.com', msg('after the outage'));
  const mail = (await ev.next((e) => e.type === 'mail', 5000)) as Extract<ServerEvent, { type: 'mail' }>;
  assert.equal(mail.alert.subject, 'after the outage');
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 200);
  ev.close();
});

// Last: Dovecot penalises failed logins from an address for a while (see the fixture).
test('wrong mail password is a 401 and is counted against the account', async () => {
  const r = await login('alice@example.com', 'not her password');
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'invalid_credentials');
  const unknownDomain = await login('eve@elsewhere.example', 'whatever');
  assert.equal(unknownDomain.status, 401);
});
