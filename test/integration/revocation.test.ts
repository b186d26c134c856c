// One way for a revocation to travel (ARCHITECTURE.md "Flows that must stay single"): every change
// that ends a credential — API sign-out, CLI `token revoke`, `user del`, `user passwd`, IM switched
// off — reaches every live thing authenticated by it within a second, whichever process made it:
// events sockets close with 4401, XMPP sessions (TCP, WebSocket, hibernating) get a stream error
// naming why, pending upload slots are refused. What another credential holds stays up.
// And no client input crashes the gateway: the crash sequence of issue 11 ends one socket only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { cli, closeOf, eventsAlive, scramLogin, signIn, tcpAuthenticated, tcpLogin, wsLogin, type Ending } from './revocation-helpers.ts';

const PW = 'correct horse battery';
/** "Within a second", with room for a busy 2-core CI machine. */
const WITHIN_MS = 2000;

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
});
after(() => gw.destroy());

const port = () => gw.xmppPort!;
async function ended(what: string, p: Promise<Ending>, since: number, condition: string, text: RegExp) {
  const e = await p;
  assert.equal(e.condition, condition, `${what}: ${JSON.stringify(e)}`);
  assert.match(e.text, text, what);
  const ms = e.at - since;
  assert.ok(ms < WITHIN_MS, `${what} ended ${Math.round(ms)} ms after the change`);
  return ms;
}

test('the crash sequence: sign in, open events, sign out, refresh — the socket closes 4401, the gateway serves on', async () => {
  await gw.user('crash@example.com', PW);
  await gw.user('bystander@example.com', PW);
  const { token } = await signIn(gw, 'crash@example.com', PW, 'tray');
  const other = await gw.events((await signIn(gw, 'bystander@example.com', PW, 'tray')).token);
  const events = await gw.events(token);
  const closed = closeOf(events.ws);
  const t0 = performance.now();
  assert.equal((await gw.api('DELETE', '/api/v1/session', { token })).status, 204);
  // What an honest tray app does right after: "Check mail now".
  if (events.ws.readyState === events.ws.OPEN) events.ws.send(JSON.stringify({ type: 'refresh' }));
  await ended('signed-out events socket', closed, t0, '4401', /your device was signed out/);

  assert.equal((await gw.api('GET', '/api/v1/health')).json.faults, 0, 'nothing reached the last resort');
  await eventsAlive(other);
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 401, 'the token is dead for HTTP too');
});

test('a refresh with a token revoked behind the journal (no event yet) closes that socket only, 4401', async () => {
  await gw.user('race@example.com', PW);
  const { token, deviceId } = await signIn(gw, 'race@example.com', PW, 'tray');
  const second = await gw.events((await signIn(gw, 'race@example.com', PW, 'laptop')).token);
  const events = await gw.events(token);
  const closed = closeOf(events.ws);
  // The raw store write: as if the revocation were still on its way to this socket.
  gw.services.store.tokens.revoke(gw.services.directory.get('race@example.com')!.id, deviceId);
  events.ws.send(JSON.stringify({ type: 'refresh' }));
  const e = await closed;
  assert.equal(e.condition, '4401');
  assert.match(e.text, /signed out/);
  await eventsAlive(second);
  assert.equal(gw.faults(), 0);
});

test('API sign-out ends the events socket and the XMPP sessions (TCP, WebSocket) of that device; another device and the password stay', async () => {
  await gw.user('alice@example.com', PW);
  const a = await signIn(gw, 'alice@example.com', PW, 'desktop A');
  const b = await signIn(gw, 'alice@example.com', PW, 'desktop B');
  const [eventsA, eventsB] = [await gw.events(a.token), await gw.events(b.token)];
  const tcpA = await tcpLogin(port(), 'alice@example.com', a.token, 'tcp-a');
  const wsA = await wsLogin(gw, 'alice@example.com', a.token, 'ws-a');
  const tcpB = await tcpLogin(port(), 'alice@example.com', b.token, 'tcp-b');
  const wsB = await wsLogin(gw, 'alice@example.com', b.token, 'ws-b');
  const withPassword = await tcpLogin(port(), 'alice@example.com', PW, 'pw');
  const closedA = closeOf(eventsA.ws);

  const t0 = performance.now();
  assert.equal((await gw.api('DELETE', '/api/v1/session', { token: a.token })).status, 204);
  const times = [
    await ended('events socket A', closedA, t0, '4401', /your device was signed out/),
    await ended('XMPP TCP A', tcpA.ended, t0, 'not-authorized', /^your device was signed out$/),
    await ended('XMPP WebSocket A', wsA.ended, t0, 'not-authorized', /^your device was signed out$/),
  ];
  console.log(`API sign-out → holders ended after ${times.map((m) => `${m.toFixed(1)} ms`).join(', ')}`);
  await Promise.all([eventsAlive(eventsB), tcpB.ping(), wsB.ping(), withPassword.ping()]);
});

