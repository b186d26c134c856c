// One client-to-server session (RFC 6120): stream headers and features, STARTTLS (§5), SASL
// (§6, sasl.ts), resource binding (§7), then stanzas handed to the modules.
// Stanzas are handled one after another, in order, even when one waits (for a password check).
// Stream management (XEP-0198, state machine in stream-management.ts): a session that enabled it
// with resumption outlives its connection — when the connection drops (dead TCP, WebSocket gone,
// idle timeout) it hibernates: still routed and available, stanzas to it queued, until a new
// connection of the same account takes it over with <resume/> or the timer ends it for good.
import { randomBytes } from 'node:crypto';
import { Element, escapeXML } from 'ltx';
import type { Logger } from '../../config/logger.ts';
import type { HeldCredential } from '../../directory/credentials.ts';
import type { AccountRow } from '../../store/index.ts';
import type { ModuleHost, ServerContext } from './host.ts';
import { bounceIq, routeIq } from './iq.ts';
import { makeJid, parseJid, type Jid } from './jid.ts';
import { SaslNegotiation, type Authenticator } from './sasl.ts';
import { errorReply, iqResult, NS } from './stanza.ts';
import type { StreamIo } from './transport.ts';
import { failedElement, handledCountTooHigh, NS_SM, parseCount, StreamManagement, type SmFailure, type SmRegistry, type SmSettings, type SmTiming } from './stream-management.ts';
import type { StreamErrorCondition } from './xml-stream.ts';


const STANZA_NAMES = new Set(['message', 'presence', 'iq']);
export type { Authenticator } from './sasl.ts';

export interface SessionDeps {
  ctx: ServerContext;
  host: ModuleHost;
  auth: Authenticator;
  log: Logger;
  requireTls: boolean;
  /** Failed SASL attempts on one stream before it is closed. */
  maxAuthFailures: number;
  /** Stream management (XEP-0198): settings, and the server's resumable sessions. */
  sm: SmSettings & { registry: SmRegistry<Session>; timing?: SmTiming };
  /** The session is over for good (closed, expired, or its connection taken over by a resumed one). */
  ended?: (session: Session) => void;
}

type State = 'header' | 'tls' | 'auth' | 'bind' | 'ready' | 'closed';

export class Session {
  readonly id = randomBytes(8).toString('hex');
  jid: Jid | undefined;
  account: AccountRow | undefined;
  /**
   * What the client authenticated with (set at SASL success, replaced by a resumption's): when it
   * ends (directory/credentials.ts) so does the session, hibernating or not.
   */
  credential: HeldCredential | undefined;
  /** The stream's `to` domain. */
  domain = '';
  /** Last broadcast available presence (RFC 6121 §4.2), undefined while unavailable. */
  presence: Element | undefined;
  priority = 0;
  /** The client asked for its roster: it gets roster pushes (RFC 6121 §2.1.6). */
  rosterRequested = false;
  private state: State = 'header';
  private queue: Promise<void> = Promise.resolve();
  private sasl: SaslNegotiation | undefined;
  /** The client's connection; undefined while hibernating (XEP-0198) and once closed. */
  private io: StreamIo | undefined;
  private lastAddress: string;
  private lastIo: StreamIo;
  /** When the session started (the admin console's "since"). */
  readonly startedAt = Date.now();
  /** XEP-0198, once the client enabled it. */
  private sm: StreamManagement | undefined;
  /** The session this connection was handed to by <resume/>: stanzas still queued here go there. */
  private successor: Session | undefined;

  constructor(
    io: StreamIo,
    private readonly deps: SessionDeps,
  ) {
    this.lastAddress = io.remoteAddress;
    this.lastIo = io;
    this.attach(io);
  }

  get available(): boolean {
    return this.presence !== undefined;
  }

  get remoteAddress(): string {
    return this.io?.remoteAddress ?? this.lastAddress;
  }

  /** The connection's transport facts for the admin console (the last connection while hibernating). */
  get connection(): { secure: boolean; transport: 'tcp' | 'websocket'; userAgent: string | undefined } {
    const io = this.io ?? this.lastIo;
    return { secure: io.secure, transport: io.transport ?? 'tcp', userAgent: io.userAgent };
  }

  /** Stream management (XEP-0198) is on: stanzas to this session are kept until acknowledged. */
  get streamManaged(): boolean {
    return this.sm !== undefined;
  }

