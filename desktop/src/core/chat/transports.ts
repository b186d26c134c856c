// The two ways the chat reaches a server, as xmpp.js connection classes with our own sockets:
// - WebSocket (RFC 7395, subprotocol `xmpp`) through the `ws` package — Node 20 has no global
//   WebSocket, and ours takes the extra trusted certificates for wss:// and refuses a write to a
//   socket that is no longer open (the global one drops it silently, which would count a lost
//   message as sent);
// - TCP with STARTTLS (RFC 6120 §5): the socket negotiates TLS itself before xmpp.js sees the
//   stream — stream header, <starttls/>, <proceed/>, then TLS checked against the system's
//   certificates plus the ones the caller trusts (a self-signed server) for the XMPP domain —
//   and hands xmpp.js a secure socket, on which it opens the stream again (§5.4.3.3: the stream
//   restart after TLS). xmpp.js's own STARTTLS cannot be told about a trusted certificate, and a
//   server that does not offer STARTTLS is refused: no login in the clear.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import SaxLtx from 'ltx/src/parsers/ltx.js';
import type { XmppClient, XmppTransport } from '@xmpp/client';
import WebSocket from 'ws';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NEGOTIATION_MS = 15_000;

export interface TransportOptions {
  /** The XMPP domain: the name the TLS certificate must carry. */
  domain: string;
  /** PEM certificates trusted besides the system's. */
  trusted: string[];
}

/** What xmpp.js's socket classes have (events: connect, data, close, error). */
interface XmppSocket extends EventEmitter {
  secure: boolean;
  url?: string | null;
  socket: unknown;
  connect(params: unknown): void;
  _attachSocket(socket: unknown): void;
  write(data: string, fn?: (err?: Error) => void): void;
  end(): void;
}

const isLoopback = (host: string) => ['localhost', '127.0.0.1', '::1', '[::1]'].includes(host);

function caOption(trusted: string[]): string[] | undefined {
  return trusted.length ? [...tls.rootCertificates, ...trusted] : undefined;
}

/** A socket that speaks STARTTLS first and then behaves like xmpp.js's TLS socket. */
export class StartTlsSocket extends EventEmitter {
  secure = false;
  socket: tls.TLSSocket | undefined;
  private raw: net.Socket | undefined;
  private closed = false;

  constructor(private readonly o: TransportOptions) {
    super();
  }

