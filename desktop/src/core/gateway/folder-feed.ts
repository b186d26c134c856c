// Folder counts and mail alerts from the gateway, kept flowing: the events WebSocket
// (GET /api/v1/events) while it is up; ETag polling of GET /api/v1/folders at the configured
// interval while it is not; reconnects with jittered backoff; and one honest connection state
// for the tray. While push is down, the last poll decides the state (a proxy that refuses
// WebSocket upgrades still gives "connected" by polling). A 401 or close code 4401 ends the feed:
// the token was revoked.
import WebSocket from 'ws';
import { API_PREFIX, ServerEventSchema, type FoldersResponse, type MailAlert } from '../../../../gateway/src/protocol/api.ts';
import type { Connection } from '../../shared/state.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { ApiClient } from './api-client.ts';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.ts';
import { AuthRevokedError, GatewayApiError, GatewayUnreachableError } from './gateway-errors.ts';

/** The gateway's close code for a revoked token (gateway/src/http/events-socket.ts). */

/** Socket errors that mean no gateway answers at its address. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN']);
export const CLOSE_UNAUTHORIZED = 4401;

export interface FeedEvents {
  folders(snapshot: FoldersResponse, via: 'push' | 'poll'): void;
  alert(alert: MailAlert): void;
  connection(c: Connection): void;
  /** The token is no longer accepted; the feed has stopped. */
  revoked(message: string): void;
}

export interface FeedOptions {
  api: ApiClient;
  token: string;
  clock: Clock;
  events: FeedEvents;
  pollIntervalSeconds: number;
  backoff?: BackoffOptions;
  random?: () => number;
  /** No frame or ping from the gateway for this long: the socket is dead (it pings every 30 s). */
  deadAfterMs?: number;
  handshakeTimeoutMs?: number;
}

export interface FolderFeed {
  start(): void;
  stop(): void;
  /** "Check mail now": asks the gateway to re-read the mailbox (push), or polls at once. */
  refresh(): void;
  /** After sleep/resume or a network change: drop the (probably dead) socket and reconnect now. */
  resume(): void;
  setPollInterval(seconds: number): void;
  connection(): Connection;
}