  /** Sends a stanza to the client (kept for resending when stream management is on). */
  send(el: Element): void {
    if (this.state === 'closed') return;
    if (el.attrs.type !== 'error') for (const f of this.deps.host.deliveryFilters) if (f(el, this)) return;
    if (this.outboundFilter?.(el)) return;
    this.deliver(el);
  }

  /** What was sent to this client so far leaves for its socket now, not at the end of the turn (StreamIo.flush). */
  flush(): void {
    this.io?.flush();
  }

  /**
   * Set by a module that holds stanzas back for this client (XEP-0352 while it is inactive):
   * returns true when it took `el`, which it later hands to deliver() itself, in order.
   */
  outboundFilter: ((el: Element) => boolean) | undefined;

  /** Sends a stanza to the client now, past any outbound filter (counted by stream management). */
  deliver(el: Element): void {
    if (this.state === 'closed') return;
    if (this.sm) this.sm.send(el);
    else this.io?.send(el);
  }

  /**
   * Ends the stream with an error (RFC 6120 §4.9) and closes the connection. A resumable session
   * whose connection merely went quiet hibernates instead of ending (XEP-0198 §7).
   */
  streamError(condition: StreamErrorCondition, text?: string, extra = ''): void {
    if (this.state === 'closed') return;
    if (this.io) {
      if (this.state === 'header') this.openStream(this.io, this.domain || 'localhost', false);
      this.endConnection(this.io, condition, text, extra);
    }
    this.deps.log.info({ jid: this.jid?.full, ip: this.remoteAddress, condition }, `XMPP stream closed with error: ${text ?? condition}`);
    if (condition === 'connection-timeout' && this.resumable) return this.hibernate();
    this.finish();
  }

  /** Closes the stream normally: the session ends. */
  close(): void {
    if (this.state === 'closed') return;
    if (this.io) {
      this.io.closeStream();
      this.io.close();
    }
    this.finish();
  }

  private attach(io: StreamIo): void {
    this.io = io;
    this.lastAddress = io.remoteAddress;
    // Events of a connection this session no longer uses (replaced by a resumption) are ignored.
    const mine = () => this.io === io;
    io.attach({
      streamStart: (attrs) => {
        if (mine()) this.onStreamStart(io, attrs);
      },
      stanza: (el) => {
        if (mine()) this.enqueue(() => this.onStanza(el));
      },
      streamEnd: () => {
        if (mine()) this.enqueue(() => (this.successor ?? this).close());
      },
      error: (e) => {
        if (!mine()) return;
        if (e.condition === 'internal-server-error') this.deps.log.error({ err: e.message }, 'XMPP stream handling failed');
        this.streamError(e.condition, e.message);
      },
      idle: () => {
        if (mine()) this.contained('idle timeout', () => this.streamError('connection-timeout', 'idle for too long'));
      },
      closed: () => {
        if (mine()) this.contained('connection loss', () => this.connectionLost());
      },
    });
  }

