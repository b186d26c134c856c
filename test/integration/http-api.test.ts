// The HTTP API v1 and the events socket against a real gateway (maildir source, real inotify,
// real sockets): auth, tokens, counts, push, isolation, and bad input of every kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import type { ServerEvent } from '../../gateway/src/protocol/api.ts';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'rateLimit.perPair': 3, 'rateLimit.perAddress': 50 });
});
after(() => gw.destroy());

const mailRoot = (local: string) => path.join(gw.dataDir, 'mail', 'example.com', local);
const msg = (subject: string) => composeMessage({ from: 'Bob <bob@example.com>', to: 'x@example.com', subject, body: 'hello' });

test('session: right password gives a device token, wrong password a 401, repeated failures a 429', async () => {
  await gw.user('sam@example.com', 'right password');
  const ok = await gw.api('POST', '/api/v1/session', { body: { user: 'Sam@Example.com', password: 'right password', device: 'laptop' } });
  assert.equal(ok.status, 200);
  assert.match(ok.json.deviceToken, /^hdt_/);
  assert.deepEqual(ok.json.user, { address: 'sam@example.com', displayName: 'Sam' });
  const me = await gw.api('GET', '/api/v1/config', { token: ok.json.deviceToken });
  assert.equal(me.status, 200);
  assert.equal(me.json.user.address, 'sam@example.com');
  assert.equal(me.json.xmpp.enabled, true, 'the embedded XMPP server runs and IM is on for the domain');
  assert.equal(me.json.xmpp.tcp.port, gw.xmppPort);

  const bad = await gw.api('POST', '/api/v1/session', { body: { user: 'sam@example.com', password: 'wrong' } });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { error: { code: 'invalid_credentials', message: 'wrong user name or password' } });
  const unknown = await gw.api('POST', '/api/v1/session', { body: { user: 'nobody@example.com', password: 'x' } });
  assert.equal(unknown.status, 401, 'unknown users look like wrong passwords');

  await gw.api('POST', '/api/v1/session', { body: { user: 'sam@example.com', password: 'wrong' } });
  await gw.api('POST', '/api/v1/session', { body: { user: 'sam@example.com', password: 'wrong' } });
  const limited = await gw.api('POST', '/api/v1/session', { body: { user: 'sam@example.com', password: 'right password' } });
  assert.equal(limited.status, 429, 'after 3 failures from this address even the right password waits (from this address)');
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  const other = await gw.api('POST', '/api/v1/session', { body: { user: 'nobody@example.com', password: 'x' } });
  assert.equal(other.status, 401, 'the limit is per account: other accounts are not locked out');
});