test('CLI `token revoke` (another process) ends what that device holds — the XMPP session stops sending (issue 11 #2)', async () => {
  await gw.user('bob@example.com', PW);
  const a = await signIn(gw, 'bob@example.com', PW, 'tray A');
  const b = await signIn(gw, 'bob@example.com', PW, 'tray B');
  const [eventsA, eventsB] = [await gw.events(a.token), await gw.events(b.token)];
  const tcpA = await tcpLogin(port(), 'bob@example.com', a.token, 'tcp-a');
  const wsA = await wsLogin(gw, 'bob@example.com', a.token, 'ws-a');
  const tcpB = await tcpLogin(port(), 'bob@example.com', b.token, 'tcp-b');
  const closedA = closeOf(eventsA.ws);

  const r = await cli(gw, ['token', 'revoke', 'bob@example.com', '--device', String(a.deviceId)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`revoked device ${a.deviceId}`));
  const times = [
    await ended('events socket A', closedA, r.exitedAt, '4401', /your device was signed out/),
    await ended('XMPP TCP A', tcpA.ended, r.exitedAt, 'not-authorized', /your device was signed out/),
    await ended('XMPP WebSocket A', wsA.ended, r.exitedAt, 'not-authorized', /your device was signed out/),
  ];
  console.log(`CLI token revoke → holders ended ${times.map((m) => `${m.toFixed(0)} ms`).join(', ')} after the CLI exited`);
  await Promise.all([eventsAlive(eventsB), tcpB.ping()]);

  // All of bob's devices: B's go too.
  const closedB = closeOf(eventsB.ws);
  const all = await cli(gw, ['token', 'revoke', 'bob@example.com']);
  assert.equal(all.code, 0, all.stderr);
  await ended('events socket B', closedB, all.exitedAt, '4401', /signed out/);
  await ended('XMPP TCP B', tcpB.ended, all.exitedAt, 'not-authorized', /your device was signed out/);
});

test('CLI `user del` ends everything of that user (events, device and password sessions); other users stay', async () => {
  await gw.user('carol@example.com', PW);
  await gw.user('dave@example.com', PW);
  const c = await signIn(gw, 'carol@example.com', PW, 'tray');
  const d = await signIn(gw, 'dave@example.com', PW, 'tray');
  const events = await gw.events(c.token);
  const daveEvents = await gw.events(d.token);
  const viaToken = await tcpLogin(port(), 'carol@example.com', c.token, 'token');
  const viaPassword = await wsLogin(gw, 'carol@example.com', PW, 'password');
  const viaScram = await scramLogin(port(), 'carol@example.com', PW, 'scram');
  const dave = await tcpLogin(port(), 'dave@example.com', PW, 'pw');
  const closed = closeOf(events.ws);

  const r = await cli(gw, ['user', 'del', 'carol@example.com']);
  assert.equal(r.code, 0, r.stderr);
  await ended('events socket', closed, r.exitedAt, '4401', /your account was removed/);
  for (const [what, s] of [['device session', viaToken], ['password session (WebSocket)', viaPassword], ['SCRAM session', viaScram]] as const) {
    await ended(what, s.ended, r.exitedAt, 'not-authorized', /^your account was removed$/);
  }
  await Promise.all([eventsAlive(daveEvents), dave.ping()]);
});

