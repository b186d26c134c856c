// The chat's one XMPP connection (RFC 6120) over xmpp.js: WebSocket (RFC 7395) or TCP + STARTTLS
// (transports.ts), SASL with a device token or a password (sasl.ts), resource binding, and stream
// management with resumption (XEP-0198, xmpp.js's stream-management). Reconnection is ours, not
// xmpp.js's fixed one-second loop: jittered exponential backoff on the core's Clock, stopped for
// good by a refused login or a stream error that would only repeat (conflict, a signed-out device).
// Everything else the server ends — instant messaging switched off for the domain (the gateway's
// <policy-violation/>, then SASL not-authorized "instant messaging is disabled" while it stays off),
// a restart (<system-shutdown/>), a lost connection — is retried with that backoff, and the state's
// detail says in words what the chat waits for and when it tries again.
//
// Sessions: `session` fires with resumed=false for a new session — after xmpp.js has enabled
// stream management (stanzas sent before <enabled/> would not be counted, so a message sent
// there could never be acknowledged) — and with resumed=true after <resumed/>, once xmpp.js has
// sent again what the server had not acknowledged. `acked` and `failed` report each stanza the
// server confirmed (<a h/>) or that a failed resumption gave up (it must be sent again).
import { client, xml, type XmppClient } from '@xmpp/client';
import { Element } from 'ltx';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from '../gateway/backoff.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { ChatWait } from '../../shared/chat.ts';
import { ChatError, fromStanzaError } from './chat-errors.ts';
import { bareJid, localOf } from './jid.ts';
import { saslCredentials, type Secret } from './sasl.ts';
import { dropConnection, installTransports } from './transports.ts';

const NS_SM = 'urn:xmpp:sm:3';
const NS_STREAM = 'http://etherx.jabber.org/streams';
const ATTEMPT_MS = 30_000;
const STOP_MS = 3_000;
/** Stream errors after which trying again would only fail the same way (RFC 6120 §4.9.3). */
// Not policy-violation: the gateway ends a domain's sessions with it when IM is switched off, and
// that is undone by switching it on again. not-authorized is a signed-out device: the mail side
// signs the app out (a new sign-in brings a new token and a new connect()).
const FINAL_STREAM_ERRORS = new Set(['conflict', 'not-authorized', 'host-unknown', 'improper-addressing', 'invalid-from', 'see-other-host']);
/** The gateway's words for IM switched off (stream error text, or the SASL failure while it stays off). */
const IM_OFF = /instant messaging (?:is|was) (?:disabled|switched off)/i;
const IM_OFF_WORDS = 'instant messaging is switched off for your domain';

/**
 * What the chat waits for after the server ended a session or refused a login that may succeed
 * later: a code (the renderer says it in the user's language, renderer/i18n chatWait.*).
 */
export function waitReason(err: { name?: string; condition?: string; text?: string; message?: string }): ChatWait | undefined {
  const text = err.text ?? '';
  if (IM_OFF.test(text)) return { code: 'im-off' };
  if (err.name !== 'StreamError' || !err.condition) return undefined;
  if (err.condition === 'system-shutdown') return { code: 'server-restarting' };
  if (err.condition === 'reset') return { code: 'server-reset' };
  return { code: 'session-ended', condition: `${err.condition}${text ? `: ${text}` : ''}` };
}

/** The English words of a wait (the state's `detail`, for logs and the core's own use). */
export function waitWords(w: ChatWait): string {
  switch (w.code) {
    case 'im-off':
      return IM_OFF_WORDS;
    case 'server-restarting':
      return 'the server is restarting';
    case 'server-reset':
      return 'the server reset the connection';
    case 'session-ended':
      return `the server ended the session (${w.condition ?? 'unknown'})`;
    case 'connection-lost':
      return 'the connection was lost';
    case 'no-connection':
      return w.text ?? 'no connection';
  }
}

/** The seconds until the next attempt, as shown. */
export const retrySeconds = (delayMs: number) => Math.max(1, Math.round(delayMs / 1000));

/** The words of a retry: what it waits for, and when the next attempt is. */
export function retryDetail(reason: string, delayMs: number): string {
  return `${reason}; trying again in ${retrySeconds(delayMs)} s`;
}