/** POST /api/v1/session from a given source address (any 127.x.y.z: Linux routes all of 127/8 to lo). */
function signIn(base: string, from: string, user: string, password: string): Promise<{ status: number; retryAfter: number | undefined; json: { error?: { code: string; message: string }; deviceToken?: string } }> {
  const body = JSON.stringify({ user, password });
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/session`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] === undefined ? undefined : Number(res.headers['retry-after']), json: JSON.parse(text) }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

test('lockout is no weapon: an attacker on many addresses slows the account, the owner on a familiar address and device tokens still get in', async () => {
  const own = await startTestGateway({ 'rateLimit.firstDelaySeconds': 30 });
  try {
    const token = await own.user('olive@example.com', 'olive password 1');
    assert.equal((await signIn(own.url, '127.0.0.1', 'olive@example.com', 'olive password 1')).status, 200, 'the owner signs in at work: a familiar address');
    // Ten wrong passwords (rateLimit.perAccount) from ten addresses: each is checked and refused…
    for (let i = 1; i <= 10; i++) assert.equal((await signIn(own.url, `127.0.9.${i}`, 'olive@example.com', `guess ${i}`)).status, 401);
    // …then the account is slowed for addresses it does not know: 429 with a bounded Retry-After.
    for (let i = 11; i <= 30; i++) {
      const r = await signIn(own.url, `127.0.9.${i}`, 'olive@example.com', `guess ${i}`);
      assert.equal(r.status, 429, `attempt ${i}`);
      assert.equal(r.json.error?.code, 'rate_limited');
      assert.ok(r.retryAfter! >= 1 && r.retryAfter! <= 60, `Retry-After ${r.retryAfter}`);
    }
    assert.equal((await signIn(own.url, '127.0.9.99', 'olive@example.com', 'olive password 1')).status, 429, 'a new address waits, even with the right password');
    const owner = await signIn(own.url, '127.0.0.1', 'olive@example.com', 'olive password 1');
    assert.equal(owner.status, 200, 'the owner on the familiar address is not slowed');
    assert.match(owner.json.deviceToken!, /^hdt_/);
    assert.equal((await own.api('GET', '/api/v1/folders', { token })).status, 200, 'device tokens work throughout');
    // A new password clears it: the owner's new laptop signs in at once.
    await own.services.directory.setPassword('olive@example.com', 'olive password 2');
    assert.equal((await signIn(own.url, '127.0.9.100', 'olive@example.com', 'olive password 2')).status, 200);
  } finally {
    await own.destroy();
  }
});

test('at most rateLimit.maxConcurrentHashes sign-ins hash at once: more are refused with 429 busy + Retry-After, not queued, and do not count as failures', async () => {
  const busy = await startTestGateway({ 'rateLimit.maxConcurrentHashes': 2, 'rateLimit.perPair': 2 });
  try {
    await busy.user('pat@example.com', 'pat password 1');
    // Both slots taken (as by two sign-ins whose scrypt is still running on the thread pool).
    const releases: (() => void)[] = [];
    const held = [0, 1].map(() => busy.services.hashGate.run(() => new Promise<void>((r) => releases.push(r))));
    assert.equal(busy.services.hashGate.active, 2);
    // More sign-ins than the bound, at once: every one is refused at once.
    const answers = await Promise.all([1, 2, 3, 4].map(() => busy.api('POST', '/api/v1/session', { body: { user: 'pat@example.com', password: 'pat password 1' } })));
    for (const a of answers) {
      assert.equal(a.status, 429);
      assert.equal(a.json.error.code, 'busy');
      assert.equal(a.headers.get('retry-after'), '1');
    }
    const wrong = await busy.api('POST', '/api/v1/session', { body: { user: 'pat@example.com', password: 'a wrong one' } });
    assert.equal(wrong.json.error.code, 'busy', 'a wrong password is not even looked at');
    for (const r of releases) r();
    await Promise.all(held);
    assert.equal((await busy.api('POST', '/api/v1/session', { body: { user: 'pat@example.com', password: 'pat password 1' } })).status, 200, 'busy refusals were not failures (perPair 2)');
  } finally {
    await busy.destroy();
  }
});

test('enrollment tokens are one-time and expire; device tokens are revocable', async () => {
  await gw.user('erin@example.com');
  const { tokens } = gw.services;
  const t = tokens.issueEnroll('erin@example.com');
  const first = await gw.api('POST', '/api/v1/enroll', { body: { token: t.token } });
  assert.equal(first.status, 200);
  assert.equal(first.json.user.address, 'erin@example.com');
  const second = await gw.api('POST', '/api/v1/enroll', { body: { token: t.token } });
  assert.equal(second.status, 401);
  assert.match(second.json.error.message, /already been used/);

  const expired = tokens.issueEnroll('erin@example.com', 1);
  await new Promise((r) => setTimeout(r, 5));
  const late = await gw.api('POST', '/api/v1/enroll', { body: { token: expired.token } });
  assert.equal(late.status, 401);
  assert.equal(late.json.error.code, 'token_expired');
  const bogus = await gw.api('POST', '/api/v1/enroll', { body: { token: 'hen_not-a-real-token-at-all' } });
  assert.equal(bogus.json.error.code, 'invalid_token');

  const device = first.json.deviceToken as string;
  assert.equal((await gw.api('GET', '/api/v1/folders', { token: device })).status, 200);
  tokens.revoke('erin@example.com');
  const revoked = await gw.api('GET', '/api/v1/folders', { token: device });
  assert.equal(revoked.status, 401);
  assert.equal(revoked.json.error.code, 'invalid_token');
  assert.match(revoked.headers.get('www-authenticate') ?? '', /^Bearer/);

  const fresh = await gw.user('erin@example.com');
  assert.equal((await gw.api('DELETE', '/api/v1/session', { token: fresh })).status, 204, 'sign-out');
  assert.equal((await gw.api('GET', '/api/v1/config', { token: fresh })).status, 401);
});

test('folders: counts, ETag/304, push of folders and mail on delivery, ack', async () => {
  const token = await gw.user('alice@example.com');
  await deliverToMaildir(mailRoot('alice'), msg('already here'));
  const first = await gw.api('GET', '/api/v1/folders', { token });
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag')!;
  assert.ok(etag);
  assert.deepEqual(first.json.folders, [{ path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total: 1, unread: 1, new: 1 }]);
  const again = await gw.api('GET', '/api/v1/folders', { token, headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);

  const events = await gw.events(token);
  await events.next((e) => e.type === 'folders');
  const sent = Date.now();
  await deliverToMaildir(mailRoot('alice'), msg('Quarterly numbers'));
  const mail = (await events.next((e) => e.type === 'mail')) as Extract<ServerEvent, { type: 'mail' }>;
  assert.ok(Date.now() - sent < 1000, 'pushed within a second');
  assert.equal(mail.alert.subject, 'Quarterly numbers');
  assert.equal(mail.alert.folder, 'INBOX');
  assert.equal(mail.alert.from, 'Bob <bob@example.com>');
  const pushed = events.received.filter((e) => e.type === 'folders').at(-1) as Extract<ServerEvent, { type: 'folders' }>;
  assert.equal(pushed.folders[0]!.new, 2);

  const changed = await gw.api('GET', '/api/v1/folders', { token, headers: { 'if-none-match': etag } });
  assert.equal(changed.status, 200, 'a change invalidates the ETag');
  assert.notEqual(changed.headers.get('etag'), etag);
  assert.ok(changed.json.version > first.json.version);

  const acked = await gw.api('POST', '/api/v1/folders/ack', { token, body: { path: 'INBOX' } });
  assert.equal(acked.status, 200);
  assert.equal(acked.json.folders[0].new, 0);
  assert.equal(acked.json.folders[0].unread, 2);
  const pushedAck = (await events.next((e) => e.type === 'folders' && e.folders[0]!.new === 0)) as Extract<ServerEvent, { type: 'folders' }>;
  assert.equal(pushedAck.folders[0]!.unread, 2);
  const missing = await gw.api('POST', '/api/v1/folders/ack', { token, body: { path: 'No/Such' } });
  assert.equal(missing.status, 404);
  events.close();
});

test('a user never sees another user’s counts or events', async () => {
  const alice = await gw.user('alice@example.com');
  const bob = await gw.user('bob@example.com');
  const aliceEvents = await gw.events(alice);
  const bobEvents = await gw.events(bob);
  await aliceEvents.next((e) => e.type === 'folders');
  await bobEvents.next((e) => e.type === 'folders');
  await deliverToMaildir(mailRoot('alice'), msg('for alice only'));
  await aliceEvents.next((e) => e.type === 'mail');
  await deliverToMaildir(mailRoot('bob'), msg('for bob only'));
  const bobMail = (await bobEvents.next((e) => e.type === 'mail')) as Extract<ServerEvent, { type: 'mail' }>;
  assert.equal(bobMail.alert.subject, 'for bob only');
  assert.ok(!bobEvents.received.some((e) => e.type === 'mail' && e.alert.subject === 'for alice only'));
  assert.ok(!aliceEvents.received.some((e) => e.type === 'mail' && e.alert.subject === 'for bob only'));
  const bobFolders = await gw.api('GET', '/api/v1/folders', { token: bob });
  assert.equal(bobFolders.json.folders[0].total, 1);
  // There is no way to name another user: ack of a path only ever touches the caller's mailbox.
  const ack = await gw.api('POST', '/api/v1/folders/ack', { token: bob, body: { path: 'INBOX', user: 'alice@example.com' } });
  assert.equal(ack.status, 400);
  aliceEvents.close();
  bobEvents.close();
});

test('bad input: clear 4xx JSON, no stack, the server keeps serving', async () => {
  const token = await gw.user('alice@example.com');
  const cases: [string, Awaited<ReturnType<TestGateway['api']>>, number, string][] = [
    ['malformed JSON', await gw.api('POST', '/api/v1/session', { body: '{"user": "a@b.c", ' }), 400, 'bad_json'],
    ['not JSON', await gw.api('POST', '/api/v1/session', { body: 'user=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type'],
    ['oversized body', await gw.api('POST', '/api/v1/session', { body: JSON.stringify({ user: 'a@b.cd', password: 'x'.repeat(200_000) }) }), 413, 'too_large'],
    ['missing field', await gw.api('POST', '/api/v1/session', { body: { user: 'a@b.cd' } }), 400, 'bad_request'],
    ['bad address', await gw.api('POST', '/api/v1/session', { body: { user: 'not an address', password: 'x' } }), 400, 'bad_request'],
    ['unknown field', await gw.api('POST', '/api/v1/enroll', { body: { token: 'hen_xxxxxxxxxxxx', admin: true } }), 400, 'bad_request'],
    ['JSON array', await gw.api('POST', '/api/v1/folders/ack', { token, body: '[1,2]' }), 400, 'bad_request'],
    ['unknown route', await gw.api('GET', '/api/v1/nope'), 404, 'not_found'],
    ['unknown route outside the API', await gw.api('GET', '/../../etc/passwd'), 404, 'not_found'],
    ['wrong method', await gw.api('PUT', '/api/v1/folders', { token }), 405, 'method_not_allowed'],
    ['no token', await gw.api('GET', '/api/v1/folders'), 401, 'unauthorized'],
    ['garbage token', await gw.api('GET', '/api/v1/folders', { token: 'garbage' }), 401, 'invalid_token'],
    ['malformed Authorization', await gw.api('GET', '/api/v1/folders', { headers: { authorization: 'Basic YTpi' } }), 401, 'unauthorized'],
  ];
  for (const [what, res, status, code] of cases) {
    assert.equal(res.status, status, what);
    assert.equal(res.json?.error?.code, code, what);
    assert.equal(typeof res.json.error.message, 'string', what);
    assert.doesNotMatch(JSON.stringify(res.json), /at .*\.ts:\d+|node_modules/, `${what}: no stack trace`);
  }
  const still = await gw.api('GET', '/api/v1/folders', { token });
  assert.equal(still.status, 200, 'still serving');
});

test('events socket: refused without a valid token; garbage frames get an error event and the socket stays useful', async () => {
  const url = `${gw.url.replace('http', 'ws')}/api/v1/events`;
  const refused = await new Promise<{ status: number; body: string }>((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: 'Bearer hdt_nope' } });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => {});
  });
  assert.equal(refused.status, 401);
  assert.equal(JSON.parse(refused.body).error.code, 'invalid_token');

  const token = await gw.user('carol@example.com');
  const ev = await gw.events(token);
  await ev.next((e) => e.type === 'folders');
  ev.ws.send('this is not json');
  assert.equal(((await ev.next((e) => e.type === 'error')) as Extract<ServerEvent, { type: 'error' }>).error.code, 'bad_json');
  ev.ws.send(JSON.stringify({ type: 'launch-missiles' }));
  assert.equal(((await ev.next((e) => e.type === 'error')) as Extract<ServerEvent, { type: 'error' }>).error.code, 'bad_request');
  ev.ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
  await ev.next((e) => e.type === 'error');
  ev.ws.send(JSON.stringify({ type: 'ping' }));
  await ev.next((e) => e.type === 'pong');
  await deliverToMaildir(mailRoot('carol'), msg('still delivered'));
  await ev.next((e) => e.type === 'mail');

  // An oversized frame closes only that socket (1009), nothing else.
  const closed = new Promise<number>((r) => ev.ws.once('close', (code) => r(code)));
  ev.ws.send('x'.repeat(100_000));
  assert.equal(await closed, 1009);
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 200);

  // Raw garbage instead of an HTTP request does not disturb the server either.
  await new Promise<void>((resolve) => {
    const s = connect(Number(new URL(gw.url).port), '127.0.0.1', () => s.end('\x16\x03\x01garbage\r\n\r\n'));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    s.resume();
  });
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 200);
});

test('revoking a token closes that user’s live events socket', async () => {
  const token = await gw.user('dave@example.com');
  const ev = await gw.events(token);
  await ev.next((e) => e.type === 'folders');
  const closed = new Promise<number>((r) => ev.ws.once('close', (code) => r(code)));
  // Revoke through a second database connection, as the CLI does from its own process (the
  // credentials module writes the change and its journal row): the server notices through
  // SQLite's data_version within about a second.
  const other = createStore(gw.dataDir);
  const start = Date.now();
  createCredentials({ store: other }).revokeDevices(other.accounts.byAddress('dave@example.com')!.id);
  other.close();
  assert.equal(await closed, 4401);
  assert.ok(Date.now() - start < 2500);
});
