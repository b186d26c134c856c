// HTTP File Upload (XEP-0363) on Debian's ejabberd 23.01 with the configuration
// `herald-gateway ejabberd config` writes (mod_http_upload at /upload on the WebSocket listener,
// Herald's xmpp.upload.maxFileBytes as max_size, docroot xmpp.external.uploadDir): the service
// upload.<domain> found by disco#items + disco#info with its max-file-size (XEP-0363 §2); the
// desktop core (what employees run) uploads a file and sends its link, the recipient (slixmpp)
// gets the message and GETs the same bytes; a user of a second virtual host uploads through its
// own service; a slot for a file over the limit is refused by ejabberd (§4.2 file-too-large), and
// the desktop refuses it before asking. Tests use websocketTls false (plain http put_url).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChatError } from '../../desktop/src/core/chat/chat-errors.ts';
import { createCli } from '../fixtures/cli.ts';
import type { TestEjabberd } from '../fixtures/ejabberd.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';
import { newChat, type TestChat } from './desktop-chat-helpers.ts';
import { configureEjabberd, seedHerald } from '../fixtures/ejabberd-herald.ts';

const MAX = 200_000;
const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-upload-'));
const dataDir = path.join(dir, 'data');
const uploadDir = path.join(dir, 'uploads');
const { cli } = createCli(dataDir);
let ejabberd: TestEjabberd | undefined;
let c2sPort = 0;
let websocketPort = 0;
let aliceToken = '';
let pem = '';
const clients: Slixmpp[] = [];
const desktops: TestChat[] = [];

before(async () => {
  const domains = ['example.com', 'other.example'];
  aliceToken = (await seedHerald(dataDir, {
    domains,
    users: [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12'], ['carol@other.example', 'carol password 1']],
    tokens: ['alice@example.com'],
  }))['alice@example.com']!;
  const node = await configureEjabberd({
    dir,
    domains,
    cli,
    xmpp: { upload: { maxFileBytes: MAX, quotaBytes: 1024 * 1024 * 1024 } }, // the quota: ejabberd takes its rule (nothing here comes near it)
    external: { publicHost: '127.0.0.1', uploadDir },
  });
  pem = readFileSync(node.cert.certFile, 'utf8');
  ({ c2sPort, websocketPort } = node);
  const yml = node.yml;
  const yaml = readFileSync(yml, 'utf8');
  assert.match(yaml, /\/upload: mod_http_upload/);
  assert.match(yaml, /herald_upload_quota: 1024/);
  ejabberd = await node.start();
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(desktops.map((d) => d.chat.disconnect().catch(() => {})));
  for (const d of desktops) rmSync(d.dir, { recursive: true, force: true });
  await ejabberd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(jid: string, password: string) {
  const c = await startSlixmpp({ label: jid });
  clients.push(c);
  await c.call('connect', { jid: `${jid}/slix`, password, host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000);
  return c;
}

test('ejabberd offers upload.<domain> by disco with Herald\'s size limit; the desktop core uploads and sends a file, the recipient GETs the same bytes', { timeout: 300_000 }, async () => {
  const bob = await login('bob@example.com', 'bob password 12');
  const items = await bob.call('disco_items', { to: 'example.com' });
  assert.ok(items.items.some((i) => i.jid === 'upload.example.com'), `upload.example.com among ${JSON.stringify(items.items)}`);
  const info = await bob.call('disco_info', { to: 'upload.example.com' });
  assert.ok(info.features.includes('urn:xmpp:http:upload:0'));
  assert.match(JSON.stringify(info.forms), new RegExp(`max-file-size[^}]*${MAX}`), `max-file-size ${MAX} in ${JSON.stringify(info.forms)}`);

  const alice = newChat();
  desktops.push(alice);
  await alice.chat.connect({ websocketUrl: '', tcp: { host: '127.0.0.1', port: c2sPort }, domain: 'example.com', jid: 'alice@example.com', deviceToken: aliceToken, transport: 'tcp', trustedCertificates: [pem] });
  const file = path.join(alice.dir, 'report.pdf');
  const bytes = randomBytes(150_000);
  writeFileSync(file, bytes);
  const sent = await alice.chat.sendFile('bob@example.com', 'chat', file);
  const url = sent.attachments?.[0]?.url ?? '';
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${websocketPort}/upload/example\\.com/.+/report\\.pdf$`));
  const got = (await bob.next({ event: 'message', body: url }, 15_000)) as { oob?: string[] };
  assert.deepEqual(got.oob, [url]);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'the same bytes');
  assert.ok(existsSync(uploadDir) && readdirSync(uploadDir, { recursive: true }).some((f) => String(f).endsWith('report.pdf')), 'stored under xmpp.external.uploadDir');

  // Over the limit: the desktop refuses before asking (it read max-file-size) …
  const big = path.join(alice.dir, 'big.bin');
  writeFileSync(big, '');
  truncateSync(big, MAX + 1);
  await assert.rejects(alice.chat.sendFile('bob@example.com', 'chat', big), (e) => (e as ChatError).code === 'upload_failed' && (e as ChatError).condition === 'file-too-large' && /the server takes files up to 200000 bytes/.test((e as Error).message));
  // … and ejabberd refuses the slot to a client that asks anyway (XEP-0363 §4.2).
  const reply = await bob.call('raw', { xml: `<iq type="get" id="too-big" to="upload.example.com"><request xmlns="urn:xmpp:http:upload:0" filename="big.bin" size="${MAX + 1}" content-type="application/octet-stream"/></iq>`, wait_id: 'too-big' });
  assert.match(reply.reply ?? '', /type="error"/);
  assert.match(reply.reply ?? '', /<not-acceptable/);
  assert.match(reply.reply ?? '', new RegExp(`<file-too-large[^>]*urn:xmpp:http:upload:0[^]*<max-file-size>${MAX}</max-file-size>`));
  await alice.chat.disconnect();
});

test('a second virtual host has its own upload service and URL', { timeout: 300_000 }, async () => {
  const carol = await login('carol@other.example', 'carol password 1');
  const file = path.join(dir, 'notes.txt');
  writeFileSync(file, 'notes from the other domain\n');
  const up = await carol.call('upload', { path: file }, 30_000);
  assert.equal(up.service, 'upload.other.example');
  assert.match(up.url, /\/upload\/other\.example\/.+\/notes\.txt$/);
  assert.equal(await (await fetch(up.url)).text(), 'notes from the other domain\n');
});