export interface ConnectionTarget {
  /** `ws(s)://…` or `xmpp://host:port` (STARTTLS). */
  service: string;
  domain: string;
  jid: string;
  secret: Secret;
  resource: string;
  trusted: string[];
}

export type ConnectionState = { state: 'offline' | 'connecting' | 'online'; detail?: string; wait?: ChatWait };

interface Listeners {
  state: (s: ConnectionState) => void;
  session: (resumed: boolean) => void;
  stanza: (el: Element) => void;
  acked: (el: Element) => void;
  failed: (el: Element) => void;
}

export interface XmppConnection {
  readonly state: ConnectionState;
  /** Our full address while online. */
  readonly jid: string;
  readonly bare: string;
  /** Whether stream management is on for this session (acks will come). */
  readonly managed: boolean;
  on<K extends keyof Listeners>(event: K, fn: Listeners[K]): void;
  /** Connects; resolves when online. Rejects for a refused login (no retries) or a first attempt that failed (retries go on). */
  start(target: ConnectionTarget): Promise<void>;
  stop(): Promise<void>;
  /** Writes a stanza; false when it could not be written (not connected). */
  send(el: Element): Promise<boolean>;
  /** An iq request; its result, or a ChatError. */
  request(iq: Element, what: string, timeoutMs?: number): Promise<Element>;
  handleIq(type: 'get' | 'set', ns: string, name: string, fn: (iq: Element, child: Element) => Element | boolean | undefined): void;
}

export interface ConnectionDeps {
  clock: Clock;
  backoff?: BackoffOptions;
  random?: () => number;
}

