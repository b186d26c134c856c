// The desktop core (no Electron) against our real gateway started in-process, with a real
// Maildir, real inotify, real HTTP and WebSocket: enrollment with a signed provision, counts, one
// alert per delivered message, a gateway restart and a core restart without a duplicate or a
// miss, acknowledging by opening a folder, revocation, the password fallback, polling when a
// proxy refuses WebSockets, and a mail server that is down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeMessage, deliverToMaildir, ensureMaildirFolder } from '../../gateway/src/mail/maildir/deliver.ts';
import { provisionDeepLink } from '../../gateway/src/protocol/provision.ts';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { createHeraldCore, type HeraldCore } from '../../desktop/src/core/herald-core.ts';
import { DEVICE_TOKEN_KEY } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import type { CoreState } from '../../desktop/src/shared/state.ts';
import { MemorySecretStore, RecordingBrowser, RecordingNotifier, RecordingSoundPlayer, RecordingTray } from '../../desktop/test-support/fake-ports.ts';
import { createTestSigner, provisionPayload } from '../../desktop/test-support/provision-signer.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { freePort, sleep } from '../fixtures/peer-utils.ts';

const STYLES = path.resolve(import.meta.dirname, '../../styles');
const WEBMAIL = 'https://mail.example.com/roundcube/?_task=mail&_mbox={folder}';
const GRACE = 400;
const GW = { 'xmpp.enabled': false, 'client.webmailUrl': WEBMAIL };

