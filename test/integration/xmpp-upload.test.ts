// HTTP File Upload (XEP-0363): slots from upload.<domain> over real XMPP streams (XML in and out),
// the gateway's PUT/GET over real HTTP (every refusal, sandboxed HTML, ranges, path traversal,
// racing and aborted uploads), retention and the start-up sweep across a restart, file links
// (body + jabber:x:oob) in the central IM log for 1:1 and room messages, and Debian's slixmpp
// (its xep_0363 plugin + aiohttp) uploading and sharing a file with another slixmpp client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { escapeXML, type Element } from 'ltx';
import { IM_LOG_FILE, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { interopSetup } from '../fixtures/interop.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

const PW = 'correct horse battery';
const NS_UP = 'urn:xmpp:http:upload:0';
const SVC = 'upload.example.com';
type Client = RawClient & { jid: string };

let gw: TestGateway;
let alice: Client;
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.upload.maxFileBytes': 100_000, 'xmpp.upload.quotaBytes': 250_000, 'xmpp.upload.maxPendingSlots': 40 });
  for (const u of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'zed@other.example']) await gw.user(u, PW);
  alice = await login(gw.xmppPort!, 'alice@example.com', PW, 'up');
});
after(async () => {
  alice.close();
  await gw.destroy();
});

let ids = 0;
async function iq(c: Client, to: string, type: string, payload: string): Promise<Element> {
  const id = `u${++ids}`;
  c.send(`<iq type='${type}' to='${to}' id='${id}'>${payload}</iq>`);
  return c.next((e) => e.name === 'iq' && e.attrs.id === id);
}
const request = (c: Client, attrs: Record<string, string>, opts: { to?: string; type?: string } = {}) =>
  iq(c, opts.to ?? SVC, opts.type ?? 'get', `<request xmlns='${NS_UP}' ${Object.entries(attrs).map(([k, v]) => `${k}='${escapeXML(v)}'`).join(' ')}/>`);
const errorOf = (e: Element) => {
  const err = e.getChild('error');
  return { type: err?.attrs.type, condition: err?.getChildElements()[0]?.name, text: err?.getChildText('text') ?? '' };
};
/** Asks for a slot and returns its URLs and id (the test fails when there is none). */
async function slot(filename: string, size: number, contentType?: string, c: Client = alice) {
  const r = await request(c, { filename, size: String(size), ...(contentType ? { 'content-type': contentType } : {}) });
  assert.equal(r.attrs.type, 'result', r.toString());
  const s = r.getChild('slot', NS_UP)!;
  const put = s.getChild('put')!.attrs.url as string;
  const get = s.getChild('get')!.attrs.url as string;
  const m = /\/upload\/([^/]+)\/([^/]+)$/.exec(put)!;
  return { put, get, id: m[1]!, name: decodeURIComponent(m[2]!) };
}
const slotRows = (owner: string) => (gw.services.store.db.prepare('SELECT count(*) AS n FROM upload_slots WHERE owner = ?').get(owner) as { n: number }).n;

/** A raw HTTP request (node:http sends the path as given and lets the test control the body). */
function raw(url: string, method: string, opts: { path?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {}) {
  const u = new URL(url);
  const req = http.request({ host: u.hostname, port: u.port, method, path: opts.path ?? u.pathname, headers: opts.headers, agent: false });
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
  });
  if (opts.body !== undefined) req.end(opts.body);
  return { req, response };
}
const put = (url: string, body: Buffer | string, contentType?: string, headers: Record<string, string | number> = {}) =>
  raw(url, 'PUT', { body, headers: { 'content-length': Buffer.byteLength(body), ...(contentType ? { 'content-type': contentType } : {}), ...headers } }).response;
