// Herald's IM on a two-node ejabberd cluster on loopback (issue 17, "Proven how"): Debian's
// ejabberd 23.01 twice (test/fixtures/ejabberd-cluster.ts: herald1@localhost, herald2@localhost,
// a private epmd, node 2 joined with ejabberd_admin:join_cluster), each node's ejabberd.yml written
// by `herald-gateway ejabberd config` from the same settings with only its ports changed (through
// the environment), both running `herald-gateway extauth` on the same data folder. The shared
// roster is put in step through node 1's HTTP API only, and `serve` (xmpp.mode=external) talks to
// node 1's API only: what is seen on node 2 went through the cluster.
//
// Users of one domain are spread across the nodes (alice on node 1's c2s port, bob on node 2's):
// logins with a password and a device token, the domain roster, presence and chat across nodes,
// a room with occupants on both nodes, the message archive (MAM) read on either node, a revocation
// kicking the session on the node it is on, the IM switch ending sessions on both nodes and
// refusing logins on both, and node 2 killed with SIGKILL mid-chat while node 1 keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { createServices } from '../../gateway/src/main.ts';
import { createEjabberdApi } from '../../gateway/src/xmpp/external/ejabberd-api.ts';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { createCli } from '../fixtures/cli.ts';
import { startEjabberdCluster, type ClusterNode, type TestEjabberdCluster } from '../fixtures/ejabberd-cluster.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import { newChat, until, type TestChat } from './desktop-chat-helpers.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-cluster-'));
const dataDir = path.join(dir, 'data');
const configFile = path.join(dir, 'herald.json');
const { cli } = createCli(dataDir);
let cluster: TestEjabberdCluster | undefined;
let gw: TestGateway | undefined;
let n1: ClusterNode;
let n2: ClusterNode;
const tokens: Record<string, string> = {};
const clients: Slixmpp[] = [];
const desktops: TestChat[] = [];
let certFile = '';