test('a password change (CLI) ends the password and SCRAM sessions and revokes the devices; --keep-devices (in process and CLI) keeps them', async () => {
  await gw.user('erin@example.com', PW);
  const dev = await signIn(gw, 'erin@example.com', PW, 'tray');
  const events = await gw.events(dev.token);
  const viaToken = await tcpLogin(port(), 'erin@example.com', dev.token, 'token');
  const viaPlain = await tcpLogin(port(), 'erin@example.com', PW, 'plain');
  const viaScram = await scramLogin(port(), 'erin@example.com', PW, 'scram');
  const closed = closeOf(events.ws);

  const r = await cli(gw, ['user', 'passwd', 'erin@example.com', '--password', 'a brand new password']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 device token\(s\) were revoked/, 'the app\'s and the fixture\'s');
  await ended('PLAIN password session', viaPlain.ended, r.exitedAt, 'not-authorized', /^your password was changed$/);
  await ended('SCRAM session', viaScram.ended, r.exitedAt, 'not-authorized', /^your password was changed$/);
  await ended('device session', viaToken.ended, r.exitedAt, 'not-authorized', /^your password was changed$/);
  await ended('events socket', closed, r.exitedAt, '4401', /your password was changed/);
  assert.equal((await gw.api('GET', '/api/v1/folders', { token: dev.token })).status, 401, 'the device token was revoked');

  // With --keep-devices (here through the directory, as the admin console will): only the password sessions end.
  const kept = await signIn(gw, 'erin@example.com', 'a brand new password', 'tray 2');
  const keptEvents = await gw.events(kept.token);
  const keptSession = await wsLogin(gw, 'erin@example.com', kept.token, 'kept');
  const oldPassword = await scramLogin(port(), 'erin@example.com', 'a brand new password', 'scram2');
  const t0 = performance.now();
  const { devicesRevoked } = await gw.services.directory.setPassword('erin@example.com', 'the third password', { keepDevices: true });
  assert.equal(devicesRevoked, 0);
  await ended('SCRAM session (in process)', oldPassword.ended, t0, 'not-authorized', /^your password was changed$/);
  await Promise.all([eventsAlive(keptEvents), keptSession.ping()]);
  assert.equal((await gw.api('GET', '/api/v1/folders', { token: kept.token })).status, 200);

  // The CLI's --keep-devices: the password session ends, the device's stay.
  const viaThird = await tcpLogin(port(), 'erin@example.com', 'the third password', 'third');
  const cliKept = await cli(gw, ['user', 'passwd', 'erin@example.com', '--password', 'the fourth password', '--keep-devices']);
  assert.equal(cliKept.code, 0, cliKept.stderr);
  assert.doesNotMatch(cliKept.stdout, /revoked/);
  await ended('password session (CLI --keep-devices)', viaThird.ended, cliKept.exitedAt, 'not-authorized', /^your password was changed$/);
  await Promise.all([eventsAlive(keptEvents), keptSession.ping()]);
});

test('IM switched off for a domain (CLI): its XMPP sessions get <policy-violation/>, its events sockets stay (mail is not IM)', async () => {
  await gw.user('fay@imoff.example', PW);
  await gw.user('gus@example.com', PW);
  const f = await signIn(gw, 'fay@imoff.example', PW, 'tray');
  const events = await gw.events(f.token);
  const viaToken = await tcpLogin(port(), 'fay@imoff.example', f.token, 'token');
  const viaPassword = await wsLogin(gw, 'fay@imoff.example', PW, 'ws');
  const gus = await tcpLogin(port(), 'gus@example.com', PW, 'pw');

  const r = await cli(gw, ['domain', 'set', 'imoff.example', '--im', 'off']);
  assert.equal(r.code, 0, r.stderr);
  await ended('device session', viaToken.ended, r.exitedAt, 'policy-violation', /instant messaging was switched off for imoff\.example/);
  await ended('password session', viaPassword.ended, r.exitedAt, 'policy-violation', /instant messaging was switched off/);
  await Promise.all([eventsAlive(events), gus.ping()]);

  // The same switch made in this process (the admin console's way): the same event, at once.
  await gw.user('hoa@imoff2.example', PW);
  const hoa = await tcpLogin(port(), 'hoa@imoff2.example', PW, 'pw');
  const t0 = performance.now();
  gw.services.directory.setDomainIm('imoff2.example', false);
  await ended('in-process IM off', hoa.ended, t0, 'policy-violation', /instant messaging was switched off for imoff2\.example/);
  await gus.ping();
});

