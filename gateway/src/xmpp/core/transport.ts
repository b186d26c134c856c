// What a session needs of its connection, framing included: XML streams over TCP with STARTTLS
// (RFC 6120) and XMPP over WebSocket (RFC 7395: one element per frame, <open/> and <close/>
// instead of the stream root). Both parse through XmlStream, so both get its limits.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Element } from 'ltx';
import type { WebSocket } from 'ws';
import { later, mayReadNow } from './read-budget.ts';
import { NS } from './stanza.ts';
import { StreamError, XmlStream, type XmlStreamLimits } from './xml-stream.ts';

export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const STREAM_OPEN_ATTRS = `xmlns='${NS.client}' xmlns:stream='http://etherx.jabber.org/streams'`;

export interface StreamHandlers {
  streamStart(attrs: Record<string, string>): void;
  stanza(el: Element): void;
  streamEnd(): void;
  error(e: StreamError): void;
  /** Nothing came in for the idle time. */
  idle(): void;
  /** The connection is gone (closed by either side, or dead). */
  closed(): void;
}

export interface StreamIo {
  readonly remoteAddress: string;
  /** How the client is connected, and (WebSocket) the User-Agent it sent: the admin console's sessions page. */
  readonly transport?: 'tcp' | 'websocket';
  readonly userAgent?: string | undefined;
  /** The connection is encrypted (TLS, wss://, or a TLS-terminating proxy we trust). */
  readonly secure: boolean;
  /** STARTTLS can be offered (TCP with a certificate, not yet encrypted). */
  readonly canStartTls: boolean;
  /** Who gets this connection's events: one owner at a time (a resumed session takes over, XEP-0198). */
  attach(h: StreamHandlers): void;
  /** What comes next is a new stream header (after STARTTLS or SASL success). */
  restart(): void;
  openStream(domain: string, id: string): void;
  send(xml: Element | string): void;
  /**
   * Hands what send() holds back for the rest of this event-loop turn to the socket now (TCP
   * coalesces a turn's writes into one). For a delivery whose record is committed already: the
   * SEM spool's commit→write window (im/spool/spool.ts) must stay microseconds, not a turn.
   */
  flush(): void;
  /** Ends our side of the stream (`</stream:stream>` or `<close/>`); the connection closes after. */
  closeStream(): void;
  startTls(): Promise<void>;
  close(): void;
}

function feed(parser: XmlStream, h: StreamHandlers, data: Buffer | string): void {
  try {
    parser.write(data);
  } catch (e) {
    h.error(e instanceof StreamError ? e : new StreamError('internal-server-error', (e as Error).message));
  }
}

/**
 * Runs `flush` once the current turn of the event loop is done (setImmediate, after the I/O
 * callbacks of this turn): the stanzas a connection is sent meanwhile — a new user's initial
 * presence answered with everyone's (RFC 6121 §4.2.3), the presence of everyone who signed in in
 * the same turn — leave in one write, one TLS record and one system call instead of one each.
 * One immediate for all connections; the latency added is the rest of the turn.
 */
let dirty: (() => void)[] = [];
function coalesced(flush: () => void): void {
  if (!dirty.length) setImmediate(flushAll);
  dirty.push(flush);
}

/**
 * While a large fan-out is worked through in slices (outbox.ts: a morning sign-in is N² presence
 * copies), a turn gives each connection one or two of them — most of the cost was still one TLS
 * record and one system call per copy. So during a fan-out, output is written at most every
 * FLOOD_FLUSH_MS, several slices' worth per write; a chat message meanwhile waits that long at most.
 */
export const FLOOD_FLUSH_MS = 25;
let floodUntil = 0;
let lastFlushAt = 0;
/** A fan-out is under way (outbox.ts, each slice that leaves work for later): hold output up to FLOOD_FLUSH_MS. */
export function fanoutUnderway(): void {
  floodUntil = performance.now() + FLOOD_FLUSH_MS;
}
/** The fan-out is done: what is held goes at the end of this turn. */
export function fanoutDone(): void {
  floodUntil = 0;
}

function flushAll(): void {
  const now = performance.now();
  if (now < floodUntil && now - lastFlushAt < FLOOD_FLUSH_MS) {
    setImmediate(flushAll);
    return;
  }
  lastFlushAt = now;
  // Writes made by a flush (none expected) join a new list and a new turn.
  const due = dirty;
  dirty = [];
  for (const f of due) {
    try {
      f();
    } catch {
      // One connection's failure must not strand the others' pending output (they would never
      // be scheduled again); the socket's own 'error' handler deals with its connection.
    }
  }
}
/** A connection's pending output is written at once past this size (bounds what waits per connection). */
const FLUSH_AT_CHARS = 64 * 1024;

