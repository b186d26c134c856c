// Clients for the revocation tests: each records WHEN its connection was ended, so a test can
// start a clock before the revoking action and assert how long the revocation took to arrive.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parse, type Element } from 'ltx';
import { createElementQueue } from '../fixtures/element-queue.ts';
import WebSocket from 'ws';
import { scramClientProof } from '../../gateway/src/directory/scram.ts';
import type { TestGateway } from '../fixtures/gateway.ts';
import { connectRaw, plain, streamOpen, type RawClient } from '../fixtures/xmpp-raw.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/herald-gateway.mjs');
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams';

/** The real CLI on the gateway's data folder (another process, as an admin runs it); resolves at its exit. */
export function cli(gw: TestGateway, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; exitedAt: number }> {
  const child = spawn(process.execPath, [bin, ...args, '--data', gw.dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end('');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, exitedAt: performance.now() }));
  });
}

/** POST /api/v1/session: a device token (and its id) as the desktop app gets it. */
export async function signIn(gw: TestGateway, user: string, password: string, device: string): Promise<{ token: string; deviceId: number }> {
  const r = await gw.api('POST', '/api/v1/session', { body: { user, password, device } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.json)}`);
  const token = r.json.deviceToken as string;
  return { token, deviceId: gw.services.tokens.verifyDevice(token).deviceId };
}

export interface Ending {
  /** How the connection was ended: the stream error's condition and text, or the WebSocket close code and reason. */
  condition: string;
  text: string;
  at: number;
}

/** An XMPP client (TCP or WebSocket) that notes the stream error that ended it. */
export interface XmppClient {
  send(xml: string): void;
  next(pred: (el: Element) => boolean, ms?: number): Promise<Element>;
  ended: Promise<Ending>;
  /** An iq ping answered: the session is alive. */
  ping(): Promise<void>;
  kill(): void;
}

const streamErrorOf = (el: Element): Ending => {
  const condition = el.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === STREAMS && c.name !== 'text')?.name ?? '?';
  return { condition, text: el.getChildText('text', STREAMS) ?? '', at: performance.now() };
};

let pings = 0;
const pingOf = (c: { send(x: string): void; next(p: (e: Element) => boolean, ms?: number): Promise<Element> }) => async () => {
  const id = `ping${++pings}`;
  c.send(`<iq type='get' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const r = await c.next((e) => e.name === 'iq' && e.attrs.id === id);
  if (r.attrs.type !== 'result') throw new Error(`ping failed: ${r.toString()}`);
};

function tcpClient(c: RawClient): XmppClient {
  // The server's stream error and its end of the stream arrive together; no timer keeps the test alive.
  const ended = c.closed.then(() => {
    const error = c.received.find((e) => e.name === 'stream:error');
    return error ? streamErrorOf(error) : { condition: 'closed without a stream error', text: '', at: performance.now() };
  });
  return { send: c.send, next: c.next, ended, ping: pingOf(c), kill: c.kill };
}

/** PLAIN over TCP with a password or a device token, up to (and without) binding. */
export async function tcpAuthenticated(port: number, address: string, secret: string): Promise<RawClient> {
  const domain = address.split('@')[1]!;
  const c = await connectRaw(port);
  c.send(streamOpen(domain));
  await c.next((e) => e.name === 'stream:features');
  c.send(`<auth xmlns='${SASL}' mechanism='PLAIN'>${plain(address, secret)}</auth>`);
  const answer = await c.next((e) => e.name === 'success' || e.name === 'failure');
  if (answer.name !== 'success') throw new Error(`login failed: ${answer.toString()}`);
  c.restart();
  c.send(streamOpen(domain));
  await c.next((e) => e.name === 'stream:features');
  return c;
}

async function bind(c: { send(x: string): void; next(p: (e: Element) => boolean): Promise<Element> }, resource: string) {
  c.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const bound = await c.next((e) => e.name === 'iq' && e.attrs.id === 'bind');
  if (bound.attrs.type !== 'result') throw new Error(`bind failed: ${bound.toString()}`);
}

