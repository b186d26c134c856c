// The embedded XMPP server, stanza by stanza over real sockets (XML in, XML out): stream
// negotiation, STARTTLS, SASL, bind, roster, presence, messages and offline storage, limits,
// and the IM switch. Interop with a client nobody here wrote is in xmpp-interop tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { connectRaw, login, plain, streamOpen } from '../fixtures/xmpp-raw.ts';

let gw: TestGateway;
let port: number;
const PW = 'correct horse battery';

before(async () => {
  gw = await startTestGateway({ 'xmpp.port': 0, 'xmpp.requireTls': false, 'xmpp.maxStanzaBytes': 8192 });
  port = gw.xmppPort!;
  for (const u of ['alice', 'bob', 'carol']) await gw.user(`${u}@example.com`, PW);
  await gw.user('zed@other.example', PW);
});
after(() => gw.destroy());

test('stream errors: unknown host, wrong namespace, XML that is not allowed', async () => {
  const c = await connectRaw(port);
  c.send(streamOpen('nowhere.example'));
  const err = await c.next((e) => e.name === 'stream:error');
  assert.ok(err.getChild('host-unknown', 'urn:ietf:params:xml:ns:xmpp-streams'));
  await c.closed;

  const r = await connectRaw(port);
  r.send(`${streamOpen('example.com')}<!DOCTYPE lol [<!ENTITY lol "lol">]>`);
  assert.ok((await r.next((e) => e.name === 'stream:error')).getChild('restricted-xml'));
  await r.closed;

  const big = await login(port, 'carol@example.com', PW, 'big');
  big.send(`<message to='alice@example.com'><body>${'x'.repeat(20_000)}</body></message>`);
  assert.ok((await big.next((e) => e.name === 'stream:error')).getChild('policy-violation'));
  await big.closed;
});

test('STARTTLS is offered and works; with it required, SASL before TLS is refused', async () => {
  const strict = await startTestGateway({ 'xmpp.port': 0, 'xmpp.requireTls': true });
  try {
    await strict.user('tess@example.com', PW);
    const c = await connectRaw(strict.xmppPort!);
    c.send(streamOpen('example.com'));
    const f = await c.next((e) => e.name === 'stream:features');
    assert.ok(f.getChild('starttls', 'urn:ietf:params:xml:ns:xmpp-tls')?.getChild('required'));
    assert.equal(f.getChild('mechanisms'), undefined, 'no SASL before TLS');
    c.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await c.next((e) => e.name === 'proceed');
    await c.startTls();
    c.send(streamOpen('example.com'));
    const f2 = await c.next((e) => e.name === 'stream:features');
    assert.deepEqual(f2.getChild('mechanisms')?.getChildren('mechanism').map((m) => m.getText()), ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('tess', PW)}</auth>`);
    await c.next((e) => e.name === 'success');
    c.close();

    const early = await connectRaw(strict.xmppPort!);
    early.send(streamOpen('example.com'));
    await early.next((e) => e.name === 'stream:features');
    early.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('tess', PW)}</auth>`);
    assert.ok((await early.next((e) => e.name === 'stream:error')).getChild('policy-violation'));
  } finally {
    await strict.destroy();
  }
});