/** `directTls`: the socket is a TLS socket already (XEP-0368 direct TLS): secure, no STARTTLS. */
export function tcpStreamIo(socket: Socket, secureContext: SecureContext | undefined, limits: XmlStreamLimits, idleMs: number, directTls = false): StreamIo {
  let current: Socket = socket;
  let secure = directTls;
  let closed = false;
  let h: StreamHandlers | undefined;
  const parser = new XmlStream(limits, {
    streamStart: (a) => h?.streamStart(a),
    stanza: (el) => h?.stanza(el),
    streamEnd: () => h?.streamEnd(),
  });
  // Everything written in one turn of the event loop goes out as one socket write (coalesced()
  // above): a presence flood is thousands of small stanzas per connection.
  let pending = '';
  const flush = () => {
    if (!pending) return;
    const out = pending;
    pending = '';
    if (!closed && current.writable) current.write(out);
  };
  const write = (s: string) => {
    if (closed || !current.writable || !s) return;
    if (!pending) coalesced(flush);
    pending += s;
    if (pending.length >= FLUSH_AT_CHARS) flush();
  };
  // Chunks read but not parsed yet: this turn's reading budget was spent (read-budget.ts). The
  // socket is paused meanwhile, so they are all there is until they are parsed, in order.
  let held: Buffer[] = [];
  const parseHeld = (budgetLeft: () => boolean) => {
    while (held.length) {
      if (closed) {
        held = [];
        return;
      }
      const c = held.shift()!;
      if (h) feed(parser, h, c);
      if (held.length && !budgetLeft()) return later(parseHeld);
    }
    if (!closed) current.resume();
  };
  const onData = (s: Socket) => (c: Buffer) => {
    if (!h) return;
    // Before STARTTLS the socket is handed to TLS (startTls below): it is never held.
    if (held.length || (!(secureContext && !secure && s === socket) && !mayReadNow())) {
      held.push(c);
      if (held.length === 1) {
        s.pause();
        later(parseHeld);
      }
      return;
    }
    feed(parser, h, c);
  };
  const attachSocket = (s: Socket) => {
    s.setNoDelay(true); // latency: see notes on Nagle in ../shared/notes/xmpp-peers.md
    s.setTimeout(idleMs, () => h?.idle());
    s.on('data', onData(s));
    s.on('error', () => s.destroy());
    s.on('close', () => {
      if (current !== s || closed) return;
      closed = true;
      h?.closed();
    });
  };
  attachSocket(socket);
  const io: StreamIo = {
    remoteAddress: socket.remoteAddress ?? 'unknown',
    get secure() {
      return secure;
    },
    get canStartTls() {
      return !!secureContext && !secure;
    },
    attach: (handlers) => void (h = handlers),
    restart: () => parser.restart(),
    openStream(domain, id) {
      write(`<?xml version='1.0'?><stream:stream ${STREAM_OPEN_ATTRS} id='${id}' from='${domain}' version='1.0' xml:lang='en'>`);
    },
    send: (xml) => write(typeof xml === 'string' ? xml : xml.toString()),
    flush,
    closeStream: () => write('</stream:stream>'),
    startTls() {
      // <proceed/> goes out in the clear before the TLS handshake takes the socket over.
      flush();
      return new Promise((resolve, reject) => {
        const plain = current;
        plain.removeAllListeners('data');
        plain.setTimeout(0);
        const tls = new TLSSocket(plain, { isServer: true, secureContext });
        current = tls;
        attachSocket(tls);
        tls.once('secure', () => {
          secure = true;
          resolve();
        });
        tls.once('error', reject);
      });
    },
    close() {
      if (closed) return;
      flush();
      current.end();
      setTimeout(() => current.destroy(), 2000).unref();
    },
  };
  return io;
}

const STANZAS = new Set(['message', 'presence', 'iq']);

/**
 * RFC 7395 over a `ws` socket. Frames are fed to an XmlStream inside a synthetic stream root, so
 * <open/> and <close/> arrive as elements and become stream start and end.
 */
export function wsStreamIo(ws: WebSocket, remoteAddress: string, secure: boolean, limits: XmlStreamLimits, idleMs: number, userAgent?: string): StreamIo {
  let h: StreamHandlers | undefined;
  let closed = false;
  const parser = new XmlStream(limits, {
    streamStart: () => {},
    stanza: (el) => {
      if (el.name === 'open' && el.attrs.xmlns === NS_FRAMING) h?.streamStart(el.attrs);
      else if (el.name === 'close' && el.attrs.xmlns === NS_FRAMING) h?.streamEnd();
      else h?.stanza(el);
    },
    streamEnd: () => {},
  });
  const begin = () => {
    parser.restart();
    parser.write(`<stream:stream ${STREAM_OPEN_ATTRS}>`);
  };
  begin();
  const onIdle = () => h?.idle();
  let idle = setTimeout(onIdle, idleMs);
  ws.on('message', (data: Buffer, isBinary) => {
    clearTimeout(idle);
    idle = setTimeout(onIdle, idleMs);
    if (!h) return;
    if (isBinary) return h.error(new StreamError('bad-format', 'XMPP over WebSocket uses text frames (RFC 7395 §3.2)'));
    feed(parser, h, data);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    clearTimeout(idle);
    if (closed) return;
    closed = true;
    h?.closed();
  });
  const write = (s: string) => {
    if (!closed && ws.readyState === ws.OPEN) ws.send(s);
  };
  return {
    remoteAddress,
    transport: 'websocket',
    userAgent,
    secure,
    canStartTls: false,
    attach: (handlers) => void (h = handlers),
    restart: begin,
    openStream(domain, id) {
      write(`<open xmlns='${NS_FRAMING}' id='${id}' from='${domain}' version='1.0' xml:lang='en'/>`);
    },
    send(xml) {
      if (typeof xml === 'string') return write(xml);
      // Each frame stands alone: stanzas carry their namespace (RFC 7395 §3.3.3).
      const add = STANZAS.has(xml.name) && !xml.attrs.xmlns;
      if (add) xml.attrs.xmlns = NS.client;
      write(xml.toString());
      if (add) delete xml.attrs.xmlns;
    },
    flush: () => {}, // every frame is its own ws.send() already
    closeStream: () => write(`<close xmlns='${NS_FRAMING}'/>`),
    startTls: () => Promise.reject(new Error('no STARTTLS over WebSocket')),
    close() {
      if (closed) return;
      ws.close(1000);
      setTimeout(() => ws.terminate(), 2000).unref();
    },
  };
}
