// xmpp.mode=external on a real ejabberd node (Debian's 23.01): the server's own IMs — SEM files,
// alert rules on new mail, a calendar reminder from Radicale — go through ejabberd's HTTP API (xmpp/external/ejabberd-server-im.ts) and
// reach a real XMPP client (slixmpp) from herald@<domain>, logged once in the central IM log. A SEM
// file leaves the spool only once ejabberd took the message: with ejabberd down the files stay, and
// after it is back every one arrives exactly once. Bad files go to bad/ as in embedded mode. ejabberd's
// archive keeps the mark that tells a feed of the central log these were logged already.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Element, parse } from 'ltx';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { IM_LOG_FILE, imLogDir, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { createServices } from '../../gateway/src/main.ts';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { isServerImStanza, loadServerImKey, NS_SERVER_IM, serverImStanza } from '../../gateway/src/xmpp/external/ejabberd-server-im.ts';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { createCli } from '../fixtures/cli.ts';
import { startEjabberd, type TestEjabberd } from '../fixtures/ejabberd.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { freePort } from '../fixtures/peer-utils.ts';
import { startRadicale, type Radicale } from '../fixtures/radicale.ts';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';
import { ics, wholeSecond } from './calendar-helpers.ts';
import { badReason, drop, sem, waitFor } from './sem-spool-helpers.ts';

type Msg = Extract<SlixEvent, { event: 'message' }>;
const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-server-im-'));
const dataDir = path.join(dir, 'data');
const { cli } = createCli(dataDir);
const yml = path.join(dir, 'ejabberd.yml');
const archiveDb = path.join(dir, 'mam.db');
let ejabberd: TestEjabberd | undefined;
let radicale: Radicale | undefined;
let gw: TestGateway;
let c2sPort = 0;
let waitPorts: number[] = [];
const clients: Slixmpp[] = [];
let gwConfig: Record<string, unknown> = {};
const PW = { alice: 'alice password 1', bob: 'bob password 12', carol: 'carol password 1', dave: 'dave password 12' } as const;
/** xmpp.offlineQuota, for ejabberd's configuration and the gateway alike. */
const QUOTA = 3;

