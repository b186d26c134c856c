// GET /api/v1/events (WebSocket): pushes `folders` snapshots, `mail` alerts and `status`
// changes to the signed-in user's clients. Clients may send {"type":"ping"} or
// {"type":"refresh"}; anything else gets an `error` event and the connection stays up.
// Each socket remembers the device token it was opened with; when that credential ends
// (directory/credentials.ts, fanned out by main.ts) it is closed with 4401 and the reason.
// Nothing a client sends can throw out of a handler: a failure ends that one socket only.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { lazyWebSocketServer } from '../config/lazy-websocket-server.ts';
import type { Logger } from '../config/logger.ts';
import { endsHeld, REASON_TEXT, type CredentialEvent } from '../directory/credentials.ts';
import type { TokenService } from '../directory/tokens.ts';
import type { MailService } from '../mail/mail-service.ts';
import { ClientEventSchema, type ServerEvent } from '../protocol/api.ts';
import { ERROR_STATUS, HeraldError } from '../protocol/errors.ts';
import type { AccountRow } from '../store/index.ts';
import { authenticateToken, bearerToken } from './auth.ts';

/** Close code for a revoked token or deleted user (4000–4999: application codes, RFC 6455 §7.4.2). */
export const CLOSE_UNAUTHORIZED = 4401;
const HEARTBEAT_MS = 30_000;
const MAX_FRAME = 4096;

interface Live {
  token: string;
  /** The client's address (X-Forwarded-For's first hop behind http.trustProxy). */
  remoteAddress: string | undefined;
  accountId: number;
  domain: string;
  deviceId: number;
  alive: boolean;
  unsubscribe: () => void;
}

export function createEventsSocket({ tokens, mail, log, path, trustProxy = false }: { tokens: TokenService; mail: MailService; log: Logger; path: string; trustProxy?: boolean }) {
  const wss = lazyWebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false });
  const live = new Map<WebSocket, Live>();

  const rejectUpgrade = (socket: Duplex, e: unknown) => {
    const err = e instanceof HeraldError ? e : new HeraldError('internal', 'internal error');
    const body = JSON.stringify({ error: { code: err.code, message: err.message } });
    const status = ERROR_STATUS[err.code];
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const send = (ws: WebSocket, event: ServerEvent) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
  };

  /** Ends one socket: its credential is gone (4401) or handling it failed (1011). */
  const end = (ws: WebSocket, l: Live, code: number, reason: string) => {
    ws.close(code, reason);
    // A client that never answers the close frame does not keep its socket (ws waits 30 s).
    setTimeout(() => ws.terminate(), 2000).unref();
    l.unsubscribe();
    live.delete(ws);
  };

  const onMessage = (ws: WebSocket, l: Live, data: Buffer, isBinary: boolean) => {
    let parsed: unknown;
    try {
      if (isBinary) throw new Error('binary frames are not accepted');
      parsed = JSON.parse(data.toString('utf8'));
    } catch (e) {
      return send(ws, { type: 'error', error: { code: 'bad_json', message: `not a JSON text message: ${(e as Error).message}` } });
    }
    const r = ClientEventSchema.safeParse(parsed);
    if (!r.success) return send(ws, { type: 'error', error: { code: 'bad_request', message: 'expected {"type":"ping"} or {"type":"refresh"}' } });
    if (r.data.type === 'ping') return send(ws, { type: 'pong' });
    let account: AccountRow;
    try {
      account = authenticateToken(tokens, l.token, l.remoteAddress).account;
    } catch (e) {
      // Signed out between two messages (before the revocation reached this socket): only this socket ends.
      if (e instanceof HeraldError && e.status === 401) return end(ws, l, CLOSE_UNAUTHORIZED, `${REASON_TEXT['signed-out']}; sign in again`);
      throw e;
    }
    mail.refresh(account).catch((e: unknown) => {
      const message = e instanceof HeraldError ? e.message : 'refresh failed';
      send(ws, { type: 'status', mail: { state: 'unavailable', message } });
    });
  };

  const heartbeat = setInterval(() => {
    for (const [ws, l] of live) {
      if (!l.alive) {
        ws.terminate();
        continue;
      }
      l.alive = false;
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    /** Takes the upgrade if it is for the events path; returns false otherwise. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== path) return false;
      let token: string | undefined;
      let auth: ReturnType<typeof authenticateToken>;
      const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : '';
      const remoteAddress = forwarded || req.socket.remoteAddress || undefined;
      try {
        token = bearerToken(req.headers.authorization, url.searchParams);
        auth = authenticateToken(tokens, token, remoteAddress);
      } catch (e) {
        rejectUpgrade(socket, e);
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const l: Live = { token: token!, remoteAddress, accountId: auth.account.id, domain: auth.account.domain, deviceId: auth.deviceId, alive: true, unsubscribe: () => {} };
        live.set(ws, l);
        ws.on('pong', () => (l.alive = true));
        ws.on('message', (data: Buffer, isBinary) => {
          try {
            onMessage(ws, l, data, isBinary);
          } catch (e) {
            log.error({ err: e, user: auth.account.address }, 'events socket message handling failed: closing this socket');
            end(ws, l, 1011, 'internal error');
          }
        });
        ws.on('error', (e) => log.debug({ err: e.message }, 'events socket error'));
        ws.on('close', () => {
          l.unsubscribe();
          live.delete(ws);
        });
        try {
          l.unsubscribe = mail.subscribe(auth.account, (event) => send(ws, event));
        } catch (e) {
          log.error({ err: e, user: auth.account.address }, 'events socket could not start: closing it');
          return end(ws, l, 1011, 'internal error');
        }
        log.debug({ user: auth.account.address }, 'events socket open');
      });
      return true;
    },

    /** A credential ended (directory/credentials.ts): the sockets opened with it close with 4401 and why. */
    credentialEnded(e: CredentialEvent): void {
      if (e.ends === 'domain-im') return; // IM off: mail alerts are not IM, the device stays signed in
      for (const [ws, l] of live) {
        if (endsHeld(e, { accountId: l.accountId, domain: l.domain, deviceId: l.deviceId })) end(ws, l, CLOSE_UNAUTHORIZED, `${REASON_TEXT[e.reason]}; sign in again`);
      }
    },

    connections: () => live.size,

    close(): void {
      clearInterval(heartbeat);
      // The close frame tells clients why; the TCP connection ends at once (an upgraded socket is
      // no longer the HTTP server's to close, and a client that never answers the close frame
      // would otherwise keep it — and its idea that the gateway is up — for ws's 30 s timeout).
      for (const ws of live.keys()) {
        ws.close(1001, 'gateway shutting down');
        ws.terminate();
      }
      wss.close();
    },
  };
}
export type EventsSocket = ReturnType<typeof createEventsSocket>;
