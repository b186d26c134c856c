// The desktop core (no Electron) against our gateway in imap mode with a real Dovecot: enrollment
// with a provisioned one-time token (the account made by the admin, no password stored), folders
// and counts as Dovecot has them, one alert per message delivered by LMTP, a gateway restart with
// mail delivered while it was down — alerted once, nothing repeated — and the core restarted
// after that without a duplicate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeMessage } from '../../gateway/src/mail/maildir/deliver.ts';
import { createHeraldCore, type HeraldCore } from '../../desktop/src/core/herald-core.ts';
import { DEVICE_TOKEN_KEY } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import type { CoreState } from '../../desktop/src/shared/state.ts';
import { MemorySecretStore, RecordingBrowser, RecordingNotifier, RecordingSoundPlayer, RecordingTray } from '../../desktop/test-support/fake-ports.ts';
import { createTestSigner, provisionPayload } from '../../desktop/test-support/provision-signer.ts';
import { startDovecot, type Dovecot } from '../fixtures/dovecot.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { freePort, sleep } from '../fixtures/peer-utils.ts';

const STYLES = path.resolve(import.meta.dirname, '../../styles');
const GRACE = 400;
const PW = { alice: 'alice imap pw', bob: 'bob imap pw' };

let root: string;
let gwData: string;
let gwPort: number;
let dovecot: Dovecot;
let gw: TestGateway;
const cores: HeraldCore[] = [];
const signer = createTestSigner('gw-imap-test');

const gatewayConfig = () => ({
  'http.port': gwPort,
  'xmpp.enabled': false,
  'client.webmailUrl': 'https://mail.example.com/?_mbox={folder}',
  'directory.backend': 'imap',
  'directory.imap.port': dovecot.imapPort,
  'mail.source': 'imap',
  'mail.imap.port': dovecot.imapPort,
  'mail.imap.login.masterUser': dovecot.masterUser,
  'mail.imap.login.masterPassword': dovecot.masterPassword,
  'mail.imap.sweepSeconds': 1,
});

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-desktop-imap-'));
  gwData = path.join(root, 'gateway');
  mkdirSync(gwData);
  gwPort = await freePort();
  dovecot = await startDovecot({ users: [{ address: 'alice@example.com', password: PW.alice }, { address: 'bob@example.com', password: PW.bob }] });
  await dovecot.deliver('alice@example.com', msg('already here'));
  await dovecot.deliver('alice@example.com', msg('old project mail'), 'Projects');
  gw = await startTestGateway(gatewayConfig(), { dataDir: gwData });
  gw.services.directory.addDomain('example.com');
  // What an admin does before packaging: the account exists, with no password of ours (IMAP checks it).
  await gw.services.directory.addUser('alice@example.com', null);
});
after(async () => {
  for (const c of cores) await c.stop();
  await gw?.destroy();
  await dovecot?.destroy();
  rmSync(root, { recursive: true, force: true });
});

const msg = (subject: string) => composeMessage({ from: 'Carol <carol@example.org>', to: 'alice@example.com', subject, body: 'hi' });

interface Desktop {
  core: HeraldCore;
  notifier: RecordingNotifier;
  secrets: MemorySecretStore;
  userData: string;
}

function desktop(o: { userData?: string; secrets?: MemorySecretStore; resourcesDir?: string } = {}): Desktop {
  const userData = o.userData ?? mkdtempSync(path.join(root, 'user-'));
  const secrets = o.secrets ?? new MemorySecretStore();
  const notifier = new RecordingNotifier();
  const core = createHeraldCore({
    storage: createDirStorage(userData),
    secrets,
    notifier,
    sound: new RecordingSoundPlayer(),
    tray: new RecordingTray(),
    browser: new RecordingBrowser(),
    places: { resourcesDir: o.resourcesDir, userDataDir: userData },
    styles: { bundledDir: STYLES },
    tuning: { graceMs: GRACE, burstMs: 300, backoff: { minMs: 100, maxMs: 800 }, apiTimeoutMs: 3000 },
  });
  cores.push(core);
  return { core, notifier, secrets, userData };
}