async function ok(args: string[], env?: Record<string, string>) {
  const r = await cli(args, { env });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

// Two ejabberd starts, a join (node 2 restarts) and extauth programs: a minute or two on a busy 2-core machine.
before(async () => {
  const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
  for (const d of ['example.com', 'other.example']) services.directory.addDomain(d);
  for (const [a, pw] of [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12'], ['erin@example.com', 'erin password 1'], ['dan@other.example', 'dan password 12']]) await services.directory.addUser(a!, pw!);
  for (const a of ['alice@example.com', 'bob@example.com']) tokens[a] = services.tokens.issueDevice(services.directory.get(a)!, 'laptop');
  services.store.close();

  const cert = makeTestCertificate(dir, ['example.com', 'other.example']);
  certFile = cert.certFile;
  writeFileSync(configFile, JSON.stringify({ xmpp: { external: { listenHost: '127.0.0.1', publicHost: '127.0.0.1', websocketTls: false, certfiles: [cert.certFile, cert.keyFile] } } }));
  cluster = await startEjabberdCluster({
    dir,
    // One settings file for the cluster; each node's ports through the environment (README "Running IM on an ejabberd cluster").
    writeConfig: async (index, p) => {
      const yml = path.join(dir, `ejabberd-node${index}.yml`);
      await ok(['ejabberd', 'config', '--config', configFile, '--out', yml], {
        HERALD__XMPP__EXTERNAL__C2S_PORT: String(p.c2sPort),
        HERALD__XMPP__EXTERNAL__WEBSOCKET_PORT: String(p.websocketPort),
        HERALD__XMPP__EXTERNAL__API_PORT: String(p.apiPort),
      });
      return yml;
    },
  });
  [n1, n2] = cluster.nodes;
  const synced = await ok(['ejabberd', 'roster', '--config', configFile], { HERALD__XMPP__EXTERNAL__API_PORT: String(n1.apiPort) });
  assert.match(synced.stdout, /2 group\(s\) written, 4 member\(s\) added/);
  // Desktops are pointed at node 1 (a load balancer in front of the nodes would be the real-world publicHost).
  gw = await startTestGateway({ 'xmpp.mode': 'external', 'xmpp.external.apiPort': n1.apiPort, 'xmpp.external.c2sPort': n1.c2sPort, 'xmpp.external.websocketPort': n1.websocketPort, 'xmpp.external.websocketTls': false, 'xmpp.external.publicHost': '127.0.0.1' }, { dataDir });
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(desktops.map((d) => d.chat.disconnect().catch(() => {})));
  for (const d of desktops) rmSync(d.dir, { recursive: true, force: true });
  await gw?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(node: ClusterNode, jid: string, password: string, label: string, resource = 'slix') {
  const c = await startSlixmpp({ label: `${label} on ${node.name}` });
  clients.push(c);
  const r = await c.call('connect', { jid: `${jid}/${resource}`, password, host: '127.0.0.1', port: node.c2sPort, starttls: true, sm: false }, 30_000);
  return { c, roster: r.roster! };
}

async function refused(node: ClusterNode, jid: string, password: string, label: string) {
  const c = await startSlixmpp({ label: `${label} on ${node.name}` });
  clients.push(c);
  await assert.rejects(c.call('connect', { jid: `${jid}/y`, password, host: '127.0.0.1', port: node.c2sPort, starttls: true, sm: false }, 30_000), `${label} is refused on ${node.name}`);
}

/** Polls a condition (ejabberd gives no event for it) until it holds, or fails after 60 s. */
async function waitFor(cond: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 60_000;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`not within 60 s: ${what}`);
    await sleep(100);
  }
}

/** `to` is connected: a message sent to it now arrives. */
async function chat(from: Slixmpp, to: Slixmpp, toJid: string, body: string) {
  await from.call('send', { to: toJid, body });
  return to.next({ event: 'message', body }, 15_000);
}

test('the cluster: both nodes run one Mnesia (running_db_nodes on each lists both)', async () => {
  for (const n of [n1, n2]) assert.deepEqual(await cluster!.runningDbNodes(n), ['herald1@localhost', 'herald2@localhost']);
});

test('one domain across two nodes: password login on node 1, device token on node 2, the domain roster on both, presence and chat both ways, the archive on either node', { timeout: 300_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice (password)');
  assert.deepEqual(alice.roster.map((i) => i.jid).sort(), ['bob@example.com', 'erin@example.com'], 'the domain, from the shared roster written through node 1');
  const bob = await login(n2, 'bob@example.com', tokens['bob@example.com']!, 'bob (device token)');
  assert.deepEqual(bob.roster.map((i) => i.jid).sort(), ['alice@example.com', 'erin@example.com'], 'the same shared roster seen on node 2');
  // Presence crosses nodes: bob came online on node 2, alice (node 1) is told; bob got alice's on login.
  await alice.c.next({ event: 'presence', type: 'available', from: 'bob@example.com/slix' }, 30_000);
  await bob.c.next({ event: 'presence', type: 'available', from: 'alice@example.com/slix' }, 30_000);

  const got = await chat(alice.c, bob.c, 'bob@example.com', 'node 1 to node 2');
  assert.equal((got as { from: string }).from, 'alice@example.com/slix');
  await chat(bob.c, alice.c, 'alice@example.com', 'node 2 to node 1');

  // mod_mam's archive is a cluster table: both messages are in either user's archive, read on either node.
  for (const [c, other] of [[alice.c, 'bob@example.com'], [bob.c, 'alice@example.com']] as const) {
    const r = await c.call('mam_query', { with: other });
    assert.deepEqual(r.messages.map((m) => m.body), ['node 1 to node 2', 'node 2 to node 1']);
  }
  // Alice on node 2 as well (a second resource): her archive there is the same.
  const alice2 = await login(n2, 'alice@example.com', tokens['alice@example.com']!, 'alice (device token)', 'second');
  const r = await alice2.c.call('mam_query', { with: 'bob@example.com' });
  assert.deepEqual(r.messages.map((m) => m.body), ['node 1 to node 2', 'node 2 to node 1']);
  await Promise.all([alice.c.close(), bob.c.close(), alice2.c.close()]);
});

test('a room with occupants on both nodes: join, messages both ways, the room archive', { timeout: 300_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice (room)');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob (room)');
  const room = 'team@conference.example.com';
  const created = await alice.c.call('muc_join', { room, nick: 'alice', persistent: true });
  assert.equal(created.created, true);
  const joined = await bob.c.call('muc_join', { room, nick: 'bob' });
  assert.ok(joined.occupants.includes('alice'), `bob (node 2) sees alice (node 1) in the room: ${joined.occupants.join()}`);
  await alice.c.next({ event: 'presence', from: `${room}/bob` }, 15_000);
  await alice.c.call('muc_send', { room, body: 'room hello from node 1' });
  await bob.c.next({ event: 'message', type: 'groupchat', body: 'room hello from node 1' }, 15_000);
  await bob.c.call('muc_send', { room, body: 'room reply from node 2' });
  await alice.c.next({ event: 'message', type: 'groupchat', body: 'room reply from node 2' }, 15_000);
  const archive = await bob.c.call('mam_query', { jid: room });
  assert.deepEqual(archive.messages.map((m) => m.body), ['room hello from node 1', 'room reply from node 2']);
  await Promise.all([alice.c.close(), bob.c.close()]);
});

test('the desktop core chats through the cluster: alice\'s desktop takes /api/v1/config (WebSocket to node 1), bob\'s is on node 2 (TCP + STARTTLS); device tokens, the domain as contacts, presence and messages both ways', { timeout: 300_000 }, async () => {
  const issue = (a: string) => gw!.services.tokens.issueDevice(gw!.services.directory.get(a)!, 'desktop');
  const aliceToken = issue('alice@example.com');
  const { json } = await gw!.api('GET', '/api/v1/config', { token: aliceToken });
  assert.deepEqual(json.xmpp.tcp, { host: '127.0.0.1', port: n1.c2sPort });
  assert.equal(json.xmpp.websocketUrl, `ws://127.0.0.1:${n1.websocketPort}/ws`);
  const pem = readFileSync(certFile, 'utf8');
  const alice = newChat();
  const bob = newChat();
  desktops.push(alice, bob);
  await alice.chat.connect({ websocketUrl: json.xmpp.websocketUrl, tcp: json.xmpp.tcp, domain: 'example.com', jid: 'alice@example.com', deviceToken: aliceToken, trustedCertificates: [pem] });
  await bob.chat.connect({ websocketUrl: '', tcp: { host: '127.0.0.1', port: n2.c2sPort }, domain: 'example.com', jid: 'bob@example.com', deviceToken: issue('bob@example.com'), transport: 'tcp', trustedCertificates: [pem] });
  await until('the domain as contacts on both desktops', () => ['bob', 'erin'].every((u) => alice.chat.contacts().some((c) => c.jid === `${u}@example.com`)) && bob.chat.contacts().some((c) => c.jid === 'alice@example.com'), 30_000);
  await until('bob online for alice and alice for bob, across the nodes', () => alice.chat.contacts().find((c) => c.jid === 'bob@example.com')?.show === 'online' && bob.chat.contacts().find((c) => c.jid === 'alice@example.com')?.show === 'online', 30_000);
  await alice.chat.send({ to: 'bob@example.com', kind: 'chat', body: 'desktop on node 1 to desktop on node 2' });
  await bob.next('message', (e) => e.message.body === 'desktop on node 1 to desktop on node 2', 15_000);
  await bob.chat.send({ to: 'alice@example.com', kind: 'chat', body: 'and back' });
  await alice.next('message', (e) => e.message.body === 'and back', 15_000);
  await bob.chat.setPresence({ show: 'away', status: 'At lunch' });
  const seen = await alice.next('presence', (e) => e.jid === 'bob@example.com' && e.show === 'away', 15_000);
  assert.equal(seen.status, 'At lunch');
  await Promise.all([alice.chat.disconnect(), bob.chat.disconnect()]);
});

test('a file uploaded through one node (XEP-0363) is served by the other too: the nodes share xmpp.external.uploadDir (the data folder\'s, on one machine)', { timeout: 300_000 }, async () => {
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob (upload)', 'upload');
  const file = path.join(dir, 'cluster-notes.txt');
  writeFileSync(file, 'uploaded on one node, fetched from the other\n');
  const up = await bob.c.call('upload', { path: file }, 30_000);
  assert.equal(up.service, 'upload.example.com');
  const url = new URL(up.url);
  const other = Number(url.port) === n2.websocketPort ? n1 : n2;
  assert.equal(Number(url.port), other === n1 ? n2.websocketPort : n1.websocketPort, 'the slot came from one of the nodes');
  url.port = String(other.websocketPort);
  assert.equal(await (await fetch(url)).text(), 'uploaded on one node, fetched from the other\n');
  await bob.c.close();
});

test('a device token revoked while serve runs ends the session on node 2 through node 1\'s HTTP API; the same user\'s token on node 1 too', { timeout: 300_000 }, async () => {
  const bob = await login(n2, 'bob@example.com', tokens['bob@example.com']!, 'bob (token, to be revoked)');
  const alice = await login(n1, 'alice@example.com', tokens['alice@example.com']!, 'alice (token, to be revoked)');
  const erin = await login(n2, 'erin@example.com', 'erin password 1', 'erin');
  await ok(['token', 'revoke', 'bob@example.com']);
  const why = (await bob.c.next({ event: 'stream_error' }, 60_000)) as { text: string | null };
  assert.equal(why.text, 'your device was signed out');
  await bob.c.next({ event: 'disconnected' }, 30_000);
  await ok(['token', 'revoke', 'alice@example.com']);
  await alice.c.next({ event: 'disconnected' }, 60_000);
  // erin (node 2) stays: her session was not touched.
  const dan = await login(n1, 'dan@other.example', 'dan password 12', 'dan');
  await chat(dan.c, erin.c, 'erin@example.com', 'erin is still here');
  await refused(n1, 'bob@example.com', tokens['bob@example.com']!, 'revoked token');
  await refused(n2, 'alice@example.com', tokens['alice@example.com']!, 'revoked token');
  await Promise.all([erin.c.close(), dan.c.close()]);
});

test('IM switched off for a domain ends its sessions on both nodes and refuses logins on both; another domain stays; on again, logins work', { timeout: 300_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice (IM off)');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob (IM off)');
  const dan = await login(n2, 'dan@other.example', 'dan password 12', 'dan (IM off)');
  await ok(['domain', 'set', 'example.com', '--im', 'off']);
  await Promise.all([alice.c.next({ event: 'disconnected' }, 60_000), bob.c.next({ event: 'disconnected' }, 60_000)]);
  await chat(dan.c, dan.c, 'dan@other.example', 'other.example still chats');
  await refused(n1, 'alice@example.com', 'alice password 1', 'IM off');
  await refused(n2, 'bob@example.com', 'bob password 12', 'IM off');
  await ok(['domain', 'set', 'example.com', '--im', 'on']);
  const again = await login(n2, 'alice@example.com', 'alice password 1', 'alice (IM on again)');
  await Promise.all([again.c.close(), dan.c.close()]);
});

test('node 2 killed (SIGKILL) mid-chat: node 1 keeps serving — its sessions chat on, logins work, a message to the lost user waits offline', { timeout: 300_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice (kill)');
  const erin = await login(n1, 'erin@example.com', 'erin password 1', 'erin (kill)');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob (kill)');
  await chat(alice.c, bob.c, 'bob@example.com', 'before the crash');
  await cluster!.nodes[1].ejabberd.kill();
  await bob.c.next({ event: 'disconnected' }, 30_000);
  // Node 1 sees node 2 go: Mnesia drops it, and ejabberd_sm drops its sessions from the shared
  // session table (waited for through node 1's HTTP API). Contacts are NOT sent an unavailable
  // presence for them (in ejabberd that is the dead node's c2s process's job): alice's client
  // keeps showing bob online until he comes back.
  const resources = createEjabberdApi({ url: `http://127.0.0.1:${n1.apiPort}/api` });
  await waitFor(async () => (await resources.call<string[]>('user_resources', { user: 'bob', host: 'example.com' })).length === 0, 'bob\'s session leaves the cluster\'s session table');
  assert.deepEqual(await cluster!.runningDbNodes(n1), ['herald1@localhost']);
  await chat(alice.c, erin.c, 'erin@example.com', 'node 1 still carries the chat');
  await alice.c.call('send', { to: 'bob@example.com', body: 'while your node was down' });
  // bob logs in again, on node 1: extauth works there, and the message waited in offline storage.
  const back = await login(n1, 'bob@example.com', 'bob password 12', 'bob (back on node 1)');
  await back.c.next({ event: 'message', body: 'while your node was down' }, 30_000);
  await chat(back.c, alice.c, 'alice@example.com', 'back through node 1');
});