/** XMPP over TCP, PLAIN with a password or a device token, bound. */
export async function tcpLogin(port: number, address: string, secret: string, resource: string): Promise<XmppClient & { raw: RawClient }> {
  const c = await tcpAuthenticated(port, address, secret);
  await bind(c, resource);
  return Object.assign(tcpClient(c), { raw: c });
}

/** XMPP over TCP with SCRAM-SHA-256 (the password never crosses), bound. */
export async function scramLogin(port: number, address: string, password: string, resource: string): Promise<XmppClient> {
  const [local, domain] = address.split('@') as [string, string];
  const c = await connectRaw(port);
  c.send(streamOpen(domain));
  await c.next((e) => e.name === 'stream:features');
  const clientFirstBare = `n=${local},r=${Buffer.from(`nonce ${resource}`).toString('base64')}`;
  c.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-256'>${Buffer.from(`n,,${clientFirstBare}`).toString('base64')}</auth>`);
  const serverFirst = Buffer.from((await c.next((e) => e.name === 'challenge')).getText(), 'base64').toString();
  const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${a.r}`;
  const { proof } = await scramClientProof('sha256', password, Buffer.from(a.s!, 'base64'), Number(a.i), `${clientFirstBare},${serverFirst},${withoutProof}`);
  c.send(`<response xmlns='${SASL}'>${Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64')}</response>`);
  const answer = await c.next((e) => e.name === 'success' || e.name === 'failure');
  if (answer.name !== 'success') throw new Error(`SCRAM login failed: ${answer.toString()}`);
  c.restart();
  c.send(streamOpen(domain));
  await c.next((e) => e.name === 'stream:features');
  await bind(c, resource);
  return tcpClient(c);
}

/** XMPP over WebSocket (RFC 7395) on the HTTP port, PLAIN, bound. */
export async function wsLogin(gw: TestGateway, address: string, secret: string, resource: string, opts: { userAgent?: string; headers?: Record<string, string> } = {}): Promise<XmppClient> {
  const domain = address.split('@')[1]!;
  const headers = { ...opts.headers, ...(opts.userAgent ? { 'user-agent': opts.userAgent } : {}) };
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/xmpp-websocket`, ['xmpp'], { headers });
  const q = createElementQueue(5000);
  let endedBy: (e: Ending) => void;
  const ended = new Promise<Ending>((r) => (endedBy = r));
  ws.on('message', (d) => {
    const el = parse(String(d));
    if (el.name === 'stream:error') endedBy(streamErrorOf(el));
    q.push(el);
  });
  ws.on('close', (code) => endedBy({ condition: `closed ${code} without a stream error`, text: '', at: performance.now() }));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = q.next;
  const send = (xml: string) => ws.send(xml);
  const open = `<open xmlns='${FRAMING}' to='${domain}' version='1.0'/>`;
  send(open);
  await next((e) => e.name === 'stream:features');
  send(`<auth xmlns='${SASL}' mechanism='PLAIN'>${plain(address, secret)}</auth>`);
  const answer = await next((e) => e.name === 'success' || e.name === 'failure');
  if (answer.name !== 'success') throw new Error(`login failed: ${answer.toString()}`);
  send(open);
  await next((e) => e.name === 'stream:features');
  await bind({ send: (x) => send(x.replace("<iq ", "<iq xmlns='jabber:client' ")), next }, resource);
  const wsSend = (x: string) => send(x.replace(/^<iq /, "<iq xmlns='jabber:client' "));
  return { send: wsSend, next, ended, ping: pingOf({ send: wsSend, next }), kill: () => ws.terminate() };
}

/** An events socket's close, with when it came. */
export function closeOf(ws: WebSocket): Promise<Ending> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ condition: String(code), text: String(reason), at: performance.now() })));
}

/** An events socket answers a ping: it is open and served. */
export async function eventsAlive(events: { ws: WebSocket; next: (p: (e: { type: string }) => boolean) => Promise<unknown> }): Promise<void> {
  events.ws.send(JSON.stringify({ type: 'ping' }));
  await events.next((e) => e.type === 'pong');
}