function waitState(core: HeraldCore, pred: (s: CoreState) => boolean, what: string, ms = 15_000): Promise<CoreState> {
  return new Promise((resolve, reject) => {
    if (pred(core.state())) return resolve(core.state());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no state "${what}" within ${ms} ms; last: ${JSON.stringify(core.state().connection)} ${JSON.stringify(core.state().folders.map((f) => [f.path, f.total, f.new]))}`));
    }, ms);
    const off = core.onState((s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}
const connected = (s: CoreState) => s.connection.state === 'connected';
const inbox = (s: CoreState) => s.folders.find((f) => f.path === 'INBOX');
const subjects = (d: Desktop) => d.notifier.shown.map((n) => `${n.kind} ${n.body.split('\n')[0]}`);

let alice: Desktop;

test('imap mode: enroll with a provisioned token; folders and counts are Dovecot’s, nothing old is alerted', async () => {
  const enroll = gw.services.tokens.issueEnroll('alice@example.com');
  const resources = mkdtempSync(path.join(root, 'resources-'));
  writeFileSync(path.join(resources, 'provision.json'), JSON.stringify(signer.sign(provisionPayload({ gateway: gw.url, user: 'alice@example.com', token: enroll.token }), { embedKey: true })));
  alice = desktop({ resourcesDir: resources });
  await alice.core.start();
  const s = await waitState(alice.core, (x) => connected(x) && x.folders.some((f) => f.path === 'Projects'), 'connected with folders');
  assert.equal(s.connection.transport, 'push');
  assert.equal(s.user?.address, 'alice@example.com');
  const token = alice.secrets.values.get(DEVICE_TOKEN_KEY)!;
  assert.match(token, /^hdt_/);
  assert.equal(gw.services.store.accounts.byAddress('alice@example.com')?.passwordHash, null, 'still no password stored');

  const api = await gw.api('GET', '/api/v1/folders', { token });
  assert.equal(api.status, 200);
  assert.deepEqual(s.folders.map(({ alerts: _a, ...f }) => f), api.json.folders);
  assert.deepEqual([inbox(s)!.total, inbox(s)!.unread], [1, 1]);
  assert.deepEqual([s.folders.find((f) => f.path === 'Projects')!.total], [1]);
  await sleep(GRACE * 2);
  assert.equal(alice.notifier.shown.length, 0, 'mail that was there before is not alerted');
  assert.equal((await gw.api('POST', '/api/v1/enroll', { body: { token: enroll.token } })).status, 401, 'the enrollment token is spent');
});

test('imap mode: a message delivered by LMTP gives exactly one alert; two more give one each', async () => {
  await dovecot.deliver('alice@example.com', msg('Invoice 2026-11'));
  const [n] = await alice.notifier.waitFor(1, 8000);
  assert.deepEqual([n!.kind, n!.title, n!.body], ['mail', 'Carol <carol@example.org>', 'Invoice 2026-11\nInbox']);
  await dovecot.deliver('alice@example.com', msg('second'));
  await dovecot.deliver('alice@example.com', msg('third'), 'Projects');
  await alice.notifier.waitFor(3, 8000);
  await sleep(GRACE * 3);
  assert.deepEqual(subjects(alice), ['mail Invoice 2026-11', 'mail second', 'mail third']);
  const s = await waitState(alice.core, (x) => inbox(x)?.total === 3, 'counts follow');
  assert.equal(s.folders.find((f) => f.path === 'Projects')!.total, 2);
});

test('imap mode: gateway restart — mail delivered while it was down is alerted once; nothing is repeated', async (t) => {
  const before = alice.notifier.shown.length;
  await gw.destroy();
  await waitState(alice.core, (s) => s.connection.state === 'gateway-unreachable', 'gateway unreachable');
  await dovecot.deliver('alice@example.com', msg('while the gateway was down'));
  gw = await startTestGateway(gatewayConfig(), { dataDir: gwData });
  await waitState(alice.core, (s) => connected(s) && inbox(s)?.total === 4, 'reconnected with the new count');
  await alice.notifier.waitFor(before + 1, 8000);
  await sleep(GRACE * 3 + 1500); // past the IMAP sweep: no late copy
  const fresh = alice.notifier.shown.slice(before);
  assert.equal(fresh.length, 1, JSON.stringify(fresh));
  assert.equal(fresh[0]!.folder, 'INBOX');
  assert.ok(fresh[0]!.body.startsWith('while the gateway was down') || fresh[0]!.title === '1 new message in Inbox', JSON.stringify(fresh[0]));
  t.diagnostic(`mail delivered while the gateway was down: ${fresh[0]!.kind} | ${fresh[0]!.title} | ${fresh[0]!.body.split('\n')[0]}`);

  // And after the restart, live delivery is alerted once again.
  await dovecot.deliver('alice@example.com', msg('after the restart'));
  await alice.notifier.waitFor(before + 2, 8000);
  await sleep(GRACE * 3);
  assert.deepEqual(subjects(alice).slice(before + 1), ['mail after the restart']);
});

test('imap mode: core restart — what came while the app was off is alerted once, nothing earlier again', async () => {
  const { userData, secrets } = alice;
  await alice.core.stop();
  await dovecot.deliver('alice@example.com', msg('while the laptop slept'));
  await sleep(1500);
  alice = desktop({ userData, secrets });
  await alice.core.start();
  await waitState(alice.core, (s) => connected(s) && inbox(s)?.total === 6, 'connected after restart');
  const [n] = await alice.notifier.waitFor(1, 8000);
  await sleep(GRACE * 3);
  assert.equal(alice.notifier.shown.length, 1, JSON.stringify(alice.notifier.shown));
  assert.deepEqual([n!.kind, n!.title, n!.folder], ['missed', '1 new message in Inbox', 'INBOX']);
});

test('imap mode, bad input: an enrollment token that was never issued leads to the sign-in form; the mail password (IMAP LOGIN) signs in', async () => {
  const resources = mkdtempSync(path.join(root, 'resources-'));
  writeFileSync(path.join(resources, 'provision.json'), JSON.stringify(signer.sign(provisionPayload({ gateway: gw.url, user: 'bob@example.com', token: 'het_not-a-real-token' }), { embedKey: true })));
  const bob = desktop({ resourcesDir: resources });
  const s = await bob.core.start();
  assert.equal(s.connection.state, 'signed-out');
  assert.equal(s.signIn?.reason, 'enrollment-refused');
  assert.equal(s.signIn?.user, 'bob@example.com');
  // (No wrong password first: Dovecot holds back the next logins from an address after a failure.)
  const r = await bob.core.signIn(gw.url, 'bob@example.com', PW.bob);
  assert.equal(r.ok, true, JSON.stringify(r));
  const up = await waitState(bob.core, (x) => connected(x) && inbox(x) !== undefined, 'bob connected');
  assert.equal(inbox(up)!.total, 0);
  assert.equal(alice.notifier.shown.length, 1, 'alice undisturbed');
});