test('SASL PLAIN: wrong password fails, three failures close the stream; a device token works as password', async () => {
  const c = await connectRaw(port);
  c.send(streamOpen('example.com'));
  await c.next((e) => e.name === 'stream:features');
  for (let i = 0; i < 3; i++) {
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('bob', 'wrong')}</auth>`);
    assert.ok((await c.next((e) => e.name === 'failure')).getChild('not-authorized'));
  }
  assert.ok((await c.next((e) => e.name === 'stream:error')).getChild('policy-violation'));
  const token = gw.services.tokens.issueDevice(gw.services.store.accounts.byAddress('bob@example.com')!, 'xmpp');
  const viaToken = await login(port, 'bob@example.com', token, 'tray');
  assert.equal(viaToken.jid, 'bob@example.com/tray');
  viaToken.close();
});

test('roster is the domain; presence reaches colleagues; chat is delivered, logged, and kept while offline', async () => {
  const alice = await login(port, 'alice@example.com', PW, 'laptop');
  alice.send(`<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`);
  const roster = await alice.next((e) => e.attrs.id === 'r1');
  const items = roster.getChild('query')!.getChildren('item').map((i) => `${i.attrs.jid} ${i.attrs.subscription}`);
  assert.deepEqual(items.sort(), ['bob@example.com both', 'carol@example.com both'], 'colleagues only, not other domains');
  const ver = roster.getChild('query')!.attrs.ver;
  alice.send(`<iq type='get' id='r2'><query xmlns='jabber:iq:roster' ver='${ver}'/></iq>`);
  assert.equal((await alice.next((e) => e.attrs.id === 'r2')).getChild('query'), undefined, 'same version: empty result');
  alice.send(`<presence><show>away</show><status>at lunch</status></presence>`);

  // A message to bob while he is offline is stored...
  alice.send(`<message to='bob@example.com' type='chat' id='m1'><body>Are you there?</body><request xmlns='urn:xmpp:receipts'/></message>`);
  await new Promise((r) => setTimeout(r, 100));
  const bob = await login(port, 'bob@example.com', PW, 'desk');
  bob.send('<presence/>');
  // ...and delivered at his initial presence, with a delay stamp; he sees alice's presence too.
  const offline = await bob.next((e) => e.name === 'message');
  assert.equal(offline.getChildText('body'), 'Are you there?');
  assert.equal(offline.attrs.from, 'alice@example.com/laptop');
  assert.ok(offline.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp);
  assert.ok(offline.getChild('request', 'urn:xmpp:receipts'), 'receipt request passed through');
  const seen = await bob.next((e) => e.name === 'presence' && e.attrs.from === 'alice@example.com/laptop');
  assert.equal(seen.getChildText('status'), 'at lunch');
  const bobOnline = await alice.next((e) => e.name === 'presence' && e.attrs.from === 'bob@example.com/desk');
  assert.equal(bobOnline.attrs.type, undefined);

  // Live chat with XHTML-IM colour and a chat state, both ways.
  alice.send(`<message to='bob@example.com' type='chat' id='m2'><body>red!</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><span style='color: #c00' onmouseover='steal()'>red!</span><script>steal()</script></body></html><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  const live = await bob.next((e) => e.name === 'message' && e.attrs.id === 'm2');
  assert.equal(live.getChild('html')?.getChild('body')?.getChild('span')?.attrs.style, 'color: #c00');
  assert.doesNotMatch(live.toString(), /steal|script|onmouseover/, 'XHTML-IM sanitised on the way through (XEP-0071 §7)');
  assert.ok(live.getChild('active', 'http://jabber.org/protocol/chatstates'));
  bob.send(`<message to='alice@example.com/laptop' type='chat' id='m3'><received xmlns='urn:xmpp:receipts' id='m2'/></message>`);
  assert.ok((await alice.next((e) => e.attrs.id === 'm3')).getChild('received'));

  // Every message with content is in today's central log.
  const logDir = path.join(gw.dataDir, 'logs');
  const file = readdirSync(logDir).find((f) => /^XMPPServer-\d{4}-\d{2}-\d{2}\.log$/.test(f));
  assert.ok(file, 'a daily log file');
  const text = readFileSync(path.join(logDir, file), 'utf8');
  assert.match(text, /alice@example\.com\/laptop\tbob@example\.com\tAre you there\?/);
  assert.match(text, /red!/);

  // A dead TCP connection still makes bob unavailable for alice.
  bob.kill();
  const gone = await alice.next((e) => e.name === 'presence' && e.attrs.from === 'bob@example.com/desk');
  assert.equal(gone.attrs.type, 'unavailable');
  alice.close();
});