before(async () => {
  const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
  services.directory.addDomain('example.com');
  for (const [u, pw] of Object.entries(PW)) await services.directory.addUser(`${u}@example.com`, pw);
  services.directory.addDomain('quiet.example');
  await services.directory.addUser('frank@quiet.example', 'frank password 1');
  services.store.close();
  assert.equal((await cli(['domain', 'set', 'quiet.example', '--im', 'off'])).code, 0);

  const cert = makeTestCertificate(dir, ['example.com', 'quiet.example']);
  c2sPort = await freePort();
  const [websocketPort, apiPort] = [await freePort(), await freePort()];
  waitPorts = [c2sPort, websocketPort, apiPort];
  const configFile = path.join(dir, 'herald.json');
  // The archive on SQLite, tailed by the gateway into the central IM log (xmpp.external.archiveDb).
  writeFileSync(configFile, JSON.stringify({ xmpp: { offlineQuota: QUOTA, external: { listenHost: '127.0.0.1', c2sPort, websocketPort, websocketTls: false, apiPort, certfiles: [cert.certFile, cert.keyFile], archiveDb } } }));
  const r = await cli(['ejabberd', 'config', '--config', configFile, '--out', yml]);
  assert.equal(r.code, 0, r.stderr);
  ejabberd = await startEjabberd({ dir, configFile: yml, waitPorts });
  radicale = await startRadicale({ users: { alice: 'alice-secret' } });
  await radicale.mkcalendar('alice', 'work', 'Work');
  gwConfig = {
      'im.calendar.url': `${radicale.url}/{local}/`,
      'im.calendar.username': radicale.service.name,
      'im.calendar.password': radicale.service.password,
      'im.calendar.pollSeconds': 1,
      'im.calendar.defaultLeadMinutes': 0,
      'xmpp.mode': 'external',
      'xmpp.external.apiPort': apiPort,
      'xmpp.external.c2sPort': c2sPort,
      'xmpp.external.archiveDb': archiveDb,
      'xmpp.offlineQuota': QUOTA,
      'im.calendar.invitations': 'connected',
      'im.alerts.rules': [{ name: 'Invoices', users: ['carol@example.com'], conditions: { subject: { match: 'contains', value: 'invoice' } }, action: { template: 'Invoice mail: $SUBJECT$' } }],
  };
  gw = await startTestGateway(gwConfig, { dataDir });
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw?.destroy();
  await ejabberd?.stop();
  await radicale?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(user: keyof typeof PW, label: string = user, trace = false) {
  const c = await startSlixmpp({ label });
  clients.push(c);
  await c.call('connect', { jid: `${user}@example.com/slix`, password: PW[user], host: '127.0.0.1', port: c2sPort, starttls: true, sm: false, trace }, 30_000);
  return c;
}

function logLines(type: ImLogLine['type']): ImLogLine[] {
  const d = imLogDir(dataDir);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((n) => IM_LOG_FILE.test(n))
    .sort()
    .flatMap((f) => readFileSync(path.join(d, f), 'utf8').split('\n').filter(Boolean).map(parseImLogLine))
    .filter((l) => l.type === type);
}

/** SEM files not yet taken or still being delivered. */
const waiting = () => readdirSync(gw.spool.dir).filter((n) => n.endsWith('.SEM')).length + readdirSync(path.join(gw.spool.dir, 'work')).length;

test('a SEM file becomes an IM from herald@example.com at the recipient\'s ejabberd session, logged once as scripted; the file is gone', { timeout: 300_000 }, async () => {
  const alice = await login('alice');
  drop(gw.spool.dir, 'IM-1', sem('alice@example.com', 'herald@example.com', 'backup finished'));
  const m = await alice.next<Msg>((e) => e.event === 'message' && e.body === 'backup finished', 30_000);
  assert.equal(m.from, 'herald@example.com');
  assert.equal(m.type, 'chat');
  assert.match(m.id ?? '', /./, 'a stable stanza id');
  await waitFor(() => waiting() === 0, 10_000, 'the file removed');
  assert.deepEqual(
    logLines('scripted').map((l) => [l.from, l.to, l.body]),
    [['herald@example.com', 'alice@example.com', 'backup finished']],
  );
  await alice.close();
});

test('an offline recipient: the file is removed once ejabberd stored the message; it arrives at the next login', { timeout: 300_000 }, async () => {
  drop(gw.spool.dir, 'IM-2', sem('bob@example.com', 'monitoring@example.com', 'disk almost full'));
  await waitFor(() => waiting() === 0, 30_000, 'the file taken and removed');
  const bob = await login('bob');
  const m = await bob.next<Msg>((e) => e.event === 'message' && e.body === 'disk almost full', 30_000);
  assert.equal(m.from, 'monitoring@example.com');
  assert.ok(m.delay, 'from offline storage (XEP-0203 delay)');
  await bob.close();
});

test('bad SEM files go to bad/ with a reason, as in embedded mode; unknown recipients too; the next file is delivered', { timeout: 300_000 }, async () => {
  const alice = await login('alice', 'alice (bad files)');
  drop(gw.spool.dir, 'IM-3', 'only one line');
  drop(gw.spool.dir, 'IM-4', sem('nobody@example.com', 'herald@example.com', 'to nobody'));
  drop(gw.spool.dir, 'IM-5', sem('alice@example.com', 'herald@example.com', 'after the bad ones'));
  await alice.next<Msg>((e) => e.event === 'message' && e.body === 'after the bad ones', 30_000);
  await waitFor(() => badReason(gw.spool.dir, 'IM-3.SEM') !== undefined && badReason(gw.spool.dir, 'IM-4.SEM') !== undefined, 10_000, 'both in bad/');
  assert.match(badReason(gw.spool.dir, 'IM-4.SEM')!, /nobody@example\.com is not a user here/);
  assert.equal(logLines('scripted').filter((l) => l.to === 'nobody@example.com').length, 0, 'a refused message is not logged');
  // IM switched off for a domain: its users get no server IMs (extauth refuses their logins).
  drop(gw.spool.dir, 'IM-6', sem('frank@quiet.example', 'herald@quiet.example', 'IM is off here'));
  await waitFor(() => badReason(gw.spool.dir, 'IM-6.SEM'), 30_000, 'IM-6 in bad/');
  assert.match(badReason(gw.spool.dir, 'IM-6.SEM')!, /instant messaging is switched off for quiet\.example/);
  await alice.close();
});

test('an offline recipient whose ejabberd offline store is full: the file goes to bad/ (as embedded), not lost', { timeout: 300_000 }, async () => {
  for (let i = 1; i <= QUOTA; i++) drop(gw.spool.dir, `IM-3${i}`, sem('dave@example.com', 'herald@example.com', `for dave ${i}`));
  await waitFor(() => waiting() === 0, 30_000, 'the files taken');
  drop(gw.spool.dir, 'IM-39', sem('dave@example.com', 'herald@example.com', 'one too many'));
  await waitFor(() => badReason(gw.spool.dir, 'IM-39.SEM'), 30_000, 'IM-39 in bad/');
  assert.match(badReason(gw.spool.dir, 'IM-39.SEM')!, /dave@example\.com is offline and their offline message store is full \(3 messages\)/);
  assert.equal(logLines('scripted').filter((l) => l.body === 'one too many').length, 0, 'not logged');
  const dave = await login('dave');
  for (let i = 1; i <= QUOTA; i++) await dave.next<Msg>((e) => e.event === 'message' && e.body === `for dave ${i}`, 30_000);
  await dave.close();
});

test('an alert rule on new mail sends its IM through ejabberd, from herald@example.com, logged as alert', { timeout: 300_000 }, async () => {
  const carol = await login('carol');
  // The rule's watch of carol's mailbox is open (folders read) before the mail comes.
  const token = await gw.user('carol@example.com');
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 200);
  await deliverToMaildir(path.join(dataDir, 'mail', 'example.com', 'carol'), composeMessage({ from: 'Billing <billing@example.net>', to: 'carol@example.com', subject: 'Invoice 77' }));
  const m = await carol.next<Msg>((e) => e.event === 'message' && e.from === 'herald@example.com', 30_000);
  assert.equal(m.body, 'Invoice mail: Invoice 77');
  await waitFor(() => logLines('alert').some((l) => l.to === 'carol@example.com' && l.body === 'Invoice mail: Invoice 77'), 10_000, 'the alert line');
  assert.equal(logLines('alert').filter((l) => l.to === 'carol@example.com').length, 1);
  await carol.close();
});

test('a calendar reminder from Radicale reaches alice through ejabberd at its trigger, from herald@example.com, logged as alert', { timeout: 300_000 }, async () => {
  const alice = await login('alice', 'alice (reminder)');
  const start = wholeSecond(Date.now()) + 34_000;
  await radicale!.put('alice', 'work', 'standup.ics', ics({ uid: 'standup-1', summary: 'Standup', start, minutes: 15, alarms: ['-PT30S'] }));
  const m = await alice.next<Msg>((e) => e.event === 'message' && (e.body ?? '').startsWith('Reminder: Standup'), 30_000);
  console.log(`# reminder arrived ${Date.now() - (start - 30_000)} ms after its trigger`);
  assert.equal(m.from, 'herald@example.com');
  await waitFor(() => logLines('alert').some((l) => l.to === 'alice@example.com' && l.body.startsWith('Reminder: Standup')), 10_000, 'the reminder logged');
  // Recorded as sent once ejabberd took it: the next rounds (1 s poll) do not send it again.
  await waitFor(() => gw.calendar.reminders!.status().find((u) => u.address === 'alice@example.com' && u.lastSync !== undefined && u.lastSync > Date.now() - 500 && u.pending === 0), 10_000, 'a later round');
  drop(gw.spool.dir, 'IM-40', sem('alice@example.com', 'herald@example.com', 'after the reminder'));
  await alice.next<Msg>((e) => e.event === 'message' && e.body === 'after the reminder', 30_000);
  assert.equal(alice.events.filter((e) => e.event === 'message' && (e.body ?? '').startsWith('Reminder: Standup')).length, 1, 'once');
  assert.equal(logLines('alert').filter((l) => l.body.startsWith('Reminder: Standup')).length, 1, 'logged once');
  await alice.close();
});

test('a burst of 200 SEM files to an online user: each arrives once, in order (rate measured)', { timeout: 300_000 }, async () => {
  const alice = await login('alice', 'alice (burst)');
  const N = 200;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) drop(gw.spool.dir, `IM-5${String(i).padStart(3, '0')}`, sem('alice@example.com', 'herald@example.com', `burst ${i}`));
  await alice.next<Msg>((e) => e.event === 'message' && e.body === `burst ${N - 1}`, 120_000);
  const ms = performance.now() - t0;
  console.log(`# ${N} SEM files through ejabberd's HTTP API in ${ms.toFixed(0)} ms: ${((N * 1000) / ms).toFixed(0)} messages/s (one delivery at a time)`);
  const got = alice.events.filter((e): e is Msg => e.event === 'message' && (e.body ?? '').startsWith('burst ')).map((e) => e.body);
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => `burst ${i}`));
  await alice.close();
});