export function createFolderFeed(o: FeedOptions): FolderFeed {
  const { api, token, clock, events } = o;
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const random = o.random ?? Math.random;
  const deadAfterMs = o.deadAfterMs ?? 75_000;
  let pollMs = o.pollIntervalSeconds * 1000;

  let running = false;
  let ws: WebSocket | undefined;
  let pushOpen = false;
  let attempt = 0;
  let retryTimer: TimerHandle | undefined;
  let deadTimer: TimerHandle | undefined;
  let pollTimer: TimerHandle | undefined;
  let polling = false;
  let etag: string | undefined;
  let nextRetryAt: number | undefined;
  let mailDown: string | undefined;
  let current: Connection = { state: 'connecting' };

  const setState = (c: Connection) => {
    const next: Connection = { ...c, ...(nextRetryAt !== undefined && !pushOpen ? { nextRetryAt } : {}) };
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    current = next;
    events.connection(current);
  };

  const revoke = (message: string) => {
    if (!running) return;
    stop();
    setState({ state: 'signed-out', detail: message });
    events.revoked(message);
  };

  // ---- polling (only while push is down) ---------------------------------------------------
  const schedulePoll = (ms: number) => {
    clock.clearTimeout(pollTimer);
    pollTimer = clock.setTimeout(() => void poll(), ms);
  };

  async function poll(): Promise<void> {
    if (!running || pushOpen || polling) return;
    polling = true;
    try {
      const r = await api.folders(token, etag);
      if (!running || pushOpen) return;
      etag = r.etag ?? etag;
      if (r.changed) events.folders(r.body, 'poll');
      mailDown = undefined;
      setState({ state: 'connected', transport: 'poll' });
    } catch (e) {
      if (!running || pushOpen) return;
      if (e instanceof AuthRevokedError) return revoke(e.message);
      if (e instanceof GatewayApiError && e.status === 503) setState({ state: 'mail-unavailable', detail: e.message });
      else if (e instanceof GatewayUnreachableError) setState({ state: 'gateway-unreachable', detail: e.message });
      else setState({ state: 'gateway-unreachable', detail: `the gateway answered with an error: ${(e as Error).message}` });
    } finally {
      polling = false;
      if (running && !pushOpen) schedulePoll(pollMs);
    }
  }

  // ---- push ---------------------------------------------------------------------------------
  const armDeadTimer = () => {
    clock.clearTimeout(deadTimer);
    deadTimer = clock.setTimeout(() => ws?.terminate(), deadAfterMs);
  };

  const scheduleReconnect = () => {
    if (!running || retryTimer) return;
    const delay = backoffDelay(attempt++, backoff, random);
    nextRetryAt = clock.now() + delay;
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      nextRetryAt = undefined;
      connect();
    }, delay);
    setState({ ...current });
  };

  const pushDown = () => {
    clock.clearTimeout(deadTimer);
    const wasOpen = pushOpen;
    pushOpen = false;
    ws = undefined;
    if (!running) return;
    scheduleReconnect();
    // Push just died (or never came up): poll now — it tells whether the gateway is there at
    // all and keeps counts current. Later failed reconnects leave the poll at its interval.
    if (!polling && (wasOpen || !pollTimer)) schedulePoll(0);
  };

  function connect(): void {
    if (!running || ws) return;
    const url = `${api.baseUrl.replace(/^http/, 'ws')}${API_PREFIX}/events`;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: o.handshakeTimeoutMs ?? 10_000, perMessageDeflate: false });
    ws = socket;
    let failed = false;
    const fail = () => {
      if (failed || ws !== socket) return;
      failed = true;
      pushDown();
    };
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      if (res.statusCode === 401) return revoke('the device token was refused (401); sign in again');
      socket.terminate();
      fail();
    });
    socket.on('open', () => {
      if (ws !== socket) return;
      pushOpen = true;
      mailDown = undefined;
      clock.clearTimeout(pollTimer);
      pollTimer = undefined;
      armDeadTimer();
    });
    socket.on('ping', () => ws === socket && armDeadTimer());
    socket.on('message', (data, isBinary) => {
      if (ws !== socket || isBinary) return;
      armDeadTimer();
      let parsed;
      try {
        parsed = ServerEventSchema.safeParse(JSON.parse(String(data)));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const ev = parsed.data;
      if (ev.type === 'folders') {
        attempt = 0; // a working connection: the next outage starts with short delays again
        if (!mailDown) setState({ state: 'connected', transport: 'push' });
        events.folders({ folders: ev.folders, version: ev.version }, 'push');
      } else if (ev.type === 'mail') events.alert(ev.alert);
      else if (ev.type === 'status') {
        mailDown = ev.mail.state === 'unavailable' ? (ev.mail.message ?? 'the mail server is unavailable') : undefined;
        setState(mailDown ? { state: 'mail-unavailable', detail: mailDown, transport: 'push' } : { state: 'connected', transport: 'push' });
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // Nobody listens at the gateway's address (it stopped, or the network is gone): that is
      // "unreachable" now, whatever the last poll said — a poll that got through while the
      // gateway was shutting down would otherwise keep "connected" until the next poll.
      if (ws === socket && UNREACHABLE.has(e.code ?? '')) setState({ state: 'gateway-unreachable', detail: `${api.baseUrl}: ${e.code}` });
      fail();
    });
    socket.on('close', (code, reason) => {
      if (code === CLOSE_UNAUTHORIZED) return revoke(reason.toString() || 'the device token was revoked; sign in again');
      fail();
    });
  }

  function stop(): void {
    running = false;
    for (const t of [retryTimer, deadTimer, pollTimer]) clock.clearTimeout(t);
    retryTimer = deadTimer = pollTimer = undefined;
    const s = ws;
    ws = undefined;
    pushOpen = false;
    if (s) {
      s.removeAllListeners('close');
      s.on('error', () => {});
      if (s.readyState === WebSocket.OPEN) s.close(1000, 'client stopping');
      else s.terminate();
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      setState({ state: 'connecting' });
      connect();
    },
    stop,
    refresh() {
      if (!running) return;
      if (pushOpen && ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'refresh' }));
      else schedulePoll(0);
    },
    resume() {
      if (!running) return;
      clock.clearTimeout(retryTimer);
      retryTimer = undefined;
      nextRetryAt = undefined;
      attempt = 0;
      const s = ws;
      if (s) {
        ws = undefined;
        pushOpen = false;
        s.removeAllListeners('close');
        s.on('error', () => {});
        s.terminate();
      }
      connect();
      schedulePoll(0);
    },
    setPollInterval(seconds) {
      pollMs = Math.max(1, seconds) * 1000;
      if (running && !pushOpen && !polling && pollTimer) schedulePoll(pollMs);
    },
    connection: () => current,
  };
}