test('errors come back to the sender: unknown user, other server, bad JID; ping and disco answer', async () => {
  const carol = await login(port, 'carol@example.com', PW, 'x');
  carol.send(`<message to='nobody@example.com' type='chat' id='e1'><body>hi</body></message>`);
  assert.ok((await carol.next((e) => e.attrs.id === 'e1')).getChild('error')?.getChild('service-unavailable'));
  carol.send(`<message to='someone@jabber.org' type='chat' id='e2'><body>hi</body></message>`);
  assert.ok((await carol.next((e) => e.attrs.id === 'e2')).getChild('error')?.getChild('remote-server-not-found'));
  carol.send(`<message to='a@b@c' type='chat' id='e3'><body>hi</body></message>`);
  assert.ok((await carol.next((e) => e.attrs.id === 'e3')).getChild('error')?.getChild('jid-malformed'));
  carol.send(`<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
  assert.equal((await carol.next((e) => e.attrs.id === 'p1')).attrs.type, 'result');
  carol.send(`<iq type='get' id='d1' to='example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  const features = (await carol.next((e) => e.attrs.id === 'd1')).getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
  assert.ok(features.includes('urn:xmpp:ping') && features.includes('http://jabber.org/protocol/disco#info'));
  carol.send(`<iq type='get' id='u1' to='example.com'><query xmlns='urn:example:unknown'/></iq>`);
  assert.ok((await carol.next((e) => e.attrs.id === 'u1')).getChild('error')?.getChild('service-unavailable'));
  carol.close();
});

test('the same resource twice: the new session wins, the old one gets <conflict/>', async () => {
  const first = await login(port, 'carol@example.com', PW, 'phone');
  const second = await login(port, 'carol@example.com', PW, 'phone');
  assert.ok((await first.next((e) => e.name === 'stream:error')).getChild('conflict'));
  second.send(`<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`);
  assert.equal((await second.next((e) => e.attrs.id === 'p')).attrs.type, 'result');
  second.close();
});

test('IM switched off for a domain: live sessions are closed, new logins refused with a clear text; back on works', async () => {
  const alice = await login(port, 'alice@example.com', PW, 'switch');
  const other = createStore(gw.dataDir); // as the CLI does, from its own connection (through the credentials module)
  createCredentials({ store: other }).setDomainIm('example.com', false);
  const err = await alice.next((e) => e.name === 'stream:error', 3000);
  assert.ok(err.getChild('policy-violation'));
  assert.match(err.getChildText('text') ?? '', /switched off for example\.com/);
  await assert.rejects(login(port, 'alice@example.com', PW), /not-authorized.*disabled for example\.com/s);
  other.domains.setImEnabled('example.com', true);
  other.close();
  const again = await login(port, 'alice@example.com', PW, 'back');
  again.close();
});

test('users added, renamed and removed with the CLI are pushed to rosters (RFC 6121 §2.1.6)', async () => {
  const alice = await login(port, 'alice@example.com', PW, 'rosterpush');
  alice.send(`<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`);
  await alice.next((e) => e.attrs.id === 'r');
  const other = createStore(gw.dataDir); // the CLI's own connection
  other.accounts.add({ address: 'dave@example.com', local: 'dave', domain: 'example.com', displayName: 'Dave Davis', passwordHash: null });
  const added = await alice.next((e) => e.name === 'iq' && e.attrs.type === 'set' && !!e.getChild('query', 'jabber:iq:roster'));
  const item = added.getChild('query')!.getChild('item')!;
  assert.deepEqual([item.attrs.jid, item.attrs.subscription, item.attrs.name], ['dave@example.com', 'both', 'Dave Davis']);
  assert.ok(added.getChild('query')!.attrs.ver);
  other.accounts.remove('dave@example.com');
  other.close();
  const removed = await alice.next((e) => e.name === 'iq' && e.attrs.type === 'set' && e.getChild('query')?.getChild('item')?.attrs.subscription === 'remove');
  assert.equal(removed.getChild('query')!.getChild('item')!.attrs.jid, 'dave@example.com');
  alice.close();
});

/** One SASL PLAIN attempt on a fresh connection from `from` (a 127.x.y.z address): the <success/> or <failure/>. */
async function plainAttempt(user: string, secret: string, from = '127.0.0.1') {
  const c = await connectRaw(port, { localAddress: from });
  c.send(streamOpen('example.com'));
  await c.next((e) => e.name === 'stream:features');
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(user, secret)}</auth>`);
  const answer = await c.next((e) => e.name === 'success' || e.name === 'failure');
  c.kill();
  return answer;
}

test('SASL PLAIN with a password is checked against the SCRAM keys (PBKDF2), not the scrypt hash', async () => {
  const { hashPassword } = await import('../../gateway/src/directory/password-hash.ts');
  await gw.user('dora@example.com', PW);
  const { store } = gw.services;
  const row = store.accounts.byAddress('dora@example.com')!;
  // The scrypt hash now says another password; the SCRAM keys still say PW.
  store.accounts.setPasswordHash(row.address, await hashPassword('scrypt says this'), { sha1: row.scramSha1!, sha256: row.scramSha256! });
  assert.equal((await plainAttempt('dora', PW)).name, 'success', 'XMPP PLAIN follows the SCRAM keys');
  assert.ok((await plainAttempt('dora', 'scrypt says this')).getChild('not-authorized'), 'not the scrypt hash');
  assert.ok((await plainAttempt('nobody', PW)).getChild('not-authorized'), 'unknown users fail the same way');
  const http = await gw.api('POST', '/api/v1/session', { body: { user: 'dora@example.com', password: 'scrypt says this' } });
  assert.equal(http.status, 200, 'HTTP sign-in keeps scrypt');
});

test('XMPP: wrong passwords from many addresses slow the account (temporary-auth-failure), the owner at a familiar address and device tokens still get in; SCRAM obeys the same limits', async () => {
  const slow = await startTestGateway({ 'xmpp.port': 0, 'xmpp.requireTls': false, 'rateLimit.perAccount': 5, 'rateLimit.firstDelaySeconds': 30 });
  const xport = slow.xmppPort!;
  const attempt = async (secret: string, from: string) => {
    const c = await connectRaw(xport, { localAddress: from });
    c.send(streamOpen('example.com'));
    await c.next((e) => e.name === 'stream:features');
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('erin', secret)}</auth>`);
    const answer = await c.next((e) => e.name === 'success' || e.name === 'failure');
    c.kill();
    return answer;
  };
  try {
    const token = await slow.user('erin@example.com', PW);
    assert.equal((await attempt(PW, '127.0.0.1')).name, 'success', 'the owner signs in from home: a familiar address');
    for (let i = 1; i <= 5; i++) assert.ok((await attempt('guess', `127.0.7.${i}`)).getChild('not-authorized'), `attempt ${i} is checked`);
    const slowed = await attempt('guess', '127.0.7.6');
    assert.ok(slowed.getChild('temporary-auth-failure'), slowed.toString());
    assert.match(slowed.getChildText('text') ?? '', /sign-ins are slowed down; try again in (30|29) s/);
    assert.ok((await attempt(PW, '127.0.7.7')).getChild('temporary-auth-failure'), 'even the right password waits at an unfamiliar address');
    assert.equal((await attempt(PW, '127.0.0.1')).name, 'success', 'the owner at the familiar address is not slowed');
    assert.equal((await attempt(token, '127.0.7.8')).name, 'success', 'device tokens are not slowed');
    // SCRAM: refused at the first message, before any proof.
    const c = await connectRaw(xport, { localAddress: '127.0.7.9' });
    c.send(streamOpen('example.com'));
    await c.next((e) => e.name === 'stream:features');
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${Buffer.from('n,,n=erin,r=abcdefgh').toString('base64')}</auth>`);
    assert.ok((await c.next((e) => e.name === 'failure')).getChild('temporary-auth-failure'));
    c.kill();
  } finally {
    await slow.destroy();
  }
});

test('SASL SCRAM-SHA-1 and SCRAM-SHA-256 (stored keys): right password succeeds with a server signature, wrong one fails', async () => {
  const { scramClientProof } = await import('../../gateway/src/directory/scram.ts');
  for (const [mech, hash] of [['SCRAM-SHA-256', 'sha256'], ['SCRAM-SHA-1', 'sha1']] as const) {
    for (const password of [PW, 'wrong password']) {
      const c = await connectRaw(port);
      c.send(streamOpen('example.com'));
      const f = await c.next((e) => e.name === 'stream:features');
      const mechs = f.getChild('mechanisms')!.getChildren('mechanism').map((m) => m.getText());
      assert.deepEqual(mechs, ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
      const clientFirstBare = `n=carol,r=${Buffer.from('client nonce 123').toString('base64')}`;
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mech}'>${Buffer.from(`n,,${clientFirstBare}`).toString('base64')}</auth>`);
      const serverFirst = Buffer.from((await c.next((e) => e.name === 'challenge')).getText(), 'base64').toString();
      const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
      const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${a.r}`;
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const { proof, serverSignature } = await scramClientProof(hash, password, Buffer.from(a.s!, 'base64'), Number(a.i), authMessage);
      c.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64')}</response>`);
      const answer = await c.next((e) => e.name === 'success' || e.name === 'failure');
      if (password === PW) {
        assert.equal(answer.name, 'success', `${mech}: ${answer.toString()}`);
        assert.equal(Buffer.from(answer.getText(), 'base64').toString(), `v=${serverSignature.toString('base64')}`, 'the server proves it knows the keys too');
      } else {
        assert.equal(answer.name, 'failure');
        assert.ok(answer.getChild('not-authorized'));
      }
      c.kill();
    }
  }
});
