// Whether XMPP over WebSocket (RFC 7395) reached us encrypted, which xmpp.requireTls asks for before
// authentication (RFC 6120 §5.3.1 asks the same of TCP). A loopback peer is NOT enough by itself:
// a plain-HTTP reverse proxy on the same host is a loopback peer too, with the network behind it.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const PROXY_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'via'];

export interface WebSocketTrust {
  /** http.trustProxy: the proxy's X-Forwarded-Proto: https counts (it terminated TLS). */
  trustProxy: boolean;
  /** xmpp.plainWebSocketFromLoopback (the demo): plain ws:// from loopback, with no proxy header, counts. */
  plainFromLoopback: boolean;
}

export function websocketEncrypted(req: IncomingMessage, t: WebSocketTrust): boolean {
  if ((req.socket as TLSSocket).encrypted === true) return true;
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  if (t.trustProxy && proto === 'https') return true;
  return t.plainFromLoopback && LOOPBACK.has(req.socket.remoteAddress ?? '') && !PROXY_HEADERS.some((h) => req.headers[h] !== undefined);
}