  connect(params: { host: string; port: number | null }): void {
    const raw = net.connect({ host: params.host, port: params.port ?? 5222 });
    this.raw = raw;
    raw.setKeepAlive(true, 30_000);
    raw.setNoDelay(true);
    const fail = (e: Error) => {
      this.emit('error', e);
      raw.destroy();
    };
    const timer = setTimeout(() => fail(new Error(`STARTTLS with ${params.host}:${params.port ?? 5222} did not complete within ${NEGOTIATION_MS / 1000} s`)), NEGOTIATION_MS);
    raw.once('close', (hadError) => {
      clearTimeout(timer);
      if (this.closed) return;
      this.closed = true;
      this.emit('close', hadError);
    });
    raw.on('error', (e) => {
      clearTimeout(timer);
      if (!this.socket) this.emit('error', e);
    });
    raw.once('connect', () => {
      raw.write(`<?xml version='1.0'?><stream:stream to='${this.o.domain.replace(/[<>&'"]/g, '')}' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
    });
    const parser = new SaxLtx();
    let depth = 0;
    let offered = false;
    let phase: 'features' | 'proceed' | 'done' = 'features';
    parser.on('startElement', (name: string, attrs: Record<string, string>) => {
      depth++;
      if (depth === 3 && name === 'starttls' && attrs.xmlns === NS_TLS) offered = true;
      if (depth === 2 && name === 'stream:error') phase = 'done';
    });
    parser.on('endElement', (name: string) => {
      depth--;
      if (phase === 'done') return;
      if (depth === 1 && name === 'stream:error') return fail(new Error('the server refused the stream before TLS'));
      if (depth !== 1) return;
      if (phase === 'features' && name === 'stream:features') {
        if (!offered) return fail(new Error(`${params.host}:${params.port ?? 5222} does not offer STARTTLS; refusing to sign in without TLS`));
        phase = 'proceed';
        raw.write(`<starttls xmlns='${NS_TLS}'/>`);
      } else if (phase === 'proceed' && name === 'proceed') {
        phase = 'done';
        raw.removeListener('data', onData);
        clearTimeout(timer);
        this.upgrade(raw);
      } else if (phase === 'proceed' && name === 'failure') {
        fail(new Error('the server refused STARTTLS'));
      }
    });
    const onData = (d: Buffer) => {
      try {
        parser.write(d.toString('utf8'));
      } catch (e) {
        fail(e as Error);
      }
    };
    raw.on('data', onData);
  }

  private upgrade(raw: net.Socket): void {
    const s = tls.connect({ socket: raw, servername: this.o.domain, ca: caOption(this.o.trusted), minVersion: 'TLSv1.2' });
    this.socket = s;
    s.on('data', (d: Buffer) => this.emit('data', d));
    s.on('error', (e) => {
      this.emit('error', e);
      raw.destroy();
    });
    s.once('secureConnect', () => {
      this.secure = true;
      this.emit('connect');
    });
  }

  write(data: string, fn?: (err?: Error) => void): void {
    const s = this.socket;
    if (!s || !this.secure || s.destroyed || !s.writable) {
      if (fn) queueMicrotask(() => fn(new Error('the connection is closed')));
      return;
    }
    s.write(data, (err) => fn?.(err ?? undefined));
  }

  end(): void {
    if (this.socket) this.socket.end();
    else this.raw?.end();
  }

  /** Drops the connection at once (no stream close): what a dead network looks like. */
  destroy(): void {
    this.raw?.destroy();
  }
}

function findTransport(entity: XmppClient, sample: string): XmppTransport {
  const T = entity.transports.find((t) => {
    try {
      return t.prototype.socketParameters(sample) !== undefined;
    } catch {
      return false;
    }
  });
  if (!T) throw new Error(`xmpp.js offers no transport for ${sample}`);
  return T;
}

/** Replaces the client's transports with ours: ws(s):// and xmpp://host:port (STARTTLS). */
export function installTransports(entity: XmppClient, o: TransportOptions): void {
  const WsBase = findTransport(entity, 'ws://localhost/');
  const TcpBase = findTransport(entity, 'xmpp://localhost:5222');
  const WsSocketBase = WsBase.prototype.Socket as new () => XmppSocket;

  class HeraldWsSocket extends WsSocketBase {
    override connect(url: string): void {
      const u = new URL(url);
      this.url = url;
      this.secure = u.protocol === 'wss:' || isLoopback(u.hostname);
      this._attachSocket(new WebSocket(url, ['xmpp'], { ca: caOption(o.trusted), handshakeTimeout: NEGOTIATION_MS, maxPayload: 16 * 1024 * 1024 }));
    }
    override write(data: string, fn?: (err?: Error) => void): void {
      const ws = this.socket as WebSocket | null;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        if (fn) queueMicrotask(() => fn(new Error('the WebSocket is not open')));
        return;
      }
      ws.send(data, (err) => fn?.(err ?? undefined));
    }
  }
  const HeraldTcpSocket = class extends StartTlsSocket {
    constructor() {
      super(o);
    }
  };
  class WsTransport extends WsBase {}
  class TcpTransport extends TcpBase {}
  (WsTransport.prototype as { Socket: unknown }).Socket = HeraldWsSocket;
  (TcpTransport.prototype as { Socket: unknown }).Socket = HeraldTcpSocket;
  entity.transports.splice(0, entity.transports.length, WsTransport as unknown as XmppTransport, TcpTransport as unknown as XmppTransport);
}

/** Drops the client's connection at once, whichever transport it uses (no stream close). */
export function dropConnection(entity: XmppClient): void {
  const s = (entity as unknown as { socket?: { destroy?(): void; socket?: { terminate?(): void } | null } | null }).socket;
  if (!s) return;
  if (s instanceof StartTlsSocket) s.destroy();
  else s.socket?.terminate?.();
}
