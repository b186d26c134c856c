// Shared parts of desktop-chat.test.ts: the two servers the same chat tests run against — our
// gateway (in-process, desktop over WebSocket) and Debian's Prosody (desktop over TCP + STARTTLS
// with the server's self-signed certificate trusted) — a TCP relay between the desktop and the
// server that a test can cut, stall or point elsewhere (what a network does to a laptop), and a
// recorder of a chat's events. Nothing here stands in for a server: every byte goes to the real one.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { ChatEvent } from '../../desktop/src/shared/chat.ts';
import type { ChatConnectOptions } from '../../desktop/src/core/chat/chat-service.ts';
import { createXmppChat, type XmppChat, type XmppChatDeps } from '../../desktop/src/core/chat/xmpp-chat.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startProsody, type Prosody } from '../fixtures/prosody.ts';
import { startSlixmpp, type ConnectArgs, type Slixmpp } from '../fixtures/slixmpp.ts';

export const DOMAIN = 'example.com';
export const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
export type User = (typeof USERS)[number];
export const addr = (u: User) => `${u}@${DOMAIN}`;
const password = (u: User) => `${u}-secret-pw`;

/** A TCP relay on loopback: the desktop connects here, and it connects on to the server. */
export interface Relay {
  port: number;
  /** Drops every connection at once (both sides see it close, no stream end). */
  cut(): void;
  /** While on, new connections are refused (closed at once): the network is gone. */
  down(on: boolean): void;
  /** While on, bytes in both directions vanish (connections stay open): a dead route. */
  blackhole(on: boolean): void;
  /** Later connections go to this port (the server came back elsewhere). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  let target = targetPort;
  let isDown = false;
  let hole = false;
  const live = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (isDown) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      live.add(s);
      s.setNoDelay(true);
      s.on('close', () => {
        live.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => {});
    }
    client.on('data', (d) => hole || upstream.write(d));
    upstream.on('data', (d) => hole || client.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      for (const s of live) s.destroy();
    },
    down(on) {
      isDown = on;
    },
    blackhole(on) {
      hole = on;
    },
    retarget(port) {
      target = port;
    },
    async close() {
      for (const s of live) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface ChatServer {
  kind: 'gateway' | 'prosody';
  /** The users' rosters come from the directory (gateway) or must be built by subscribing (Prosody). */
  domainRoster: boolean;
  mucDomain: string;
  /** The relay the desktop chats use (tests cut it). */
  relay: Relay;
  /** How a desktop chat of this user connects (through the relay). */
  options(u: User, o?: { direct?: boolean }): ChatConnectOptions;
  /** How a slixmpp client of this user connects (directly, STARTTLS). */
  slix(u: User, resource: string): ConnectArgs;
  /** Stops the server and starts it again on the same data (sessions, queues in memory gone). */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/** A self-signed certificate for the domain, as an admin would configure for the gateway's TCP port. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'xmpp.crt');
  const key = path.join(dir, 'xmpp.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30',
    '-keyout', key, '-out', cert, '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN},DNS:conference.${DOMAIN},DNS:upload.${DOMAIN},IP:127.0.0.1`,
  ], { stdio: 'ignore' });
  return { cert, key };
}

export async function startGatewayServer(): Promise<ChatServer & { gw(): TestGateway }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-chat-gw-'));
  const certDir = path.join(dataDir, 'admin-tls');
  mkdirSync(certDir);
  const { cert, key } = makeCertificate(certDir);
  // plainWebSocketFromLoopback: the core signed in to http://127.0.0.1 takes the config's ws:// URL, as in
  // the demo; the chat tests' own connections use wss:// (options() below).
  const overrides = { 'xmpp.tlsCert': cert, 'xmpp.tlsKey': key, 'xmpp.upload.maxFileBytes': 200_000, 'xmpp.plainWebSocketFromLoopback': true };
  let gw = await startTestGateway(overrides, { dataDir });
  const tokens = new Map<User, string>();
  for (const u of USERS) tokens.set(u, await gw.user(addr(u), password(u)));
  // wss:// (the HTTP port serves the XMPP certificate too): plain ws:// is not encrypted, loopback or not.
  const wsPath = () => `${gw.httpsUrl}/xmpp-websocket`;
  const relay = await startRelay(Number(new URL(gw.url).port));
  const pem = readFileSync(cert, 'utf8');
  return {
    kind: 'gateway',
    domainRoster: true,
    mucDomain: `conference.${DOMAIN}`,
    relay,
    gw: () => gw,
    options(u, o = {}) {
      const url = o.direct ? wsPath() : `wss://127.0.0.1:${relay.port}/xmpp-websocket`;
      return { websocketUrl: url.replace(/^https/, 'wss'), tcp: { host: '127.0.0.1', port: gw.xmppPort! }, domain: DOMAIN, jid: addr(u), deviceToken: tokens.get(u)!, trustedCertificates: [pem] };
    },
    slix: (u, resource) => ({ jid: addr(u), password: password(u), host: '127.0.0.1', port: gw.xmppPort!, starttls: true, resource }),
    async restart() {
      await gw.destroy();
      gw = await startTestGateway(overrides, { dataDir });
      relay.retarget(Number(new URL(gw.url).port));
    },
    async destroy() {
      await relay.close();
      await gw.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startProsodyServer(): Promise<ChatServer & { prosody: Prosody }> {
  const prosody = await startProsody({ domain: DOMAIN, users: USERS.map((u) => ({ address: addr(u), password: password(u) })), tls: true, muc: true, upload: true, logLevel: 'warn' });
  const relay = await startRelay(prosody.port);
  const pem = readFileSync(prosody.certFile!, 'utf8');
  return {
    kind: 'prosody',
    domainRoster: false,
    mucDomain: prosody.mucDomain!,
    relay,
    prosody,
    options: (u, o = {}) => ({ websocketUrl: '', tcp: { host: '127.0.0.1', port: o.direct ? prosody.port : relay.port }, domain: DOMAIN, jid: addr(u), password: password(u), trustedCertificates: [pem] }),
    slix: (u, resource) => ({ jid: addr(u), password: password(u), host: prosody.host, port: prosody.port, starttls: true, resource }),
    async restart() {
      await prosody.stop();
      await prosody.start();
    },
    async destroy() {
      await relay.close();
      await prosody.destroy();
    },
  };
}

/** A desktop chat with its own data folder, and everything it reported. */
export interface TestChat {
  chat: XmppChat;
  dir: string;
  events: ChatEvent[];
  /** The first event matching that no earlier next() returned (also one that came before the call). */
  next<T extends ChatEvent['type']>(type: T, pred?: (e: Extract<ChatEvent, { type: T }>) => boolean, ms?: number): Promise<Extract<ChatEvent, { type: T }>>;
  /** Counts every event so far as seen: next() then only looks at what comes after. */
  fresh(): void;
  /** Messages reported so far, optionally of one conversation. */
  messages(withJid?: string): Extract<ChatEvent, { type: 'message' }>['message'][];
}

export function newChat(o: { dir?: string; deps?: Partial<XmppChatDeps> } = {}): TestChat {
  const dir = o.dir ?? mkdtempSync(path.join(tmpdir(), 'herald-chat-'));
  const chat = createXmppChat({ storage: createDirStorage(path.join(dir, 'data')), historyDir: path.join(dir, 'history'), tuning: { backoff: { minMs: 100, maxMs: 800 } }, ...o.deps });
  const events: ChatEvent[] = [];
  const consumed = new WeakSet<ChatEvent>();
  const waiters = new Set<(e: ChatEvent) => boolean>();
  chat.onEvent((e) => {
    events.push(e);
    for (const w of waiters) if (w(e)) break;
  });
  return {
    chat,
    dir,
    events,
    next(type, pred = () => true, ms = 8000) {
      const ok = (e: ChatEvent): e is Extract<ChatEvent, { type: typeof type }> => e.type === type && !consumed.has(e) && pred(e as never);
      const found = events.find(ok);
      if (found) {
        consumed.add(found);
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const w = (e: ChatEvent) => {
          if (!ok(e)) return false;
          consumed.add(e);
          waiters.delete(w);
          clearTimeout(timer);
          resolve(e);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no ${type} event within ${ms} ms; last events: ${JSON.stringify(events.slice(-6)).slice(0, 1500)}`));
        }, ms);
        waiters.add(w);
      });
    },
    fresh() {
      for (const e of events) consumed.add(e);
    },
    messages: (withJid) => events.flatMap((e) => (e.type === 'message' && (!withJid || e.message.with === withJid) ? [e.message] : [])),
  };
}

/** Waits until `check` holds (polling every 20 ms), or fails naming `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const suiteTitle = (kind: 'gateway' | 'prosody') =>
  `desktop chat against ${kind === 'gateway' ? 'the Herald gateway (WebSocket, device token)' : "Debian's Prosody (TCP + STARTTLS, SCRAM)"}`;

/**
 * The setup of a block of chat tests (call it inside describe()): the server, alice's and bob's
 * desktop chats connected, helpers for more chats and slixmpp peers, everything closed after.
 */
export function chatSuite(kind: 'gateway' | 'prosody') {
  let srv: ChatServer | undefined;
  const chats: TestChat[] = [];
  const slixes: Slixmpp[] = [];
  let alice: TestChat | undefined;
  let bob: TestChat | undefined;

  const chat = (o: Parameters<typeof newChat>[0] = {}) => {
    const c = newChat(o);
    chats.push(c);
    return c;
  };
  const slix = async (u: User, resource: string) => {
    const c = await startSlixmpp({ label: `${u}/${resource}@${kind}` });
    slixes.push(c);
    await c.call('connect', srv!.slix(u, resource));
    return c;
  };
  const contact = (c: TestChat, jid: string) => c.chat.contacts().find((x) => x.jid === jid);
  /** Makes `a` and `b` see each other's presence: the directory does it on the gateway; on Prosody they subscribe. */
  async function befriend(a: TestChat, aJid: string, b: TestChat, bJid: string): Promise<void> {
    if (!srv!.domainRoster) {
      await a.chat.addContact(bJid);
      await b.next('subscription-request', (e) => e.jid === aJid);
      await b.chat.answerSubscription(aJid, true);
    }
    await until(`${aJid} and ${bJid} subscribed both ways`, () => contact(a, bJid)?.subscription === 'both' && contact(b, aJid)?.subscription === 'both');
  }

  before(async () => {
    srv = kind === 'gateway' ? await startGatewayServer() : await startProsodyServer();
    alice = chat();
    bob = chat();
    await alice.chat.connect(srv.options('alice'));
    await bob.chat.connect(srv.options('bob'));
  });
  after(async () => {
    for (const c of chats) await c.chat.disconnect().catch(() => {});
    for (const s of slixes) await s.close();
    await srv?.destroy();
    for (const c of chats) rmSync(c.dir, { recursive: true, force: true });
  });
  return {
    get srv() {
      return srv!;
    },
    get alice() {
      return alice!;
    },
    get bob() {
      return bob!;
    },
    chat,
    slix,
    contact,
    befriend,
  };
}