const json = (b: Buffer) => JSON.parse(b.toString()) as { error: { code: string; message: string } };
const uploadsDir = (g: TestGateway) => path.join(g.dataDir, 'uploads');
const tmpFiles = (g: TestGateway) => (existsSync(path.join(uploadsDir(g), 'tmp')) ? readdirSync(path.join(uploadsDir(g), 'tmp')) : []);
/** `p`, or a failure naming `what` after `ms` (a server that waits for the end of the body never answers). */
const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, sleep(ms).then(() => assert.fail(`no answer within ${ms} ms: ${what}`))]);
async function until(cond: () => boolean, what: string, ms = 3000) {
  for (const t0 = Date.now(); !cond(); await sleep(20)) if (Date.now() - t0 > ms) assert.fail(`not within ${ms} ms: ${what}`);
}
function logLines(dataDir: string): ImLogLine[] {
  const dir = path.join(dataDir, 'logs');
  return readdirSync(dir)
    .filter((f) => IM_LOG_FILE.test(f))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => parseImLogLine(l)));
}

test('disco: upload.<domain> is in the server’s items, with identity store/file, the feature and max-file-size', async () => {
  const items = await iq(alice, 'example.com', 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
  assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === SVC), items.toString());
  const info = (await iq(alice, SVC, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query')!;
  assert.deepEqual(info.getChild('identity')!.attrs, { category: 'store', type: 'file', name: 'HTTP File Upload' });
  assert.ok(info.getChildren('feature').some((f) => f.attrs.var === NS_UP));
  const fields = Object.fromEntries(info.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
  assert.deepEqual(fields, { FORM_TYPE: NS_UP, 'max-file-size': '100000' });
  const server = (await iq(alice, 'example.com', 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query')!;
  assert.ok(!server.getChildren('feature').some((f) => f.attrs.var === NS_UP), 'the server itself claims nothing: the component does');
});

test('slot: PUT and GET URLs on the gateway, an unguessable id (144 bits), a fresh one each time', async () => {
  const a = await slot('report.pdf', 1234, 'application/pdf');
  const b = await slot('report.pdf', 1234, 'application/pdf');
  assert.equal(a.put, a.get);
  assert.ok(a.put.startsWith(`${gw.url}/upload/`), a.put);
  assert.match(a.id, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(a.id, b.id);
  assert.equal(a.name, 'report.pdf');
  const row = gw.services.store.uploads.get(a.id)!;
  assert.deepEqual([row.owner, row.size, row.contentType, row.uploadedAt], ['alice@example.com', 1234, 'application/pdf', undefined]);
  assert.ok(row.expiresAt - row.createdAt === 300_000);
});

test('slot refused: too large (not-acceptable + file-too-large), bad requests (nothing stored, session fine)', async () => {
  const big = await request(alice, { filename: 'big.iso', size: '100001', 'content-type': 'application/octet-stream' });
  assert.deepEqual(errorOf(big), { type: 'modify', condition: 'not-acceptable', text: 'File too large. The maximum file size is 100000 bytes' });
  assert.equal(big.getChild('error')!.getChild('file-too-large', NS_UP)?.getChildText('max-file-size'), '100000');

  const before = slotRows('alice@example.com');
  const bad: [Record<string, string>, string?][] = [
    [{ size: '10' }],
    [{ filename: '', size: '10' }],
    [{ filename: '..', size: '10' }],
    [{ filename: ' \t ', size: '10' }],
    [{ filename: '...', size: '10' }],
    [{ filename: 'a.txt' }],
    [{ filename: 'a.txt', size: '-1' }],
    [{ filename: 'a.txt', size: '1e3' }],
    [{ filename: 'a.txt', size: '10', 'content-type': 'not a type' }],
    [{ filename: 'a.txt', size: '10' }, 'set'],
  ];
  for (const [attrs, type] of bad) {
    const r = await request(alice, attrs, { type });
    assert.deepEqual([r.attrs.type, errorOf(r).condition], ['error', 'bad-request'], `${JSON.stringify(attrs)} ${type ?? ''}: ${r.toString()}`);
  }
  assert.equal(slotRows('alice@example.com'), before, 'no slot was stored');
  const other = await iq(alice, SVC, 'get', `<query xmlns='jabber:iq:version'/>`);
  assert.equal(errorOf(other).condition, 'service-unavailable');
  alice.send(`<message to='${SVC}' id='m'><body>hi</body></message>`);
  assert.equal(errorOf(await alice.next((e) => e.name === 'message' && e.attrs.id === 'm')).condition, 'service-unavailable');
  await slot('still-fine.txt', 3, 'text/plain');
});

test('filenames are sanitised: separators, control and bidi characters, length; the extension stays', async () => {
  assert.equal((await slot('../../herald.db', 5)).name, '.._.._herald.db');
  assert.equal((await slot('a\\b/c\u202Etxt.exe', 5)).name, 'a_b_c_txt.exe');
  assert.equal((await slot('tab\there\u0085.txt', 5)).name, 'tab_here_.txt');
  const long = (await slot(`${'ü'.repeat(150)}.pdf`, 5)).name;
  assert.ok(Buffer.byteLength(long) <= 200 && long.endsWith('.pdf') && long.startsWith('üü'), long);
});

test('quota: slots count toward the user’s bytes; past it, resource-constraint (others unaffected)', async () => {
  const carol = await login(gw.xmppPort!, 'carol@example.com', PW, 'q');
  await slot('one.bin', 100_000, undefined, carol);
  const two = await slot('two.bin', 100_000, undefined, carol);
  const r = await request(carol, { filename: 'three.bin', size: '60000' });
  assert.deepEqual([errorOf(r).type, errorOf(r).condition], ['wait', 'resource-constraint']);
  assert.match(errorOf(r).text, /Quota reached: 200000 of 250000 bytes used/);
  await slot('exactly-fits.bin', 50_000, undefined, carol);
  const up = await put(two.put, Buffer.alloc(100_000, 7));
  assert.equal(up.status, 201, 'an uploaded file still counts');
  assert.equal(errorOf(await request(carol, { filename: 'x', size: '1' })).condition, 'resource-constraint');
  await slot('alice-is-not-carol.bin', 100_000);
  carol.close();
});

test('only users of the domain may use upload.<domain>; theirs is upload.<their domain>', async () => {
  const zed = await login(gw.xmppPort!, 'zed@other.example', PW, 'z');
  const r = await request(zed, { filename: 'a.txt', size: '1' });
  assert.equal(errorOf(r).condition, 'forbidden');
  const items = await iq(zed, 'other.example', 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
  assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === 'upload.other.example'));
  assert.equal((await request(zed, { filename: 'a.txt', size: '1' }, { to: 'upload.other.example' })).attrs.type, 'result');
  zed.close();
});

test('PUT then GET/HEAD: the bytes, type, length, disposition, nosniff, sandbox CSP, ETag, ranges', async () => {
  const body = Buffer.from('hello upload, twenty-nine b\n!');
  const s = await slot('hello.txt', body.length, 'text/plain; charset=UTF-8');
  assert.equal((await fetch(s.get)).status, 404, 'nothing to GET before the PUT');
  const up = await put(s.put, body, 'text/plain;charset=UTF-8');
  assert.equal(up.status, 201, up.body.toString());
  const res = await fetch(s.get);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
  const h = { get: (n: string) => res.headers.get(n) ?? undefined };
  assert.equal(h.get('content-type'), 'text/plain; charset=UTF-8');
  assert.equal(h.get('content-length'), String(body.length));
  assert.equal(h.get('content-disposition'), `inline; filename="hello.txt"; filename*=UTF-8''hello.txt`);
  assert.equal(h.get('x-content-type-options'), 'nosniff');
  assert.equal(h.get('content-security-policy'), "sandbox; default-src 'none'");
  assert.equal(h.get('etag'), `"${s.id}"`);
  assert.match(h.get('cache-control')!, /private/);
  assert.equal(h.get('access-control-allow-origin'), '*');

  const head = await raw(s.get, 'HEAD', { body: '' }).response;
  assert.deepEqual([head.status, head.headers['content-length'], head.body.length], [200, String(body.length), 0]);
  assert.equal((await fetch(s.get, { headers: { 'if-none-match': `"${s.id}"` } })).status, 304);
  const part = await fetch(s.get, { headers: { range: 'bytes=6-11' } });
  assert.deepEqual([part.status, part.headers.get('content-range'), await part.text()], [206, `bytes 6-11/${body.length}`, 'upload']);
  const tail = await fetch(s.get, { headers: { range: 'bytes=-2' } });
  assert.deepEqual([tail.status, await tail.text()], [206, '\n!']);
  assert.equal(tail.headers.get('content-range'), `bytes ${body.length - 2}-${body.length - 1}/${body.length}`);
  const beyond = await fetch(s.get, { headers: { range: 'bytes=500-' } });
  assert.deepEqual([beyond.status, beyond.headers.get('content-range')], [416, `bytes */${body.length}`]);
  const stale = await fetch(s.get, { headers: { range: 'bytes=0-0', 'if-range': '"other"' } });
  assert.equal(stale.status, 200, 'If-Range that does not match: the whole file');

  const again = await put(s.put, body, 'text/plain; charset=UTF-8');
  assert.deepEqual([again.status, json(again.body).error.code], [409, 'already_uploaded']);
  const pre = await raw(s.put, 'OPTIONS', { body: '' }).response;
  assert.equal(pre.status, 204);
  assert.match(String(pre.headers['access-control-allow-methods']), /PUT/);
  assert.equal((await raw(s.put, 'POST', { body: 'x' }).response).status, 405);
});

test('PUT refused: unknown slot or name 404, size 413/400, content type 415, expired 410 — the slot survives each', async () => {
  const body = Buffer.from('0123456789');
  const s = await slot('ten.bin', 10, 'application/octet-stream');
  const cases: [string, Promise<{ status: number; body: Buffer }>, number, string][] = [
    ['unknown id', put(s.put.replace(s.id, 'A'.repeat(24)), body, 'application/octet-stream'), 404, 'not_found'],
    ['other name', put(s.put.replace(/[^/]+$/, 'other.bin'), body, 'application/octet-stream'), 404, 'not_found'],
    ['longer', put(s.put, Buffer.from('0123456789X'), 'application/octet-stream'), 413, 'too_large'],
    ['shorter', put(s.put, Buffer.from('012345678'), 'application/octet-stream'), 400, 'size_mismatch'],
    ['other type', put(s.put, body, 'text/html'), 415, 'content_type_mismatch'],
    ['no type', put(s.put, body), 415, 'content_type_mismatch'],
    ['bad type', put(s.put, body, '???'), 400, 'bad_content_type'],
  ];
  for (const [what, p, status, code] of cases) {
    const r = await p;
    assert.deepEqual([r.status, json(r.body).error.code], [status, code], what);
  }
  assert.equal((await put(s.put, body, 'Application/Octet-Stream')).status, 201, 'then the right PUT works (type compared case-insensitively)');
  assert.deepEqual(readFileSync(path.join(uploadsDir(gw), s.id)), body);
  assert.equal(statSync(path.join(uploadsDir(gw), s.id)).mode & 0o777, 0o600, 'private at rest, whatever the umask');
  assert.equal(statSync(uploadsDir(gw)).mode & 0o077, 0);

  const any = await slot('untyped', 3);
  assert.equal((await put(any.put, 'abc', 'application/pdf')).status, 201, 'a slot without content-type takes the PUT’s');
  assert.equal((await fetch(any.get)).headers.get('content-type'), 'application/pdf');

  const short = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.upload.slotTtlSeconds': 1, 'xmpp.upload.maxPendingSlots': 2 });
  try {
    await short.user('alice@example.com', PW);
    const a2 = await login(short.xmppPort!, 'alice@example.com', PW, 't');
    const first = await slot('a.txt', 1, undefined, a2);
    await slot('b.txt', 1, undefined, a2);
    const third = await request(a2, { filename: 'c.txt', size: '1' });
    assert.deepEqual([errorOf(third).type, errorOf(third).condition], ['wait', 'resource-constraint']);
    const retry = Date.parse(third.getChild('error')!.getChild('retry', NS_UP)!.attrs.stamp ?? '');
    assert.ok(Math.abs(retry - Date.now()) < 2000, 'retry when the oldest open slot expires');
    await sleep(1100);
    const late = await put(first.put, 'x');
    assert.deepEqual([late.status, json(late.body).error.code], [410, 'slot_expired']);
    await slot('c.txt', 1, undefined, a2); // expired slots no longer count
    a2.close();
  } finally {
    await short.destroy();
  }
});

test('size is enforced while the body streams: one byte over gets 413 before the client has finished', async () => {
  const s = await slot('stream.bin', 1000);
  const { req, response } = raw(s.put, 'PUT', { headers: { 'transfer-encoding': 'chunked' } });
  req.write(Buffer.alloc(600));
  req.write(Buffer.alloc(401)); // 1,001 bytes, and the request is never ended
  const r = await within(response, 3000, 'the server refuses before the body ends');
  assert.deepEqual([r.status, json(r.body).error.code], [413, 'too_large']);
  req.destroy();
  await until(() => tmpFiles(gw).length === 0, 'the temp file is removed');
  assert.ok(!existsSync(path.join(uploadsDir(gw), s.id)));
  assert.equal((await put(s.put, Buffer.alloc(1000))).status, 201, 'the slot is still good');
});

test('concurrent PUTs to one slot: one wins, the other gets 409; the file is the winner’s', async () => {
  const s = await slot('race.bin', 2000);
  const first = raw(s.put, 'PUT', { headers: { 'content-length': 2000 } });
  first.req.write(Buffer.alloc(1000, 1));
  await until(() => tmpFiles(gw).some((f) => f.startsWith(s.id)), 'the first upload is streaming');
  const second = await put(s.put, Buffer.alloc(2000, 2));
  assert.deepEqual([second.status, json(second.body).error.code], [409, 'upload_in_progress']);
  first.req.end(Buffer.alloc(1000, 1));
  assert.equal((await first.response).status, 201);
  assert.deepEqual(readFileSync(path.join(uploadsDir(gw), s.id)), Buffer.alloc(2000, 1));

  const t = await slot('race2.bin', 50_000);
  const results = await Promise.all([put(t.put, Buffer.alloc(50_000, 3)), put(t.put, Buffer.alloc(50_000, 4))]);
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 409], 'both at once: exactly one stored');
  const kept = readFileSync(path.join(uploadsDir(gw), t.id));
  assert.ok(kept.equals(Buffer.alloc(50_000, 3)) || kept.equals(Buffer.alloc(50_000, 4)), 'one whole body, not a mix');
});

test('an upload aborted mid-body leaves nothing behind, and the slot can be used again', async () => {
  const s = await slot('abort.bin', 4000);
  const { req, response } = raw(s.put, 'PUT', { headers: { 'content-length': 4000 } });
  response.catch(() => undefined);
  req.write(Buffer.alloc(2000));
  await until(() => tmpFiles(gw).some((f) => f.startsWith(s.id)), 'the upload is streaming');
  req.destroy();
  await until(() => tmpFiles(gw).length === 0, 'the temp file is removed');
  assert.ok(!existsSync(path.join(uploadsDir(gw), s.id)));
  assert.equal(gw.services.store.uploads.get(s.id)!.uploadedAt, undefined);
  assert.equal((await fetch(s.get)).status, 404);
  assert.equal((await put(s.put, Buffer.alloc(4000, 9))).status, 201);
});

test('uploaded HTML and SVG are served sandboxed as attachments; pictures inline; names kept exactly', async () => {
  const html = '<html><script>fetch("/api/v1/config")</script></html>';
  const s = await slot('page.html', html.length, 'text/html');
  assert.equal((await put(s.put, html, 'text/html')).status, 201);
  const res = await fetch(s.get);
  assert.equal(res.headers.get('content-type'), 'text/html');
  assert.equal(res.headers.get('content-security-policy'), "sandbox; default-src 'none'", 'scripts cannot run in the gateway origin');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('content-disposition')!, /^attachment;/);
  const svg = await slot('x.svg', 4, 'image/svg+xml');
  await put(svg.put, '<sv>', 'image/svg+xml');
  assert.match((await fetch(svg.get)).headers.get('content-disposition')!, /^attachment;/);
  const name = 'Überweisung "März" 100%.png';
  const png = await slot(name, 4, 'image/png');
  await put(png.put, 'PNG!', 'image/png');
  const d = (await fetch(png.get)).headers.get('content-disposition')!;
  assert.match(d, /^inline; filename="_berweisung _M_rz_ 100_\.png"; filename\*=UTF-8''/);
  assert.equal(decodeURIComponent(d.split("UTF-8''")[1]!), name);
});

test('path traversal: ids and names that try to leave the uploads folder are 404, nothing else is served', async () => {
  const s = await slot('../../herald.db', 5);
  assert.equal((await put(s.put, 'HELLO')).status, 201);
  assert.deepEqual(readFileSync(path.join(uploadsDir(gw), s.id), 'utf8'), 'HELLO', 'stored under its id');
  assert.equal(readFileSync(path.join(gw.dataDir, 'herald.db')).subarray(0, 15).toString(), 'SQLite format 3', 'the database is untouched');
  const base = `/upload/${s.id}`;
  for (const p of ['/upload/../herald.db', '/upload/..%2F..%2Fherald.db/x', '/upload/%2e%2e/herald.db', '/upload/tmp/x', `${base}/..%2F..%2Fherald.db`, `${base}/../../herald.db`, `${base}/%2e%2e`, `/upload/${s.id}%00/x`]) {
    for (const method of ['GET', 'PUT']) {
      const r = await raw(gw.url, method, { path: p, body: 'HELLO', headers: { 'content-length': 5 } }).response;
      assert.equal(r.status, 404, `${method} ${p} → ${r.status} ${r.body.toString().slice(0, 100)}`);
    }
  }
  assert.equal(await (await fetch(s.get)).text(), 'HELLO');
});

test('a file link (body + jabber:x:oob) is in the central IM log, for a 1:1 and a room message', async () => {
  const s = await slot('plan.pdf', 3, 'application/pdf');
  await put(s.put, 'pdf', 'application/pdf');
  const bob = await login(gw.xmppPort!, 'bob@example.com', PW, 'b');
  bob.send('<presence/>');
  alice.send('<presence/>');
  await bob.next((e) => e.name === 'presence' && e.attrs.from === bob.jid);
  const oob = `<x xmlns='jabber:x:oob'><url>${escapeXML(s.get)}</url></x>`;
  alice.send(`<message to='bob@example.com' type='chat' id='f1'><body>${escapeXML(s.get)}</body>${oob}</message>`);
  const got = await bob.next((e) => e.name === 'message' && e.attrs.id === 'f1');
  assert.equal(got.getChild('x', 'jabber:x:oob')?.getChildText('url'), s.get);

  const room = 'files@conference.example.com';
  alice.send(`<presence to='${room}/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
  await alice.next((e) => e.name === 'presence' && e.attrs.from === `${room}/Alice`);
  const made = await iq(alice, room, 'set', `<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>`);
  assert.equal(made.attrs.type, 'result');
  alice.send(`<message to='${room}' type='groupchat' id='f2'><body>the plan</body>${oob}</message>`);
  await alice.next((e) => e.name === 'message' && e.attrs.id === 'f2' && e.attrs.type === 'groupchat');

  const lines = logLines(gw.dataDir);
  const chat = lines.find((l) => l.type === 'chat' && l.to === 'bob@example.com' && l.body === s.get);
  assert.deepEqual(chat?.attachments, [s.get], JSON.stringify(lines));
  const group = lines.find((l) => l.type === 'groupchat' && l.to === room && l.body === 'the plan');
  assert.deepEqual([group?.from, group?.attachments], [alice.jid, [s.get]]);
  bob.close();
});

test('upload off: no component in disco, slot requests go nowhere, no /upload/ routes', async () => {
  const off = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.upload.enabled': false });
  try {
    await off.user('alice@example.com', PW);
    const a = await login(off.xmppPort!, 'alice@example.com', PW, 'o');
    const items = await iq(a, 'example.com', 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
    assert.ok(!items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === SVC), items.toString());
    assert.equal(errorOf(await request(a, { filename: 'a.txt', size: '1' })).condition, 'service-unavailable');
    assert.equal((await raw(off.url, 'PUT', { path: `/upload/${'A'.repeat(24)}/a.txt`, body: 'x' }).response).status, 404);
    a.close();
  } finally {
    await off.destroy();
  }
});

test('retention: old files purged at start (0 = kept); temp files and files without a slot swept', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-upload-'));
  const run = (days: number) => startTestGateway({ 'xmpp.requireTls': false, 'xmpp.upload.retentionDays': days }, { dataDir });
  try {
    let g = await run(30);
    await g.user('alice@example.com', PW);
    const a = await login(g.xmppPort!, 'alice@example.com', PW, 'r');
    const [old, fresh] = [await slot('old.txt', 3, undefined, a), await slot('fresh.txt', 3, undefined, a)];
    for (const s of [old, fresh]) assert.equal((await put(s.put, 'abc')).status, 201);
    const backdate = g.services.store.db.prepare('UPDATE upload_slots SET uploaded_at = ? WHERE id = ?');
    backdate.run(Date.now() - 31 * 86_400_000, old.id);
    a.close();
    await g.destroy();
    const dir = path.join(dataDir, 'uploads');
    mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    writeFileSync(path.join(dir, 'tmp', `${fresh.id}.half`), 'ab');
    writeFileSync(path.join(dir, 'B'.repeat(24)), 'orphan');
    writeFileSync(path.join(dir, 'junk.txt'), 'junk');

    g = await run(30);
    assert.deepEqual(readdirSync(dir), [fresh.id], 'only the fresh file is left');
    assert.equal((await fetch(`${g.url}/upload/${old.id}/old.txt`)).status, 404);
    assert.equal(await (await fetch(`${g.url}/upload/${fresh.id}/fresh.txt`)).text(), 'abc');
    g.services.store.db.prepare('UPDATE upload_slots SET uploaded_at = ? WHERE id = ?').run(Date.now() - 400 * 86_400_000, fresh.id);
    await g.destroy();

    g = await run(0);
    assert.equal(await (await fetch(`${g.url}/upload/${fresh.id}/fresh.txt`)).text(), 'abc', 'retentionDays 0 keeps files');
    await g.destroy();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---- interop: Debian's slixmpp (xep_0363 + aiohttp), over STARTTLS -----------------------------
const env = interopSetup({ alice: 'alice upload pw', bob: 'bob upload pw' });
type Ev<K extends SlixEvent['event']> = Extract<SlixEvent, { event: K }>;

test('slixmpp: finds upload.<domain>, gets a slot, PUTs; the GET URL serves it; the link reaches another slixmpp', async () => {
  const [{ c: sa }, { c: sb }] = await Promise.all([env.connect('alice'), env.connect('bob')]);
  const info = await sa.call('disco_info', { to: SVC });
  assert.equal(info.forms[0]?.['max-file-size'], String(50 * 1024 * 1024));
  const file = path.join(env.gw.dataDir, 'notes from slixmpp.txt');
  writeFileSync(file, 'uploaded by slixmpp\n');
  const up = await sa.call('upload', { path: file, content_type: 'text/plain' });
  assert.deepEqual([up.service, up.status, up.size], [SVC, 201, 20]);
  assert.ok(up.url.startsWith(`${env.gw.url}/upload/`) && up.url.endsWith('/notes%20from%20slixmpp.txt'), up.url);
  const res = await fetch(up.url);
  assert.deepEqual([res.status, await res.text()], [200, 'uploaded by slixmpp\n']);

  const sent = await sa.call('send_oob', { to: 'bob@example.com', url: up.url });
  const got = await sb.next<Ev<'message'>>({ event: 'message', id: sent.msg_id });
  assert.deepEqual([got.body, got.oob], [up.url, [up.url]]);
  const line = logLines(env.gw.dataDir).find((l) => l.type === 'chat' && l.body === up.url);
  assert.deepEqual(line?.attachments, [up.url]);
});