export function createXmppConnection(d: ConnectionDeps): XmppConnection {
  const listeners: { [K in keyof Listeners]: Listeners[K][] } = { state: [], session: [], stanza: [], acked: [], failed: [] };
  const emit = <K extends keyof Listeners>(event: K, ...args: Parameters<Listeners[K]>) => {
    for (const fn of listeners[event]) (fn as (...a: Parameters<Listeners[K]>) => void)(...args);
  };
  let entity: XmppClient | undefined;
  let target: ConnectionTarget | undefined;
  let state: ConnectionState = { state: 'offline' };
  let stopping = false;
  let finalError: string | undefined;
  /** Why the last attempt or session ended, when it may work later (the words of the retry). */
  let waiting: ChatWait | undefined;
  /** The reason of the last retry scheduled (shown during the next attempt). */
  let lastReason: ChatWait | undefined;
  let retryTimer: TimerHandle | undefined;
  let attempt = 0;
  let smOffered = false;
  /** A session is up (new and set up for stream management, or resumed): stanzas may go out. */
  let ready = false;
  /** Set between binding and <enabled/>/<failed/>: starts the new session. */
  let sessionReady: (() => void) | undefined;
  const iqHandlers: { type: 'get' | 'set'; ns: string; name: string; fn: (iq: Element, child: Element) => Element | boolean | undefined }[] = [];

  const setState = (s: ConnectionState) => {
    if (s.state === state.state && s.detail === state.detail) return;
    state = s;
    emit('state', s);
  };

  function build(t: ConnectionTarget): XmppClient {
    const e = client({ service: t.service, domain: t.domain, resource: t.resource, credentials: saslCredentials(localOf(t.jid), t.secret), timeout: 10_000 });
    e.reconnect.stop();
    installTransports(e, { domain: t.domain, trusted: t.trusted });
    // xmpp.js sends an <r/> every 30 s of quiet and drops a connection that leaves it unanswered for 60 s.
    e.on('error', (err: Error & { condition?: string; name?: string; text?: string }) => {
      const later = waitReason(err);
      if (err.name === 'StreamError' && err.condition && FINAL_STREAM_ERRORS.has(err.condition)) finalError = `the server ended the session: ${err.condition}${err.text ? ` (${err.text})` : ''}`;
      else if (later) waiting = later;
      if ((err.name === 'SASLError' || (err instanceof ChatError && err.code === 'auth_failed')) && !later) finalError = `sign-in refused: ${err.message || err.condition}`;
    });
    e.on('nonza', (el: Element) => {
      if (el.is('features', NS_STREAM)) smOffered = !!el.getChild('sm', NS_SM);
      // <enabled/> or <failed/> after a new session's binding: xmpp.js sets its state in the same
      // turn; the session starts on the next one.
      if (sessionReady && (el.is('enabled', NS_SM) || el.is('failed', NS_SM))) {
        const go = sessionReady;
        sessionReady = undefined;
        setImmediate(go);
      }
    });
    e.on('online', () => {
      if (!smOffered) setImmediate(() => fresh());
      else sessionReady = fresh;
    });
    e.streamManagement.on('resumed', () => {
      attempt = 0;
      waiting = undefined;
      lastReason = undefined;
      ready = true;
      setState({ state: 'online' });
      emit('session', true);
    });
    e.streamManagement.on('ack', (el: Element) => emit('acked', el));
    e.streamManagement.on('fail', (el: Element) => emit('failed', el));
    e.on('stanza', (el: Element) => emit('stanza', el));
    e.on('disconnect', () => {
      sessionReady = undefined;
      ready = false;
      if (stopping) return;
      if (finalError) return setState({ state: 'offline', detail: finalError });
      schedule(waiting ?? { code: 'connection-lost' });
    });
    for (const h of iqHandlers) registerIq(e, h);
    return e;
  }

  function fresh(): void {
    attempt = 0;
    lastReason = undefined;
    waiting = undefined;
    ready = true;
    setState({ state: 'online' });
    emit('session', false);
  }

  function registerIq(e: XmppClient, h: (typeof iqHandlers)[number]): void {
    (h.type === 'get' ? e.iqCallee.get : e.iqCallee.set).call(e.iqCallee, h.ns, h.name, (ctx) => {
      const answer = h.fn(ctx.stanza, ctx.element);
      return answer instanceof Element ? asXmppXml(answer) : answer;
    });
  }

  /** One connection attempt: resolves when online (new or resumed session). */
  async function connectOnce(e: XmppClient, t: ConnectionTarget): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new ChatError('timeout', `no session with ${t.service} within ${ATTEMPT_MS / 1000} s`)), ATTEMPT_MS);
      const onSession = () => finish();
      const onDisconnect = () => finish(new ChatError('not_connected', finalError ?? lastError ?? `the connection to ${t.service} closed`));
      let lastError: string | undefined;
      const onError = (err: Error) => {
        lastError = err.message || String(err);
        // A refused login leaves the stream open: do not wait for it to close.
        if (finalError) finish(new ChatError('auth_failed', finalError));
      };
      let settled = false;
      function finish(err?: Error) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        listeners.session.splice(listeners.session.indexOf(onSession), 1);
        e.removeListener('disconnect', onDisconnect);
        e.removeListener('error', onError);
        if (err) reject(err);
        else resolve();
      }
      listeners.session.push(onSession);
      e.on('disconnect', onDisconnect);
      e.on('error', onError);
    });
    done.catch(() => {});
    try {
      await e.connect(t.service);
      await e.open({ domain: t.domain, lang: 'en' });
    } catch (err) {
      // A refused TCP connection also ends in `disconnect`, which settles `done`.
      void e.disconnect().catch(() => {});
      await done.catch(() => {});
      throw new ChatError('not_connected', `cannot reach ${t.service}: ${(err as Error).message ?? String(err)}`);
    }
    try {
      await done;
    } catch (err) {
      // Stuck half-way (no answer in time): drop that connection, the next attempt starts clean.
      if (err instanceof ChatError && err.code === 'timeout') dropConnection(e);
      throw err;
    }
  }

  /**
   * The next attempt after the backoff; `reason` says what it waits for. The state is `connecting`
   * (retries go on), never `offline`: the core connects an `offline` chat again itself.
   */
  function schedule(reason?: ChatWait): void {
    if (retryTimer || stopping || !entity || !target) return;
    const delay = backoffDelay(attempt++, d.backoff ?? DEFAULT_BACKOFF, d.random);
    if (reason) {
      lastReason = reason;
      setState({ state: 'connecting', detail: retryDetail(waitWords(reason), delay), wait: { ...reason, retryInSeconds: retrySeconds(delay) } });
    }
    const e = entity;
    const t = target;
    retryTimer = d.clock.setTimeout(() => {
      retryTimer = undefined;
      if (stopping || e !== entity) return;
      if (e.status === 'online') return;
      // Still closing the last connection: look again a little later.
      if (e.status !== 'disconnect' && e.status !== 'offline') return schedule();
      waiting = undefined;
      // The words stay while the attempt runs: what it waits for is not known to be over yet.
      setState(lastReason ? { state: 'connecting', detail: `${waitWords(lastReason)}; trying again now`, wait: lastReason } : { state: 'connecting', detail: `reconnecting to ${t.service}` });
      connectOnce(e, t).catch((err: Error) => {
        if (e !== entity || stopping) return;
        if (finalError) {
          setState({ state: 'offline', detail: finalError });
          void e.disconnect().catch(() => {});
          return;
        }
        // A refused login the server did not close yet (IM still off): close it before the next try.
        if (e.status === 'online' || e.status === 'open' || e.status === 'opening') void e.disconnect().catch(() => {});
        schedule(waiting ?? { code: 'no-connection', text: err.message });
      });
    }, delay);
  }

  return {
    get state() {
      return state;
    },
    get jid() {
      return entity?.jid?.toString() ?? '';
    },
    get bare() {
      return target ? bareJid(target.jid) : '';
    },
    get managed() {
      return !!entity?.streamManagement.enabled;
    },
    on(event, fn) {
      listeners[event].push(fn);
    },
    async start(t) {
      if (entity) throw new ChatError('bad_request', 'already connected; disconnect first');
      stopping = false;
      finalError = undefined;
      waiting = undefined;
      lastReason = undefined;
      attempt = 0;
      target = t;
      const e = build(t);
      entity = e;
      setState({ state: 'connecting', detail: `connecting to ${t.service}` });
      try {
        await connectOnce(e, t);
      } catch (err) {
        if (stopping || e !== entity) throw err;
        if (finalError) {
          setState({ state: 'offline', detail: finalError });
          await this.stop();
          throw new ChatError('auth_failed', finalError);
        }
        schedule(waiting ?? { code: 'no-connection', text: (err as Error).message });
        throw err;
      }
    },
    async stop() {
      stopping = true;
      ready = false;
      d.clock.clearTimeout(retryTimer);
      retryTimer = undefined;
      const e = entity;
      entity = undefined;
      if (e) {
        // A clean close (</stream:stream>): the server ends the session at once, no hibernation.
        // A server that does not answer gets STOP_MS, then the socket is dropped.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([e.stop().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, STOP_MS)))]);
        clearTimeout(timer);
        dropConnection(e);
        e.removeAllListeners();
        e.streamManagement.removeAllListeners();
      }
      setState({ state: 'offline', ...(finalError ? { detail: finalError } : {}) });
    },
    async send(el) {
      const e = entity;
      // Not before the session is ready: a stanza sent between binding and <enabled/> would never be acknowledged.
      if (!e || !ready || e.status !== 'online') return false;
      try {
        await e.send(el);
        return true;
      } catch {
        return false;
      }
    },
    async request(iq, what, timeoutMs = 20_000) {
      const e = entity;
      if (!e || e.status !== 'online') throw new ChatError('not_connected', `${what}: not connected`);
      try {
        return await e.iqCaller.request(iq, timeoutMs);
      } catch (err) {
        throw fromStanzaError(err, what);
      }
    },
    handleIq(type, ns, name, fn) {
      const h = { type, ns, name, fn };
      iqHandlers.push(h);
      if (entity) registerIq(entity, h);
    },
  };
}

/** An <iq/> with one child. */
/**
 * xmpp.js's iqCallee only puts an answer in the result when it is an @xmpp/xml Element (a subclass
 * of ltx's, checked with instanceof); a plain ltx Element would go out as an empty result.
 */
function asXmppXml(el: Element): Element {
  const out = new xml.Element(el.name, el.attrs);
  for (const c of el.children) out.append(typeof c === 'string' ? c : asXmppXml(c));
  return out;
}

export function iq(type: 'get' | 'set', to: string | undefined, child: Element): Element {
  const el = new Element('iq', { type, ...(to ? { to } : {}) });
  el.cnode(child);
  return el;
}
