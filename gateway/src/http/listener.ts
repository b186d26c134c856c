// The HTTP port: HTTPS always, and plain HTTP on the same port only while the gateway is bound to
// loopback (the demo, local tools and tests). The first byte of a connection tells them apart: a
// TLS record starts with 0x16 (handshake, RFC 8446 §5.1), an HTTP request with a method's letter.
// An exposed gateway answers plain HTTP with a redirect (GET/HEAD) or an error and never reaches
// the API, unless http.trustProxy is on and the proxy says X-Forwarded-Proto: https.
import { LISTEN_BACKLOG } from '../config/listen-backlog.ts';
import { createServer as createPlainServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Certificate } from '../config/tls.ts';

/** A connection that sends nothing for this long before its first byte is dropped. */
const FIRST_BYTE_MS = 10_000;
/** How long a connection we ended may stay half-open (the peer reading our last words). */
export const HALF_OPEN_MS = 2000;
/** RFC 6797: one year; no includeSubDomains (other hosts of the domain are not ours to pin). */
export const HSTS = 'max-age=31536000';

export interface HttpListenerOptions {
  host: string;
  port: number;
  certificate: Certificate;
  /** Plain HTTP beside HTTPS: only for a loopback bind. */
  allowPlain: boolean;
  trustProxy: boolean;
  /** Where a plain GET to an HTTPS-only gateway is redirected (http.publicUrl's origin). */
  httpsOrigin: string;
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface HttpListener {
  /** The listening socket (both protocols arrive here). */
  server: Server;
  port: number;
  /** Connections open now (both protocols, upgraded ones included). */
  connections(): number;
  close(): Promise<void>;
}

/** How a request reached us: over TLS, from a trusted proxy that terminated TLS, or in clear. */
export function transportOf(req: IncomingMessage, trustProxy: boolean): 'tls' | 'proxied-https' | 'plain' {
  if ((req.socket as TLSSocket).encrypted === true) return 'tls';
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  return trustProxy && proto === 'https' ? 'proxied-https' : 'plain';
}

export async function startHttpListener(o: HttpListenerOptions): Promise<HttpListener> {
  const sockets = new Set<Socket>();
  const refusePlain = (req: IncomingMessage) => !o.allowPlain && transportOf(req, o.trustProxy) === 'plain';

  const request = (req: IncomingMessage, res: ServerResponse) => {
    if (refusePlain(req)) {
      // Nothing of the API over plain HTTP on an exposed gateway: a browser is sent to https, anything else is told why.
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.writeHead(308, { location: `${o.httpsOrigin}${req.url ?? '/'}`, 'content-type': 'text/plain' }).end(`use ${o.httpsOrigin}\n`);
      } else {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'forbidden', message: `this gateway speaks HTTPS only: use ${o.httpsOrigin}` } }));
      }
      return;
    }
    // HSTS only on HTTPS (RFC 6797 §7.2), and not for "localhost": a browser would pin every local port to HTTPS
    // (IP literals are ignored by browsers anyway, §8.1).
    if ((req.socket as TLSSocket).encrypted === true && !isLocalName(req.headers.host)) res.setHeader('Strict-Transport-Security', HSTS);
    o.onRequest(req, res);
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (refusePlain(req)) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nthis gateway speaks HTTPS only: use ${o.httpsOrigin.replace(/^http/, 'ws')}\n`);
      return;
    }
    o.onUpgrade(req, socket, head);
  };

  const tlsServer = createTlsServer({ cert: o.certificate.cert, key: o.certificate.key, minVersion: 'TLSv1.2' }, request);
  const plainServer = createPlainServer(request);
  for (const s of [tlsServer, plainServer]) s.on('upgrade', upgrade);
  // A failed handshake ends its own connection only.
  tlsServer.on('tlsClientError', (_e, socket) => socket.destroy());

  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Once our side is done (a refused upgrade, a closed keep-alive), a peer that never closes its
    // own would hold the descriptor for ever: it gets HALF_OPEN_MS to read the rest, then it ends.
    socket.once('finish', () => setTimeout(() => socket.destroy(), HALF_OPEN_MS).unref());
    socket.setTimeout(FIRST_BYTE_MS, () => socket.destroy());
    const sniff = () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return void socket.once('readable', sniff);
      socket.setTimeout(0);
      socket.unshift(first);
      (first[0] === 0x16 ? tlsServer : plainServer).emit('connection', socket);
    };
    sniff();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE' ? `HTTP port ${o.port} is already in use (set http.port, HERALD_HTTP_PORT or --http-port)` : `cannot listen on ${o.host}:${o.port}: ${e.message}`,
        ),
      ),
    );
    server.listen({ port: o.port, host: o.host, backlog: LISTEN_BACKLOG }, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => sockets.size,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      tlsServer.closeAllConnections();
      plainServer.closeAllConnections();
      await closed;
    },
  };
}

const isLocalName = (host: string | undefined) => {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
};
