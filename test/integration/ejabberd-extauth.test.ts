// Herald's IM on a real ejabberd node (Debian's 23.01): the data folder made with the CLI, the
// configuration written by `herald-gateway ejabberd config`, ejabberd started with it (its
// extauth_program is `herald-gateway extauth` on the same folder), the shared roster put in step
// by `herald-gateway ejabberd roster`; then slixmpp logs in with a password and with a device
// token, a wrong password fails, the roster shows the domain and the linked domain, a message
// arrives, and a token revoked / a domain's IM switched off through the CLI is refused at the
// next login. Live sessions ended on revocation: ejabberd-revocation.test.ts; two nodes: ejabberd-cluster.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { createServices } from '../../gateway/src/main.ts';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { createCli } from '../fixtures/cli.ts';
import { startEjabberd, type TestEjabberd } from '../fixtures/ejabberd.ts';
import { freePort } from '../fixtures/peer-utils.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-'));
const dataDir = path.join(dir, 'data');
const { cli } = createCli(dataDir);
let ejabberd: TestEjabberd | undefined;
let c2sPort = 0;
let token = '';
const clients: Slixmpp[] = [];

async function ok(args: string[], input?: string) {
  const r = await cli(args, { input });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

// ejabberd and its extauth programs take seconds to start on a busy 2-core machine.
before(async () => {
  // The directory is made in-process (the CLI's commands are covered elsewhere; each costs seconds to start here).
  const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
  for (const d of ['example.com', 'other.example', 'third.example']) services.directory.addDomain(d);
  for (const [a, pw] of [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12'], ['carol@other.example', 'carol password 1'], ['dan@third.example', 'dan password 12']]) await services.directory.addUser(a!, pw!);
  services.directory.linkDomains('example.com', 'other.example');
  token = services.tokens.issueDevice(services.directory.get('bob@example.com')!, 'laptop');
  services.store.close();

  const cert = makeTestCertificate(dir, ['example.com', 'other.example', 'third.example']);
  c2sPort = await freePort();
  const [websocketPort, apiPort] = [await freePort(), await freePort()];
  const configFile = path.join(dir, 'herald.json');
  writeFileSync(configFile, JSON.stringify({ xmpp: { external: { listenHost: '127.0.0.1', c2sPort, websocketPort, websocketTls: false, apiPort, certfiles: [cert.certFile, cert.keyFile] } } }));
  const yml = path.join(dir, 'ejabberd.yml');
  const written = await ok(['ejabberd', 'config', '--config', configFile, '--out', yml]);
  assert.match(written.stderr, /wrote .*ejabberd.yml/);
  assert.match(readFileSync(yml, 'utf8'), new RegExp(`extauth_program: ".* extauth --data ${dataDir} --config ${configFile}"`));
  // extauth (a child of ejabberd) logs to the VM's stderr, which the fixture keeps.
  ejabberd = await startEjabberd({ dir, configFile: yml, waitPorts: [c2sPort, websocketPort, apiPort], env: { HERALD_LOG_LEVEL: 'info' } });
  const synced = await ok(['ejabberd', 'roster', '--config', configFile]);
  assert.match(synced.stdout, /5 group\(s\) written, 7 member\(s\) added, 0 removed/);
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await ejabberd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(jid: string, password: string, label = jid) {
  const c = await startSlixmpp({ label });
  clients.push(c);
  const r = await c.call('connect', { jid: `${jid}/slix`, password, host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000);
  return { c, roster: r.roster! };
}

test('ejabberd with the generated configuration: password and device token log in, a wrong password does not; the roster is the domain and the linked domain; a message arrives', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1');
  assert.deepEqual(alice.roster.map((i) => i.jid).sort(), ['bob@example.com', 'carol@other.example'], 'colleague and linked domain, not third.example');
  assert.ok(alice.roster.every((i) => i.subscription === 'both'));
  const bob = await login('bob@example.com', token, 'bob (device token)');
  assert.ok(bob.roster.some((i) => i.jid === 'alice@example.com'));
  const carol = await login('carol@other.example', 'carol password 1');
  assert.deepEqual(carol.roster.map((i) => i.jid).sort(), ['alice@example.com', 'bob@example.com']);
  const dan = await login('dan@third.example', 'dan password 12');
  assert.deepEqual(dan.roster, [], 'an unlinked domain sees nobody else');

  const bad = await startSlixmpp({ label: 'wrong password' });
  clients.push(bad);
  await assert.rejects(bad.call('connect', { jid: 'alice@example.com/x', password: 'not her password', host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000));

  await alice.c.call('send', { to: 'bob@example.com', body: 'Hello through ejabberd' });
  const got = await bob.c.next({ event: 'message', body: 'Hello through ejabberd' }, 15_000);
  assert.match((got as { from: string }).from, /^alice@example\.com\//);
  await carol.c.call('send', { to: 'alice@example.com', body: 'Hi from the linked domain' });
  await alice.c.next({ event: 'message', body: 'Hi from the linked domain' }, 15_000);
  assert.doesNotMatch(ejabberd!.log(), /alice password 1|not her password|hdt_/, 'no password or token in the logs');
});

test('a token revoked and a domain switched off with the CLI are refused at the next ejabberd login; a removed user leaves the shared roster', { timeout: 300_000 }, async () => {
  await ok(['token', 'revoke', 'bob@example.com']);
  const revoked = await startSlixmpp({ label: 'revoked token' });
  clients.push(revoked);
  await assert.rejects(revoked.call('connect', { jid: 'bob@example.com/y', password: token, host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000));

  await ok(['domain', 'set', 'third.example', '--im', 'off']);
  const off = await startSlixmpp({ label: 'IM off' });
  clients.push(off);
  await assert.rejects(off.call('connect', { jid: 'dan@third.example/y', password: 'dan password 12', host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000));
  assert.match(ejabberd!.log(), /instant messaging is disabled for third.example/);

  await ok(['user', 'del', 'carol@other.example']);
  const synced = await ok(['ejabberd', 'roster', '--config', path.join(dir, 'herald.json')]);
  assert.match(synced.stdout, /0 member\(s\) added, 2 removed/, 'carol left her domain group and the link group');
  const alice = await login('alice@example.com', 'alice password 1', 'alice again');
  assert.deepEqual(alice.roster.map((i) => i.jid), ['bob@example.com']);
});