let root: string;
let gwData: string;
let gwPort: number;
let gw: TestGateway;
const signer = createTestSigner('gw-test');
const cores: HeraldCore[] = [];

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-desktop-'));
  gwData = path.join(root, 'gateway');
  mkdirSync(gwData);
  gwPort = await freePort();
  gw = await startTestGateway({ ...GW, 'http.port': gwPort }, { dataDir: gwData });
  await gw.user('alice@example.com', 'alice password');
  await gw.user('bob@example.com', 'bob password');
  await deliverToMaildir(mailRoot('alice'), msg('already here'));
  await deliverToMaildir(mailRoot('alice'), msg('old project mail'), { folder: 'Projects/Herald' });
});
after(async () => {
  for (const c of cores) await c.stop();
  await gw.close().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

const mailRoot = (local: string, dataDir = gwData) => path.join(dataDir, 'mail', 'example.com', local);
const msg = (subject: string) => composeMessage({ from: 'Bob <bob@example.com>', to: 'alice@example.com', subject, body: 'hello' });

interface Desktop {
  core: HeraldCore;
  notifier: RecordingNotifier;
  tray: RecordingTray;
  browser: RecordingBrowser;
  sound: RecordingSoundPlayer;
  secrets: MemorySecretStore;
  userData: string;
}

function desktop(o: { userData?: string; secrets?: MemorySecretStore; resourcesDir?: string; pollGatewayUrl?: string; locale?: string } = {}): Desktop {
  const userData = o.userData ?? mkdtempSync(path.join(root, 'user-'));
  const secrets = o.secrets ?? new MemorySecretStore();
  const notifier = new RecordingNotifier();
  const tray = new RecordingTray();
  const browser = new RecordingBrowser();
  const sound = new RecordingSoundPlayer();
  const core = createHeraldCore({
    storage: createDirStorage(userData),
    secrets,
    notifier,
    sound,
    tray,
    browser,
    places: { resourcesDir: o.resourcesDir, userDataDir: userData },
    styles: { bundledDir: STYLES, userDir: path.join(userData, 'Styles') },
    deviceName: 'test laptop',
    locale: o.locale,
    tuning: { graceMs: GRACE, burstMs: 300, backoff: { minMs: 100, maxMs: 800 }, apiTimeoutMs: 3000 },
  });
  cores.push(core);
  return { core, notifier, tray, browser, sound, secrets, userData };
}

function waitState(core: HeraldCore, pred: (s: CoreState) => boolean, what: string, ms = 8000): Promise<CoreState> {
  return new Promise((resolve, reject) => {
    if (pred(core.state())) return resolve(core.state());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no state "${what}" within ${ms} ms; last: ${JSON.stringify(core.state().connection)}`));
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

function resources(file: unknown): string {
  const dir = mkdtempSync(path.join(root, 'resources-'));
  writeFileSync(path.join(dir, 'provision.json'), JSON.stringify(file));
  return dir;
}
const provisionFor = (user: string, token: string, o: { ttlMs?: number; gateway?: string } = {}) =>
  signer.sign(provisionPayload({ gateway: o.gateway ?? gw.url, user, token, ttlMs: o.ttlMs }), { embedKey: true });

/** Every file under a folder, as text (to prove what is and is not stored). */
const allFiles = (dir: string): string =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');

let alice: Desktop;

test('enroll with a provisioned one-time token: the device token goes to the SecretStore only; folders and counts match the gateway', async () => {
  const enroll = gw.services.tokens.issueEnroll('alice@example.com');
  alice = desktop({ resourcesDir: resources(provisionFor('alice@example.com', enroll.token)) });
  await alice.core.start();
  const s = await waitState(alice.core, (x) => connected(x) && x.folders.length === 2, 'connected with folders');
  assert.equal(s.connection.transport, 'push');
  assert.deepEqual(s.user, { address: 'alice@example.com', displayName: 'Alice' });
  const token = alice.secrets.values.get(DEVICE_TOKEN_KEY)!;
  assert.match(token, /^hdt_/);
  const stored = allFiles(alice.userData);
  assert.ok(!stored.includes(token) && !stored.includes(enroll.token), 'no token in any file of the user data folder');

  const api = await gw.api('GET', '/api/v1/folders', { token });
  assert.deepEqual(s.folders.map(({ alerts: _a, ...f }) => f), api.json.folders);
  assert.deepEqual(s.folders.map((f) => [f.path, f.total, f.unread, f.new]), [['INBOX', 1, 1, 1], ['Projects/Herald', 1, 1, 1]]);
  const menu = alice.tray.last!.menu;
  assert.deepEqual(menu.filter((i) => i.kind === 'folder').map((i) => i.kind === 'folder' && i.label), ['Inbox (1 new, 1 unread, 1)', 'Projects/Herald (1 new, 1 unread, 1)']);
  assert.equal(alice.tray.last!.icon, 'new-mail');
  assert.equal(alice.notifier.shown.length, 0, 'mail that was there before is not alerted');

  const again = await gw.api('POST', '/api/v1/enroll', { body: { token: enroll.token } });
  assert.equal(again.status, 401, 'the enrollment token is spent');
});

test('a delivered message gives exactly one alert (sender, subject, folder) with the skin’s sound; a few at once give one each', async () => {
  const sent = Date.now();
  await deliverToMaildir(mailRoot('alice'), msg('Quarterly numbers'));
  const [n] = await alice.notifier.waitFor(1);
  assert.ok(Date.now() - sent < 2000);
  assert.deepEqual({ ...n!, id: '' }, { id: '', kind: 'mail', title: 'Bob <bob@example.com>', body: 'Quarterly numbers\nInbox', folder: 'INBOX' });
  assert.equal(alice.sound.played.length, 1);
  assert.match(alice.sound.played[0]!.file, /styles\/Default\/sounds\/new-mail\.wav$/);
  for (const subject of ['one', 'two', 'three']) await deliverToMaildir(mailRoot('alice'), msg(subject), { folder: 'Projects/Herald' });
  await alice.notifier.waitFor(4);
  await sleep(GRACE * 3);
  assert.deepEqual(alice.notifier.shown.map((x) => `${x.kind} ${x.body.split('\n')[0]}`), ['mail Quarterly numbers', 'mail one', 'mail two', 'mail three']);
  const s = alice.core.state();
  assert.deepEqual(s.folders.map((f) => [f.path, f.new]), [['INBOX', 2], ['Projects/Herald', 4]]);
});

test('gateway restart: unreachable while it is down, then mail delivered meanwhile is alerted once — no duplicate, no miss', async () => {
  const before = alice.notifier.shown.length;
  await gw.close();
  const down = await waitState(alice.core, (s) => s.connection.state === 'gateway-unreachable', 'gateway unreachable');
  assert.match(down.connection.detail!, /unreachable/);
  assert.equal(alice.tray.last!.icon, 'offline');
  const retrying = await waitState(alice.core, (s) => s.connection.state === 'gateway-unreachable' && (s.connection.nextRetryAt ?? 0) > Date.now(), 'a reconnect scheduled');
  assert.ok(retrying.connection.nextRetryAt! - Date.now() <= 800, 'within the backoff ceiling');
  await deliverToMaildir(mailRoot('alice'), msg('sent while the gateway was down'));
  gw = await startTestGateway({ ...GW, 'http.port': gwPort }, { dataDir: gwData });
  await waitState(alice.core, (s) => connected(s) && s.folders[0]?.total === 3, 'reconnected with the new count');
  await alice.notifier.waitFor(before + 1);
  await sleep(GRACE * 3);
  const fresh = alice.notifier.shown.slice(before);
  assert.equal(fresh.length, 1, JSON.stringify(fresh));
  assert.equal(fresh[0]!.body.split('\n')[0], 'sent while the gateway was down');
});

test('core restart: mail that arrived while the app was off is alerted once; nothing earlier is repeated', async () => {
  const { userData, secrets } = alice;
  await alice.core.stop();
  await deliverToMaildir(mailRoot('alice'), msg('arrived while the laptop slept'));
  await sleep(300); // let the gateway see it (it alerts nobody: no client is connected)
  alice = desktop({ userData, secrets });
  await alice.core.start();
  await waitState(alice.core, (s) => connected(s) && s.folders[0]?.total === 4, 'connected after restart');
  const [n] = await alice.notifier.waitFor(1);
  await sleep(GRACE * 3);
  assert.equal(alice.notifier.shown.length, 1, JSON.stringify(alice.notifier.shown));
  assert.deepEqual([n!.kind, n!.title, n!.folder], ['missed', '1 new message in Inbox', 'INBOX']);
  await deliverToMaildir(mailRoot('alice'), msg('after the restart'));
  await alice.notifier.waitFor(2);
  await sleep(GRACE * 2);
  assert.deepEqual(alice.notifier.shown.map((x) => x.kind), ['missed', 'mail']);

  // Resume from sleep: the socket is dropped and made again; nothing is alerted twice.
  alice.core.resume();
  await waitState(alice.core, (s) => connected(s) && s.connection.transport === 'push', 'connected after resume');
  await deliverToMaildir(mailRoot('alice'), msg('after resume'));
  await alice.notifier.waitFor(3);
  await sleep(GRACE * 2);
  assert.deepEqual(alice.notifier.shown.map((x) => x.body.split('\n')[0]).slice(1), ['after the restart', 'after resume']);
});

test('opening a folder opens webmail there (percent-encoded) and acknowledges it; only the webmail origin is ever opened', async () => {
  await alice.core.openFolder('Projects/Herald');
  assert.equal(alice.browser.opened.at(-1), 'https://mail.example.com/roundcube/?_task=mail&_mbox=Projects%2FHerald');
  const s = await waitState(alice.core, (x) => x.folders.find((f) => f.path === 'Projects/Herald')?.new === 0, 'acknowledged');
  assert.equal(s.folders.find((f) => f.path === 'Projects/Herald')!.unread, 4, 'acknowledging is not reading');
  const api = await gw.api('GET', '/api/v1/folders', { token: alice.secrets.values.get(DEVICE_TOKEN_KEY) });
  assert.equal(api.json.folders.find((f: { path: string }) => f.path === 'Projects/Herald').new, 0, 'the gateway stored the watermark');
  assert.equal(await alice.core.openExternal('https://mail.example.com/roundcube/?_task=settings'), true);
  for (const url of ['https://evil.example.net/', 'http://mail.example.com/', 'file:///etc/passwd', 'javascript:alert(1)']) assert.equal(await alice.core.openExternal(url), false, url);
  assert.equal(alice.browser.opened.length, 2);
});

test('a token revoked on the gateway signs the app out cleanly; the password fallback signs in again and stores no password', async () => {
  const shown = alice.notifier.shown.length;
  const other = createStore(gwData);
  // As `herald-gateway token revoke` does it from another process: through the credentials journal.
  createCredentials({ store: other }).revokeDevices(other.accounts.byAddress('alice@example.com')!.id);
  other.close();
  const s = await waitState(alice.core, (x) => x.connection.state === 'signed-out', 'signed out');
  assert.equal(s.signIn?.reason, 'revoked');
  assert.equal(s.signIn?.user, 'alice@example.com');
  assert.equal(s.signIn?.gatewayUrl, gw.url);
  assert.equal(alice.secrets.values.has(DEVICE_TOKEN_KEY), false, 'the revoked token is forgotten');
  assert.deepEqual(s.folders, []);
  assert.equal(alice.tray.last!.icon, 'offline');
  await deliverToMaildir(mailRoot('alice'), msg('nobody listens'));
  await sleep(500);
  assert.equal(alice.notifier.shown.length, shown, 'no alerts while signed out');

  const wrong = await alice.core.signIn(s.signIn!.gatewayUrl!, 'alice@example.com', 'not the password');
  assert.deepEqual(wrong, { ok: false, message: 'wrong user name or password' });
  assert.equal(alice.core.state().signIn?.reason, 'login-failed');
  const ok = await alice.core.signIn(s.signIn!.gatewayUrl!, 'alice@example.com', 'alice password');
  assert.equal(ok.ok, true);
  await waitState(alice.core, connected, 'connected after password sign-in');
  assert.match(alice.secrets.values.get(DEVICE_TOKEN_KEY)!, /^hdt_/);
  assert.ok(!allFiles(alice.userData).includes('alice password'), 'the password is in no file');
  assert.ok(![...alice.secrets.values.values()].includes('alice password'), 'nor in the SecretStore');
  await alice.core.signOut();
  assert.equal(alice.core.state().signIn?.reason, 'signed-out');
  assert.equal(alice.secrets.values.size, 0);
});

test('provision problems: a spent token, an expired provision and a foreign deep link lead to the sign-in form, prefilled', async () => {
  const spent = gw.services.tokens.issueEnroll('bob@example.com');
  assert.equal((await gw.api('POST', '/api/v1/enroll', { body: { token: spent.token } })).status, 200);
  const a = desktop({ resourcesDir: resources(provisionFor('bob@example.com', spent.token)) });
  let s = await a.core.start();
  assert.equal(s.connection.state, 'signed-out');
  assert.equal(s.signIn?.reason, 'enrollment-refused');
  assert.match(s.signIn!.message, /already been used/);
  assert.equal(s.signIn?.user, 'bob@example.com');

  const fresh = gw.services.tokens.issueEnroll('bob@example.com');
  const b = desktop({ resourcesDir: resources(provisionFor('bob@example.com', fresh.token, { ttlMs: -1000 })) });
  s = await b.core.start();
  assert.equal(s.signIn?.reason, 'provision-expired');
  assert.equal(s.signIn?.user, 'bob@example.com');

  const foreign = createTestSigner('evil').sign(provisionPayload({ gateway: 'https://phish.example.net', user: 'bob@example.com', token: fresh.token }), { embedKey: true });
  s = await b.core.handleDeepLink(provisionDeepLink(foreign));
  assert.equal(s.connection.state, 'signed-out', 'a deep link signed by an unknown key is refused');
  assert.equal(s.signIn?.reason, 'provision-invalid');
  assert.match(s.signIn!.message, /does not trust/);

  // The same token in a deep link signed by the key this app trusts (shipped with it) works.
  const keysDir = mkdtempSync(path.join(root, 'keys-'));
  writeFileSync(path.join(keysDir, 'provision-keys.json'), JSON.stringify({ keys: [signer.publicJwk] }));
  const c = desktop({ resourcesDir: keysDir });
  s = await c.core.start();
  assert.equal(s.signIn?.reason, 'not-provisioned');
  await c.core.handleDeepLink(provisionDeepLink(signer.sign(provisionPayload({ gateway: gw.url, user: 'bob@example.com', token: fresh.token }))));
  s = await waitState(c.core, connected, 'bob connected via deep link');
  assert.equal(s.user?.address, 'bob@example.com');
});

test('a provision for a gateway that is not up yet keeps retrying and enrolls when it comes', async () => {
  const port = await freePort();
  const data = mkdtempSync(path.join(root, 'gw2-'));
  let gw2 = await startTestGateway({ ...GW, 'http.port': port }, { dataDir: data });
  await gw2.user('carol@example.com');
  const enroll = gw2.services.tokens.issueEnroll('carol@example.com');
  await gw2.close();
  const d = desktop({ resourcesDir: resources(provisionFor('carol@example.com', enroll.token, { gateway: `http://127.0.0.1:${port}` })) });
  const s = await d.core.start();
  assert.equal(s.connection.state, 'gateway-unreachable');
  assert.equal(s.signIn, null, 'no sign-in form: the provision is fine, the gateway is away');
  gw2 = await startTestGateway({ ...GW, 'http.port': port }, { dataDir: data });
  try {
    await waitState(d.core, connected, 'enrolled once the gateway came');
    assert.equal(d.core.state().user?.address, 'carol@example.com');
  } finally {
    await d.core.stop();
    await gw2.close();
  }
});

test('behind a proxy that refuses WebSockets: counts by ETag polling at the configured interval, new mail still alerted once', async () => {
  const data = mkdtempSync(path.join(root, 'gw3-'));
  const gw3 = await startTestGateway({ ...GW, 'client.pollSeconds': 1 }, { dataDir: data });
  await gw3.user('dave@example.com', 'dave password');
  const target = new URL(gw3.url);
  const seen = { upgrades: 0, polls: 0, notModified: 0 };
  const proxy = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/folders') && req.method === 'GET') seen.polls++;
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      if (r.statusCode === 304) seen.notModified++;
      res.writeHead(r.statusCode ?? 502, r.headers);
      // A connection reset while a response streams (the gateway or the desktop going away at the
      // end of the test) is an error on the response: handled, or it is an uncaught exception.
      r.on('error', () => res.destroy());
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.on('error', () => up.destroy());
    req.pipe(up);
  });
  proxy.on('upgrade', (_req, socket) => {
    seen.upgrades++;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await ensureMaildirFolder(mailRoot('dave', data));
  const d = desktop();
  try {
    await d.core.start();
    assert.equal((await d.core.signIn(proxyUrl, 'dave@example.com', 'dave password')).ok, true);
    const s = await waitState(d.core, (x) => connected(x) && x.connection.transport === 'poll' && x.folders.length === 1, 'connected by polling');
    assert.ok(seen.upgrades >= 1);
    await sleep(2500);
    assert.ok(seen.notModified >= 1, `unchanged polls are 304s (${JSON.stringify(seen)})`);
    assert.ok(seen.polls <= 6, `about one poll a second, not a busy loop (${JSON.stringify(seen)})`);
    assert.equal(s.folders[0]!.total, 0);
    await deliverToMaildir(mailRoot('dave', data), msg('seen by polling'));
    const [n] = await d.notifier.waitFor(1, 5000);
    assert.deepEqual([n!.kind, n!.title], ['missed', '1 new message in Inbox']);
    await sleep(1500 + GRACE);
    assert.equal(d.notifier.shown.length, 1, 'once');
    // Revoked while polling: the next poll's 401 signs out.
    gw3.services.tokens.revoke('dave@example.com');
    const out = await waitState(d.core, (x) => x.connection.state === 'signed-out', 'signed out by a 401 poll', 5000);
    assert.equal(out.signIn?.reason, 'revoked');
    assert.equal(d.secrets.values.size, 0);
  } finally {
    await d.core.stop();
    proxy.close();
    await gw3.close();
  }
});

test('a mail server that is down shows as "mail server unavailable", naming it', async () => {
  const closed = await freePort();
  const data = mkdtempSync(path.join(root, 'gw4-'));
  const gw4 = await startTestGateway({ ...GW, 'mail.source': 'imap', 'mail.imap.host': '127.0.0.1', 'mail.imap.port': closed }, { dataDir: data });
  await gw4.user('erin@example.com', 'erin password');
  const d = desktop();
  try {
    await d.core.start();
    assert.equal((await d.core.signIn(gw4.url, 'erin@example.com', 'erin password')).ok, true);
    const s = await waitState(d.core, (x) => x.connection.state === 'mail-unavailable', 'mail unavailable', 15_000);
    assert.match(s.connection.detail!, new RegExp(`IMAP server 127.0.0.1:${closed}`));
    assert.equal(d.tray.last!.icon, 'offline');
    assert.match(d.tray.last!.tooltip, /Mail server unavailable/);
  } finally {
    await d.core.stop();
    await gw4.close();
  }
});

test('in German (locale de-DE): the sign-in prompt, the tray, and a pop-up for mail without a subject', async () => {
  await gw.user('dora@example.com', 'dora password');
  const d = desktop({ locale: 'de-DE' });
  try {
    const s = await d.core.start();
    assert.equal(s.signIn?.message, 'Melden Sie sich mit Ihrer Mailadresse und Ihrem Passwort an.');
    assert.equal(d.tray.last!.tooltip, 'Herald — Abgemeldet — Melden Sie sich mit Ihrer Mailadresse und Ihrem Passwort an.');
    assert.equal((await d.core.signIn(gw.url, 'dora@example.com', 'dora password')).ok, true);
    await waitState(d.core, (x) => connected(x) && x.folders.some((f) => f.path === 'INBOX'), 'dora connected');
    assert.deepEqual(d.tray.last!.menu[0], { kind: 'status', label: 'dora@example.com: Verbunden' });
    await deliverToMaildir(mailRoot('dora'), composeMessage({ from: 'Bob <bob@example.com>', to: 'dora@example.com', subject: '' }));
    const [n] = await d.notifier.waitFor(1);
    assert.deepEqual([n!.title, n!.body], ['Bob <bob@example.com>', '(kein Betreff)\nPosteingang']);
    await waitState(d.core, (x) => x.folders.some((f) => f.new === 1), 'one new');
    assert.equal(d.tray.last!.tooltip, 'Herald — 1 neue Nachricht');
  } finally {
    await d.core.stop();
  }
});