test('ejabberd down: SEM files stay in the spool; ejabberd back: each arrives once, logged once', { timeout: 600_000 }, async () => {
  await ejabberd!.stop();
  ejabberd = undefined;
  const before = logLines('scripted').length;
  const bodies = ['while down 1', 'while down 2', 'while down 3'];
  bodies.forEach((b, i) => drop(gw.spool.dir, `IM-1${i}`, sem('bob@example.com', 'herald@example.com', b)));
  // The spool tried (and says why it waits) — the files are all still there.
  await waitFor(() => gw.spool.status().problem, 30_000, 'the spool to report the problem');
  assert.match(gw.spool.status().problem!, /ejabberd's HTTP API .* cannot be reached/);
  assert.equal(waiting(), 3, 'no file removed while ejabberd is down');
  ejabberd = await startEjabberd({ dir, configFile: yml, waitPorts });
  await waitFor(() => waiting() === 0, 120_000, 'every file delivered after ejabberd came back');
  assert.equal(gw.spool.status().problem, null);
  const bob = await login('bob', 'bob (after restart)');
  for (const b of bodies) await bob.next<Msg>((e) => e.event === 'message' && e.body === b, 30_000);
  // Nothing twice: a marker message after them proves every earlier one had its chance to arrive.
  drop(gw.spool.dir, 'IM-19', sem('bob@example.com', 'herald@example.com', 'marker'));
  await bob.next<Msg>((e) => e.event === 'message' && e.body === 'marker', 30_000);
  for (const b of bodies) assert.equal(bob.events.filter((e) => e.event === 'message' && e.body === b).length, 1, `${b} once`);
  const lines = logLines('scripted').slice(before);
  for (const b of [...bodies, 'marker']) assert.equal(lines.filter((l) => l.body === b).length, 1, `${b} logged once`);
  await bob.close();
});

test('the gateway stopped while ejabberd is down and a file was tried (claimed, not taken): after both are back it arrives once, logged once', { timeout: 600_000 }, async () => {
  await ejabberd!.stop();
  ejabberd = undefined;
  drop(gw.spool.dir, 'IM-20', sem('bob@example.com', 'herald@example.com', 'across the restart'));
  await waitFor(() => gw.spool.status().problem, 30_000, 'the spool to report the problem');
  // Not logged yet: the look at the recipient's sessions (offline quota) failed before the log line.
  assert.equal(logLines('scripted').filter((l) => l.body === 'across the restart').length, 0);
  await gw.destroy();
  assert.equal(readdirSync(path.join(gw.spool.dir, 'work')).length, 1, 'the claimed file stays in work/');
  ejabberd = await startEjabberd({ dir, configFile: yml, waitPorts });
  gw = await startTestGateway(gwConfig, { dataDir });
  await waitFor(() => waiting() === 0, 60_000, 'the file delivered after the restart');
  const bob = await login('bob', 'bob (after gateway restart)');
  await bob.next<Msg>((e) => e.event === 'message' && e.body === 'across the restart', 30_000);
  drop(gw.spool.dir, 'IM-21', sem('bob@example.com', 'herald@example.com', 'marker 2'));
  await bob.next<Msg>((e) => e.event === 'message' && e.body === 'marker 2', 30_000);
  assert.equal(bob.events.filter((e) => e.event === 'message' && e.body === 'across the restart').length, 1, 'once');
  assert.equal(logLines('scripted').filter((l) => l.body === 'across the restart').length, 1, 'logged once');
  await bob.close();
});

test('ejabberd\'s archive (mod_mam) keeps the server-IM mark: a feed can tell the gateway\'s messages (logged already) from chat', { timeout: 300_000 }, async () => {
  const key = loadServerImKey(dataDir);
  const bob = await login('bob', 'bob (chat for the archive)');
  await bob.call('send', { to: 'alice@example.com', body: 'a chat message for the archive' });
  const alice = await login('alice', 'alice (archive)', true);
  // alice's archive, with one peer (XEP-0313 §4.1.1): the last page of herald@example.com's messages, and bob's.
  const query = async (qid: string, peer: string) => {
    const form = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>${peer}</value></field></x>`;
    await alice.call('raw', { xml: `<iq type='set' id='${qid}'><query xmlns='urn:xmpp:mam:2' queryid='${qid}'>${form}<set xmlns='http://jabber.org/protocol/rsm'><before/></set></query></iq>`, wait_id: qid }, 30_000);
    return alice.events
      .filter((e): e is Extract<SlixEvent, { event: 'stanza' }> => e.event === 'stanza' && e.xml.includes(`queryid="${qid}"`) && e.xml.includes('<message'))
      .map((e) => parse(e.xml).getChild('result', 'urn:xmpp:mam:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!);
  };
  const server = await query('mamq1', 'herald@example.com');
  const chat = (await query('mamq2', 'bob@example.com')).filter((m) => m.getChildText('body') === 'a chat message for the archive');
  assert.ok(server.length > 0 && chat.length === 1, `archived: ${server.length} from herald@, ${chat.length} from bob`);
  for (const m of server) assert.equal(isServerImStanza(key, m, 'herald@example.com', 'alice@example.com'), true, `a valid mark on "${m.getChildText('body')}"`);
  assert.equal(isServerImStanza(key, chat[0]!, 'bob@example.com', 'alice@example.com'), false, 'a chat message has none');
  await Promise.all([alice.close(), bob.close()]);
});

test('with the archive feeding the log: a SEM file from another domain\'s address is logged once (when sent), not again from the recipient\'s archive copy', { timeout: 300_000 }, async () => {
  const alice = await login('alice', 'alice (feed)');
  const bob = await login('bob', 'bob (feed)');
  drop(gw.spool.dir, 'IM-7', sem('alice@example.com', 'nagios@monitor.example', 'disk full on db1'));
  await alice.next<Msg>((e) => e.event === 'message' && e.body === 'disk full on db1', 30_000);
  // A chat message after it: once the feed logged it, it has read past the SEM message's archive row.
  await bob.call('send', { to: 'alice@example.com', body: 'after the alert' });
  await waitFor(() => logLines('chat').some((l) => l.body === 'after the alert'), 30_000, 'the chat message logged from the archive');
  const all = ['chat', 'normal', 'scripted', 'alert'].flatMap((t) => logLines(t as ImLogLine['type'])).filter((l) => l.body === 'disk full on db1');
  assert.deepEqual(all.map((l) => [l.type, l.from, l.to]), [['scripted', 'nagios@monitor.example', 'alice@example.com']]);
  await Promise.all([alice.close(), bob.close()]);
});

test('the server-IM mark: only the gateway\'s key makes it, bound to id, sender and recipient', () => {
  const key = loadServerImKey(dataDir);
  assert.equal(loadServerImKey(dataDir).toString('hex'), key.toString('hex'), 'the same key on each load');
  const forged = new Element('message', { id: 'x1' });
  forged.c('server-im', { xmlns: NS_SERVER_IM, mac: 'a'.repeat(64) });
  assert.equal(isServerImStanza(key, forged, 'alice@example.com', 'bob@example.com'), false, 'a forged mark');
  assert.equal(isServerImStanza(key, new Element('message', { id: 'x1' }), 'alice@example.com', 'bob@example.com'), false, 'no mark');
  const real = serverImStanza(key, { id: 'x1', from: 'herald@example.com', to: 'bob@example.com', body: 'hi' });
  assert.equal(isServerImStanza(key, real, 'herald@example.com', 'bob@example.com'), true, 'the gateway\'s own');
  assert.equal(isServerImStanza(key, real, 'herald@example.com', 'alice@example.com'), false, 'copied to another recipient');
  assert.equal(isServerImStanza(Buffer.alloc(32, 1), real, 'herald@example.com', 'bob@example.com'), false, 'another key');
});
