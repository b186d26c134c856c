// A ws WebSocketServer ({ noServer: true }) made on the first upgrade it handles. ws is 0.85 MiB
// of heap once loaded (measured after node's own http/tls/crypto modules), and most gateways never
// see a WebSocket: the desktop's events socket, XMPP over WebSocket (RFC 7395) and the admin
// console's live numbers are loaded then, not at start (issue 12: RSS at rest). require() keeps
// the upgrade synchronous: the first one waits for the load (a few ms), no other does.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type * as Ws from 'ws';

export interface LazyWebSocketServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: Ws.WebSocket, req: IncomingMessage) => void): void;
  /** Closes the server if one was made (its clients are the caller's to end). */
  close(): void;
}

export function lazyWebSocketServer(options: Ws.ServerOptions & { noServer: true }): LazyWebSocketServer {
  let wss: Ws.WebSocketServer | undefined;
  return {
    handleUpgrade(req, socket, head, done) {
      wss ??= new (createRequire(import.meta.url)('ws') as typeof Ws).WebSocketServer(options);
      wss.handleUpgrade(req, socket, head, done);
    },
    close: () => wss?.close(),
  };
}
