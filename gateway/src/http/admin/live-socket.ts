// The dashboard's live numbers: a WebSocket at /admin/live. One snapshot is taken every
// admin.liveSeconds while at least one admin watches, serialised once and sent to every viewer —
// the cost does not grow with viewers beyond one send each, and is nothing with none.
// The upgrade needs the console's session cookie and this origin (a page elsewhere cannot open it
// with the admin's cookie: cross-site WebSocket hijacking), and the session is checked again on
// every tick (signed out, timed out or no longer an admin: the socket closes with 4401).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { lazyWebSocketServer } from '../../config/lazy-websocket-server.ts';
import { isLoopbackHost } from '../../config/exposure.ts';
import type { AdminStatus } from '../../protocol/admin-api.ts';
import type { Store } from '../../store/index.ts';
import type { StatusSource } from '../../admin/status.ts';
import { sessionCookieName } from './console-guard.ts';
import type { ConsoleSessions } from './console-sessions.ts';
import { translator, LANGS, type Lang } from './i18n.ts';
import { warningText } from './pages/dashboard.ts';

export const LIVE_PATH = '/admin/live';

const cookie = (header: string | undefined, name: string) => {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
};

export interface LiveSnapshot extends AdminStatus {
  /** The warnings in each language (viewers share one snapshot). */
  warningTexts: Record<Lang, string[]>;
}

export function createLiveSocket(d: { status: StatusSource; sessions: ConsoleSessions; store: Store; intervalMs: number; allowRemote: boolean; trustProxy: boolean }) {
  const wss = lazyWebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
  const viewers = new Map<WebSocket, string>();
  let timer: NodeJS.Timeout | undefined;
  let ticks = 0;

  const snapshot = (): string => {
    const s = d.status.snapshot();
    const warningTexts = Object.fromEntries(LANGS.map((l) => [l, s.warnings.map((w) => warningText(translator(l), w))])) as Record<Lang, string[]>;
    return JSON.stringify({ ...s, warningTexts } satisfies LiveSnapshot);
  };
  const valid = (id: string) => {
    const s = d.sessions.get(id, false);
    return typeof s === 'object' && d.store.accounts.byId(s.accountId)?.isAdmin === true;
  };
  const tick = () => {
    ticks++;
    const text = snapshot();
    for (const [ws, id] of viewers) {
      if (!valid(id)) ws.close(4401, 'signed out');
      else ws.send(text);
    }
  };
  const start = () => {
    if (!timer) timer = setInterval(tick, d.intervalMs);
  };
  const stopIfIdle = () => {
    if (viewers.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    /** Takes the upgrade when it is for /admin/live; false otherwise. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): boolean {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== LIVE_PATH) return false;
      const forwarded = d.trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : '';
      const ip = (forwarded || req.socket.remoteAddress || '').replace(/^::ffff:/, '');
      const origin = req.headers.origin;
      const own = `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
      const id = cookie(req.headers.cookie, sessionCookieName(secure));
      const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      if (!d.allowRemote && !isLoopbackHost(ip)) return refuse('403 Forbidden'), true;
      if (origin !== own) return refuse('403 Forbidden'), true;
      if (!id || !valid(id)) return refuse('401 Unauthorized'), true;
      wss.handleUpgrade(req, socket, head, (ws) => {
        viewers.set(ws, id);
        ws.on('close', () => {
          viewers.delete(ws);
          stopIfIdle();
        });
        ws.on('error', () => ws.terminate());
        ws.send(snapshot());
        start();
      });
      return true;
    },
    viewers: () => viewers.size,
    /** Snapshots taken since start (the cost check counts them). */
    ticks: () => ticks,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const ws of viewers.keys()) ws.terminate();
      viewers.clear();
    },
  };
}
export type LiveSocket = ReturnType<typeof createLiveSocket>;