async function slot(c: { send(x: string): void; next(p: (e: Element) => boolean): Promise<Element> }, domain: string, id: string) {
  c.send(`<iq type='get' id='${id}' to='upload.${domain}'><request xmlns='urn:xmpp:http:upload:0' filename='${id}.txt' size='5' content-type='text/plain'/></iq>`);
  const r = await c.next((e) => e.name === 'iq' && e.attrs.id === id);
  const put = r.getChild('slot')?.getChild('put')?.attrs.url as string | undefined;
  assert.ok(put, r.toString());
  return put.replace(/^http:\/\/[^/]+/, gw.url);
}
const upload = (url: string) => fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello' });

test('a pending upload slot (XEP-0363) given to a signed-out device is refused; one of another device still takes its file', async () => {
  await gw.user('hal@example.com', PW);
  const a = await signIn(gw, 'hal@example.com', PW, 'A');
  const b = await signIn(gw, 'hal@example.com', PW, 'B');
  const viaA = await tcpLogin(port(), 'hal@example.com', a.token, 'a');
  const viaB = await tcpLogin(port(), 'hal@example.com', b.token, 'b');
  const [slotA, slotB] = [await slot(viaA, 'example.com', 'sa'), await slot(viaB, 'example.com', 'sb')];
  assert.equal((await gw.api('DELETE', '/api/v1/session', { token: a.token })).status, 204);
  const refused = await upload(slotA);
  assert.equal(refused.status, 410);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'slot_revoked');
  assert.equal((await upload(slotB)).status, 201);
});

test('a hibernating XEP-0198 session of a signed-out device ends (it cannot be resumed); one of another device can', async () => {
  await gw.user('ida@example.com', PW);
  const [a, b, c] = [await signIn(gw, 'ida@example.com', PW, 'A'), await signIn(gw, 'ida@example.com', PW, 'B'), await signIn(gw, 'ida@example.com', PW, 'C')];
  const smLogin = async (token: string, resource: string) => {
    const s = await tcpLogin(port(), 'ida@example.com', token, resource);
    s.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    const enabled = await s.next((e) => e.name === 'enabled');
    return Object.assign(s, { smId: enabled.attrs.id as string });
  };
  const [x, y] = [await smLogin(a.token, 'x'), await smLogin(c.token, 'y')];
  const before = gw.xmpp!.sessionCount();
  x.kill();
  y.kill();
  // Both connections are gone; the sessions hibernate (still counted).
  const witness = await tcpLogin(port(), 'ida@example.com', b.token, 'witness');
  await witness.ping();
  assert.equal(gw.xmpp!.sessionCount(), before + 1);

  assert.equal((await gw.api('DELETE', '/api/v1/session', { token: a.token })).status, 204);
  const resume = async (previd: string) => {
    const r = await tcpAuthenticated(port(), 'ida@example.com', b.token);
    r.send(`<resume xmlns='urn:xmpp:sm:3' previd='${previd}' h='0'/>`);
    return (await r.next((e) => e.name === 'resumed' || e.name === 'failed')).name;
  };
  assert.equal(await resume(x.smId), 'failed', 'the signed-out device’s session ended while hibernating');
  assert.equal(await resume(y.smId), 'resumed', 'another device’s hibernating session is still there');
});

test('a SCRAM login whose password changes between the challenge and the proof is refused, saying why', async () => {
  const { scramClientProof } = await import('../../gateway/src/directory/scram.ts');
  const { connectRaw, streamOpen } = await import('../fixtures/xmpp-raw.ts');
  await gw.user('jan@example.com', PW);
  const c = await connectRaw(port());
  c.send(streamOpen('example.com'));
  await c.next((e) => e.name === 'stream:features');
  const clientFirstBare = `n=jan,r=${Buffer.from('race nonce').toString('base64')}`;
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${Buffer.from(`n,,${clientFirstBare}`).toString('base64')}</auth>`);
  const serverFirst = Buffer.from((await c.next((e) => e.name === 'challenge')).getText(), 'base64').toString();
  // The admin changes the password while the client computes its proof from the old one.
  await gw.services.directory.setPassword('jan@example.com', 'changed while logging in');
  const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${a.r}`;
  const { proof } = await scramClientProof('sha256', PW, Buffer.from(a.s!, 'base64'), Number(a.i), `${clientFirstBare},${serverFirst},${withoutProof}`);
  c.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64')}</response>`);
  const answer = await c.next((e) => e.name === 'success' || e.name === 'failure');
  assert.equal(answer.name, 'failure', answer.toString());
  assert.ok(answer.getChild('not-authorized'));
  assert.equal(answer.getChildText('text'), 'your password was changed');
  await c.closed;
});