  /**
   * Runs what a connection event (a timer, the socket closing) set off outside the stanza queue:
   * a failure there ends this session only — it never reaches the process (issue 11).
   */
  private contained(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.deps.log.error({ err: e, jid: this.jid?.full }, `XMPP ${what} handling failed: the session ends`);
      try {
        this.finish();
      } catch (again) {
        this.state = 'closed';
        this.deps.log.error({ err: again, jid: this.jid?.full }, 'XMPP session could not end cleanly');
      }
      this.deps.ended?.(this);
    }
  }

  private endConnection(io: StreamIo, condition: StreamErrorCondition, text?: string, extra = ''): void {
    const t = text ? `<text xmlns='${NS.streams}' xml:lang='en'>${escapeXML(text)}</text>` : '';
    io.send(`<stream:error xmlns:stream='http://etherx.jabber.org/streams'><${condition} xmlns='${NS.streams}'/>${extra}${t}</stream:error>`);
    io.closeStream();
    io.close();
  }

  /** The connection dropped without a stream close (XEP-0198 §7: an unfinished stream). */
  private connectionLost(): void {
    if (this.state === 'closed') return;
    if (this.resumable) return this.hibernate();
    this.finish();
  }

  private get resumable(): boolean {
    return this.state === 'ready' && this.sm?.resumable === true;
  }

  private hibernate(): void {
    const sm = this.sm!;
    this.io = undefined;
    sm.hibernate(() => {
      this.deps.log.info({ jid: this.jid?.full, unacked: sm.unacked }, 'XMPP session not resumed in time (XEP-0198): it ends');
      this.contained('hibernation end', () => this.finish());
    });
    this.deps.log.info({ jid: this.jid?.full, seconds: sm.maxSeconds }, 'XMPP connection lost: session hibernates, resumable (XEP-0198)');
  }

  /**
   * The session ends for good: out of the router; what the client never acknowledged is handed
   * to the modules (XEP-0198 §4: as for a resource that went away), then the `closed` hooks.
   */
  private finish(): void {
    if (this.state === 'closed') return;
    const wasBound = this.state === 'ready';
    this.state = 'closed';
    this.io = undefined;
    const sm = this.sm;
    if (sm?.id) this.deps.sm.registry.end(sm.id, this.account!.id, sm.handled);
    const unacked = sm?.drain() ?? [];
    if (wasBound) {
      this.deps.ctx.router.remove(this);
      for (const { stanza, at } of unacked) this.undelivered(stanza, at);
      for (const hook of this.deps.host.closed) hook(this);
      this.deps.log.info({ jid: this.jid?.full, unacked: unacked.length || undefined }, 'XMPP session ended');
    }
    this.deps.ended?.(this);
  }

  private undelivered(stanza: Element, at: number): void {
    try {
      if (stanza.name === 'iq') return bounceIq(stanza, this, this.deps.ctx);
      for (const hook of this.deps.host.undelivered) hook(stanza, this, at);
    } catch (e) {
      // One stanza that cannot be handed on must not keep the session from ending cleanly.
      this.deps.log.error({ err: e, jid: this.jid?.full }, 'unacknowledged stanza could not be handed on');
    }
  }

  private enqueue(fn: () => Promise<void> | void): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => {
      this.deps.log.error({ err: e, jid: this.jid?.full }, 'XMPP stanza handling failed');
      this.streamError('internal-server-error');
    });
  }

  private openStream(io: StreamIo, domain: string, withFeatures = true): void {
    io.openStream(escapeXML(domain), randomBytes(8).toString('hex'));
    if (withFeatures) io.send(this.features(io));
  }

  private features(io: StreamIo): Element {
    const f = new Element('stream:features', { 'xmlns:stream': 'http://etherx.jabber.org/streams' });
    if (this.state === 'header' || this.state === 'tls' || this.state === 'auth') {
      if (io.canStartTls) {
        const tls = f.c('starttls', { xmlns: NS.tls });
        if (this.deps.requireTls) tls.c('required');
      }
      if (io.secure || !this.deps.requireTls) {
        const mechs = f.c('mechanisms', { xmlns: NS.sasl });
        for (const m of SaslNegotiation.mechanisms(this.deps.auth)) mechs.c('mechanism').t(m);
      }
    } else {
      f.c('bind', { xmlns: NS.bind });
      f.c('session', { xmlns: NS.session }).c('optional');
      f.c('sm', { xmlns: NS_SM });
      for (const { name, xmlns, attrs } of this.deps.host.streamFeatures) f.c(name, { xmlns, ...attrs?.() });
    }
    return f;
  }

  private onStreamStart(io: StreamIo, attrs: Record<string, string>): void {
    const domain = parseJid(attrs.to)?.bare;
    if (this.state === 'header' || this.state === 'tls') this.domain = domain ?? '';
    if (!domain || !this.deps.ctx.isLocalDomain(domain)) return this.streamError('host-unknown', `this server does not serve "${attrs.to ?? ''}"`);
    if (attrs.version !== '1.0') return this.streamError('unsupported-version', 'XMPP 1.0 streams only');
    if (this.state === 'header') {
      if (this.deps.requireTls && !io.secure && !io.canStartTls) {
        return this.streamError('policy-violation', 'an encrypted connection is required: use STARTTLS, or wss:// for WebSocket');
      }
      this.state = io.canStartTls && this.deps.requireTls ? 'tls' : 'auth';
    }
    this.openStream(io, this.domain);
  }

  private async onStanza(el: Element): Promise<void> {
    // Sent right behind a <resume/> that handed this connection over: the resumed session's.
    if (this.successor) return this.successor.enqueue(() => this.successor!.onStanza(el));
    if (this.state === 'closed') return;
    const sm = el.attrs.xmlns === NS_SM;
    if (sm && (el.name === 'enable' || el.name === 'resume') && this.state !== 'ready' && this.state !== 'bind') {
      return this.smFailed('unexpected-request', 'authenticate first');
    }
    if (this.state === 'tls' || this.state === 'auth') {
      if (el.name === 'starttls' && el.attrs.xmlns === NS.tls && this.io?.canStartTls) return this.startTls(this.io);
      if (this.state === 'tls') return this.streamError('policy-violation', 'STARTTLS is required before authentication');
      if (el.attrs.xmlns === NS.sasl && (await this.saslNegotiation().handle(el))) return;
      return this.streamError('not-authorized', 'authenticate first');
    }
    if (this.state === 'bind') {
      if (sm && el.name === 'resume') return this.resumeSession(el);
      if (sm && el.name === 'enable') return this.smFailed('unexpected-request', 'bind a resource first (XEP-0198 §3)');
      if (el.name === 'iq' && el.getChild('bind', NS.bind)) return this.bind(el);
      if (el.name === 'iq') return this.send(errorReply(el, 'auth', 'not-authorized', 'bind a resource first'));
      return this.streamError('not-authorized', 'bind a resource first');
    }
    if (sm) return this.smElement(el);
    const nonza = STANZA_NAMES.has(el.name) ? undefined : this.deps.host.nonzas.get(el.attrs.xmlns ?? '');
    if (nonza) return nonza(el, this);
    this.dispatch(el);
    this.sm?.countInbound();
  }

  private smFailed(condition: SmFailure, text?: string, h?: number, extra = ''): void {
    this.io?.send(failedElement(condition, text, h, extra));
  }

  /** XEP-0198 elements on a bound stream: <enable/>, <r/>, <a/>. */
  private smElement(el: Element): void {
    const sm = this.sm;
    if (el.name === 'enable') return sm ? this.smFailed('unexpected-request', 'stream management is already enabled') : this.enableSm(el);
    if (el.name === 'resume') return this.smFailed('unexpected-request', 'this stream already has a session: resume right after authenticating');
    if (sm && el.name === 'r') {
      for (const hook of this.deps.host.beforeAck) hook();
      return this.io?.send(`<a xmlns='${NS_SM}' h='${sm.handled}'/>`);
    }
    if (sm && el.name === 'a') {
      const h = parseCount(el.attrs.h);
      if (h === undefined) return this.streamError('invalid-xml', "<a/> needs an 'h' attribute from 0 to 4294967295");
      if (sm.tooHigh(h)) {
        return this.streamError('undefined-condition', `You acknowledged ${h} stanzas, but I only sent you ${sm.sendCount} so far.`, handledCountTooHigh(h, sm.sendCount));
      }
      return sm.ack(h);
    }
    this.streamError('unsupported-stanza-type', sm ? `<${el.name}/> is not a stream management element` : `<${el.name}/> before stream management was enabled`);
  }

  private enableSm(el: Element): void {
    const { registry, resumeSeconds, maxUnacked, timing } = this.deps.sm;
    const resume = (el.attrs.resume === 'true' || el.attrs.resume === '1') && resumeSeconds > 0;
    // The client's preferred maximum, if lower than ours (§3).
    const asked = parseCount(el.attrs.max);
    const max = asked && asked < resumeSeconds ? asked : resumeSeconds;
    const id = resume ? registry.add(this) : undefined;
    this.sm = new StreamManagement(
      id,
      max,
      this.domain,
      maxUnacked,
      {
        write: (xml) => this.io?.send(xml),
        ackTimedOut: () => this.contained('ack timeout', () => this.streamError('connection-timeout', 'no answer to a stream management ack request')),
        overflow: () => this.streamError('policy-violation', 'too many unacknowledged stanzas (XEP-0198)'),
      },
      timing,
    );
    this.io!.send(id ? `<enabled xmlns='${NS_SM}' id='${id}' resume='true' max='${max}'/>` : `<enabled xmlns='${NS_SM}'/>`);
  }

  /** <resume previd h/> after authentication (XEP-0198 §5): a hibernating (or replaced) session of this account takes this connection. */
  private resumeSession(el: Element): void {
    const { registry, resumeSeconds } = this.deps.sm;
    if (!resumeSeconds) return this.smFailed('feature-not-implemented', 'sessions are not resumed on this server');
    const previd = el.attrs.previd ?? '';
    const h = parseCount(el.attrs.h);
    if (!previd || h === undefined) return this.smFailed('bad-request', "<resume/> needs 'previd' and an 'h' from 0 to 4294967295");
    const account = this.account!;
    const old = registry.get(previd);
    // Another account's session is "not found" too: nothing is told about it.
    if (!old || old.account?.id !== account.id) return this.smFailed('item-not-found', 'no session to resume with that id: bind a new one', registry.lastHandled(previd, account.id));
    const sm = old.sm!;
    if (sm.tooHigh(h)) {
      // The client's idea of the old session is wrong: it ends (its messages go on as for any
      // ended session, offline storage included) and the client binds a new one.
      this.smFailed('undefined-condition', `You acknowledged ${h} stanzas, but I only sent you ${sm.sendCount}.`, sm.handled, handledCountTooHigh(h, sm.sendCount));
      return old.streamError('undefined-condition', 'a resumption acknowledged more stanzas than were sent', handledCountTooHigh(h, sm.sendCount));
    }
    const io = this.io!;
    // This session hands its connection over and is done (it was never bound).
    this.successor = old;
    this.io = undefined;
    this.state = 'closed';
    this.deps.ended?.(this);
    old.takeOver(io, account, this.credential!, h);
  }

  private takeOver(io: StreamIo, account: AccountRow, credential: HeldCredential, h: number): void {
    const sm = this.sm!;
    // A connection the server still thought alive is replaced (XEP-0198 §5).
    if (this.io) this.endConnection(this.io, 'conflict', 'replaced by a resumed connection');
    this.account = account;
    this.credential = credential;
    this.attach(io);
    for (const hook of this.deps.host.beforeAck) hook();
    io.send(`<resumed xmlns='${NS_SM}' h='${sm.handled}' previd='${sm.id}'/>`);
    sm.resume(h);
    this.deps.log.info({ jid: this.jid?.full, ip: this.remoteAddress, resent: sm.unacked }, 'XMPP session resumed (XEP-0198)');
  }

  private async startTls(io: StreamIo): Promise<void> {
    io.send(`<proceed xmlns='${NS.tls}'/>`);
    io.restart();
    try {
      await io.startTls();
    } catch (e) {
      this.deps.log.info({ ip: this.remoteAddress, err: (e as Error).message }, 'TLS handshake failed');
      io.close();
      return;
    }
    this.state = 'auth';
  }

  private saslNegotiation(): SaslNegotiation {
    this.sasl ??= new SaslNegotiation(this.deps.auth, this.deps.log, this.deps.maxAuthFailures, {
      domain: this.domain,
      remoteAddress: this.remoteAddress,
      send: (xml) => this.io?.send(xml),
      succeeded: (account, credential, data) => {
        this.sasl = undefined;
        this.account = account;
        this.credential = credential;
        this.io?.send(`<success xmlns='${NS.sasl}'>${data}</success>`);
        this.io?.restart();
        this.state = 'bind';
      },
      end: (condition, text) => (condition ? this.streamError(condition, text) : this.close()),
    });
    return this.sasl;
  }

  private bind(iq: Element): void {
    if (iq.attrs.type !== 'set') return this.send(errorReply(iq, 'modify', 'bad-request'));
    const account = this.account!;
    const asked = iq.getChild('bind', NS.bind)?.getChildText('resource')?.trim();
    const resource = asked && asked.length <= 256 ? asked : `herald-${randomBytes(4).toString('hex')}`;
    this.jid = makeJid(account.local, account.domain, resource);
    // Same resource again: the new session wins and the old one is told why (RFC 6120 §7.7.2.2).
    const previous = this.deps.ctx.router.add(this);
    if (previous && previous !== this) previous.streamError('conflict', 'replaced by a new connection with the same resource');
    this.state = 'ready';
    this.send(iqResult(iq, new Element('bind', { xmlns: NS.bind }).c('jid').t(this.jid.full).up()));
    for (const hook of this.deps.host.bound) hook(this);
  }

  private dispatch(el: Element): void {
    // The server stamps the sender's full JID on everything a client sends (RFC 6120 §8.1.2.1).
    el.attrs.from = this.jid!.full;
    // Content filters (XHTML-IM sanitising, ...) see every stanza before anything routes it.
    for (const filter of this.deps.host.inbound) filter(el, this);
    // Policies (blocking, end-to-end encryption) may refuse it before anything routes it.
    for (const guard of this.deps.host.guards) if (guard(el, this)) return;
    // Stanzas to a component's domain (conference.<domain>, ...) are the component's alone.
    const to = ['message', 'presence', 'iq'].includes(el.name) && el.attrs.to ? parseJid(el.attrs.to) : undefined;
    const component = to && this.deps.host.componentFor(to.domain);
    if (component) return component.handle(el, to, this);
    if (el.name === 'message') return this.deps.host.message?.(el, this);
    if (el.name === 'presence') return this.deps.host.presence?.(el, this);
    if (el.name === 'iq') return void routeIq(el, this, this.deps);
    this.streamError('unsupported-stanza-type', `<${el.name}> is not a stanza`);
  }
}
