// One client-to-server session (RFC 6120): stream headers and features, STARTTLS (§5),
// SASL SCRAM-SHA-256/SCRAM-SHA-1 (RFC 5802, 7677) and PLAIN (§6, RFC 4616), resource binding
// (§7), then stanzas handed to the modules.
// Stanzas are handled one after another, in order, even when one waits (for a password check).
import { randomBytes } from 'node:crypto';
import { Element, escapeXML } from 'ltx';
import type { Logger } from '../../config/logger.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { AccountRow } from '../../store/index.ts';
import type { ModuleHost, ServerContext } from './host.ts';
import { makeJid, parseJid, type Jid } from './jid.ts';
import { errorReply, iqResult, NS, payloadOf } from './stanza.ts';
import type { StreamIo } from './transport.ts';
import type { ScramHash, ScramKeys } from '../../directory/scram.ts';
import { SCRAM_MECHANISMS, ScramError, ScramExchange } from './sasl-scram.ts';
import type { StreamErrorCondition } from './xml-stream.ts';

export interface Authenticator {
  /** Checks PLAIN credentials (password, or a device token); throws HeraldError on failure. */
  plain(address: string, secret: string, remoteAddress: string): Promise<AccountRow>;
  /** SCRAM, when the accounts' passwords are ours (local directory); failures count like PLAIN's. */
  scram?: {
    keys(address: string, hash: ScramHash): ScramKeys | undefined;
    /** Throws HeraldError rate_limited when the account or address is locked out. */
    check(address: string, remoteAddress: string): void;
    record(address: string, remoteAddress: string, ok: boolean): void;
    account(address: string): AccountRow | undefined;
  };
  /** IM switched on for the domain (and globally)? */
  imEnabled(domain: string): boolean;
}

export interface SessionDeps {
  ctx: ServerContext;
  host: ModuleHost;
  auth: Authenticator;
  log: Logger;
  requireTls: boolean;
  /** Failed SASL attempts on one stream before it is closed. */
  maxAuthFailures: number;
}

type State = 'header' | 'tls' | 'auth' | 'bind' | 'ready' | 'closed';

export class Session {
  readonly id = randomBytes(8).toString('hex');
  jid: Jid | undefined;
  account: AccountRow | undefined;
  /** The stream's `to` domain. */
  domain = '';
  /** Last broadcast available presence (RFC 6121 §4.2), undefined while unavailable. */
  presence: Element | undefined;
  priority = 0;
  /** The client asked for its roster: it gets roster pushes (RFC 6121 §2.1.6). */
  rosterRequested = false;
  private state: State = 'header';
  private queue: Promise<void> = Promise.resolve();
  private authFailures = 0;
  private scram: { exchange: ScramExchange; address: string } | undefined;

  constructor(
    private readonly io: StreamIo,
    private readonly deps: SessionDeps,
  ) {
    io.attach({
      streamStart: (attrs) => this.onStreamStart(attrs),
      stanza: (el) => this.enqueue(() => this.onStanza(el)),
      streamEnd: () => this.enqueue(async () => this.close()),
      error: (e) => {
        if (e.condition === 'internal-server-error') deps.log.error({ err: e.message }, 'XMPP stream handling failed');
        this.streamError(e.condition, e.message);
      },
      closed: () => this.closed(),
    });
  }

  get available(): boolean {
    return this.presence !== undefined;
  }

  get remoteAddress(): string {
    return this.io.remoteAddress;
  }

  /** Sends a stanza to the client. */
  send(el: Element): void {
    if (this.state !== 'closed') this.io.send(el);
  }

  /** Ends the stream with an error (RFC 6120 §4.9) and closes the connection. */
  streamError(condition: StreamErrorCondition, text?: string): void {
    if (this.state === 'closed') return;
    if (this.state === 'header') this.openStream(this.domain || 'localhost', false);
    const t = text ? `<text xmlns='${NS.streams}' xml:lang='en'>${escapeXML(text)}</text>` : '';
    this.io.send(`<stream:error xmlns:stream='http://etherx.jabber.org/streams'><${condition} xmlns='${NS.streams}'/>${t}</stream:error>`);
    this.io.closeStream();
    this.deps.log.info({ jid: this.jid?.full, ip: this.remoteAddress, condition }, `XMPP stream closed with error: ${text ?? condition}`);
    this.shutdown();
  }

  /** Closes the stream normally. */
  close(): void {
    if (this.state === 'closed') return;
    this.io.closeStream();
    this.shutdown();
  }

  private shutdown(): void {
    this.io.close();
    this.closed();
  }

  private closed(): void {
    if (this.state === 'closed') return;
    const wasBound = this.state === 'ready';
    this.state = 'closed';
    if (wasBound) {
      this.deps.ctx.router.remove(this);
      for (const hook of this.deps.host.closed) hook(this);
      this.deps.log.info({ jid: this.jid?.full }, 'XMPP session ended');
    }
  }

  private enqueue(fn: () => Promise<void> | void): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => {
      this.deps.log.error({ err: e, jid: this.jid?.full }, 'XMPP stanza handling failed');
      this.streamError('internal-server-error');
    });
  }

  private openStream(domain: string, withFeatures = true): void {
    this.io.openStream(escapeXML(domain), randomBytes(8).toString('hex'));
    if (withFeatures) this.io.send(this.features());
  }

  private features(): Element {
    const f = new Element('stream:features', { 'xmlns:stream': 'http://etherx.jabber.org/streams' });
    if (this.state === 'header' || this.state === 'tls' || this.state === 'auth') {
      if (this.io.canStartTls) {
        const tls = f.c('starttls', { xmlns: NS.tls });
        if (this.deps.requireTls) tls.c('required');
      }
      if (this.io.secure || !this.deps.requireTls) {
        const mechs = f.c('mechanisms', { xmlns: NS.sasl });
        if (this.deps.auth.scram) for (const m of Object.keys(SCRAM_MECHANISMS)) mechs.c('mechanism').t(m);
        mechs.c('mechanism').t('PLAIN');
      }
    } else {
      f.c('bind', { xmlns: NS.bind });
      f.c('session', { xmlns: NS.session }).c('optional');
    }
    return f;
  }

  private onStreamStart(attrs: Record<string, string>): void {
    const domain = parseJid(attrs.to)?.bare;
    if (this.state === 'header' || this.state === 'tls') this.domain = domain ?? '';
    if (!domain || !this.deps.ctx.isLocalDomain(domain)) return this.streamError('host-unknown', `this server does not serve "${attrs.to ?? ''}"`);
    if (attrs.version !== '1.0') return this.streamError('unsupported-version', 'XMPP 1.0 streams only');
    if (this.state === 'header') {
      if (this.deps.requireTls && !this.io.secure && !this.io.canStartTls) {
        return this.streamError('policy-violation', 'an encrypted connection is required: use STARTTLS, or wss:// for WebSocket');
      }
      this.state = this.io.canStartTls && this.deps.requireTls ? 'tls' : 'auth';
    }
    this.openStream(this.domain);
  }

  private async onStanza(el: Element): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'tls' || this.state === 'auth') {
      if (el.name === 'starttls' && el.attrs.xmlns === NS.tls && this.io.canStartTls) return this.startTls();
      if (this.state === 'tls') return this.streamError('policy-violation', 'STARTTLS is required before authentication');
      if (el.name === 'auth' && el.attrs.xmlns === NS.sasl) return this.auth(el);
      if (el.name === 'response' && el.attrs.xmlns === NS.sasl) return this.scramResponse(el);
      if (el.name === 'abort' && el.attrs.xmlns === NS.sasl) {
        this.scram = undefined;
        return this.saslFailure('aborted');
      }
      return this.streamError('not-authorized', 'authenticate first');
    }
    if (this.state === 'bind') {
      if (el.name === 'iq' && el.getChild('bind', NS.bind)) return this.bind(el);
      if (el.name === 'iq') return this.send(errorReply(el, 'auth', 'not-authorized', 'bind a resource first'));
      return this.streamError('not-authorized', 'bind a resource first');
    }
    this.dispatch(el);
  }

  private async startTls(): Promise<void> {
    this.io.send(`<proceed xmlns='${NS.tls}'/>`);
    this.io.restart();
    try {
      await this.io.startTls();
    } catch (e) {
      this.deps.log.info({ ip: this.remoteAddress, err: (e as Error).message }, 'TLS handshake failed');
      this.io.close();
      return;
    }
    this.state = 'auth';
  }

  private saslFailure(condition: string, text?: string): void {
    const t = text ? `<text xml:lang='en'>${escapeXML(text)}</text>` : '';
    this.io.send(`<failure xmlns='${NS.sasl}'><${condition}/>${t}</failure>`);
  }

  private async auth(el: Element): Promise<void> {
    this.scram = undefined;
    const hash = SCRAM_MECHANISMS[el.attrs.mechanism ?? ''];
    if (hash && this.deps.auth.scram) return this.scramStart(el, hash);
    if (el.attrs.mechanism !== 'PLAIN') return this.saslFailure('invalid-mechanism');
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = Buffer.from(el.getText().trim(), 'base64').toString('utf8').split('\0');
    if (parts.length !== 3) return this.saslFailure('malformed-request');
    const [authzid, authcid, secret] = parts as [string, string, string];
    const address = this.addressOf(authcid);
    try {
      const account = await this.deps.auth.plain(address, secret, this.remoteAddress);
      if (account.domain !== this.domain) throw new HeraldError('invalid_credentials', 'account of another domain');
      if (authzid && parseJid(authzid)?.bare !== account.address) return this.saslFailure('invalid-authzid');
      this.authenticated(account);
    } catch (e) {
      if (!(e instanceof HeraldError)) throw e;
      this.authFailed(address, e);
    }
  }

  private addressOf(user: string): string {
    return (user.includes('@') ? user : `${user}@${this.domain}`).toLowerCase();
  }

  private scramStart(el: Element, hash: ScramHash): void {
    const scram = this.deps.auth.scram!;
    const exchange = new ScramExchange(hash);
    let address = '';
    try {
      const serverFirst = exchange.first(Buffer.from(el.getText().trim(), 'base64').toString('utf8'), (user) => {
        address = this.addressOf(user);
        scram.check(address, this.remoteAddress);
        return scram.keys(address, hash);
      });
      this.scram = { exchange, address };
      this.io.send(`<challenge xmlns='${NS.sasl}'>${Buffer.from(serverFirst).toString('base64')}</challenge>`);
    } catch (e) {
      if (e instanceof ScramError) return this.saslFailure(e.condition, e.message);
      if (e instanceof HeraldError) return this.authFailed(address, e);
      throw e;
    }
  }

  private scramResponse(el: Element): void {
    const pending = this.scram;
    this.scram = undefined;
    if (!pending) return this.saslFailure('malformed-request', 'no SCRAM exchange in progress');
    const scram = this.deps.auth.scram!;
    try {
      const serverFinal = pending.exchange.final(Buffer.from(el.getText().trim(), 'base64').toString('utf8'));
      const account = scram.account(pending.address);
      if (!account || account.domain !== this.domain) throw new ScramError('not-authorized', 'wrong user name or password');
      const authzid = pending.exchange.authzid;
      if (authzid && parseJid(authzid)?.bare !== account.address) return this.saslFailure('invalid-authzid');
      scram.record(pending.address, this.remoteAddress, true);
      this.authenticated(account, serverFinal);
    } catch (e) {
      if (!(e instanceof ScramError)) throw e;
      if (e.condition !== 'not-authorized') return this.saslFailure(e.condition, e.message);
      scram.record(pending.address, this.remoteAddress, false);
      this.authFailed(pending.address, new HeraldError('invalid_credentials', 'wrong user name or password'));
    }
  }

  private authenticated(account: AccountRow, successData?: string): void {
    if (!this.deps.auth.imEnabled(account.domain)) {
      this.saslFailure('not-authorized', `instant messaging is disabled for ${account.domain}`);
      return this.close();
    }
    this.account = account;
    const data = successData ? Buffer.from(successData).toString('base64') : '';
    this.io.send(`<success xmlns='${NS.sasl}'>${data}</success>`);
    this.io.restart();
    this.state = 'bind';
    this.deps.log.info({ user: account.address, ip: this.remoteAddress }, 'XMPP login');
  }

  private authFailed(address: string, err: HeraldError): void {
    if (err.code === 'rate_limited' || err.status === 503) this.saslFailure('temporary-auth-failure', err.message);
    else this.saslFailure('not-authorized', 'wrong user name or password');
    this.deps.log.warn({ user: address, ip: this.remoteAddress }, `XMPP login failed: ${err.message}`);
    if (++this.authFailures >= this.deps.maxAuthFailures) this.streamError('policy-violation', 'too many failed authentication attempts');
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
    // Stanzas to a component's domain (conference.<domain>, ...) are the component's alone.
    const to = ['message', 'presence', 'iq'].includes(el.name) && el.attrs.to ? parseJid(el.attrs.to) : undefined;
    const component = to && this.deps.host.componentFor(to.domain);
    if (component) return component.handle(el, to, this);
    if (el.name === 'message') return this.deps.host.message?.(el, this);
    if (el.name === 'presence') return this.deps.host.presence?.(el, this);
    if (el.name === 'iq') return void this.iq(el);
    this.streamError('unsupported-stanza-type', `<${el.name}> is not a stanza`);
  }

  private async iq(iq: Element): Promise<void> {
    const type = iq.attrs.type;
    if (!iq.attrs.id || !['get', 'set', 'result', 'error'].includes(type ?? '')) return this.send(errorReply(iq, 'modify', 'bad-request'));
    const to = iq.attrs.to ? parseJid(iq.attrs.to) : undefined;
    if (iq.attrs.to && !to) return this.send(errorReply(iq, 'modify', 'jid-malformed'));
    // RFC 6121 §8.5.1: an iq to another user's bare JID is the server's to answer for some
    // namespaces (vcard-temp, MAM), on the account's behalf; other ones go to no session (error).
    const onBehalf = !!to && !!to.local && !to.resource && this.deps.host.answersForAccounts(payloadOf(iq)?.attrs.xmlns) && this.deps.ctx.isLocalDomain(to.domain);
    const forServer = !to || to.full === this.domain || to.full === this.jid!.bare || onBehalf;
    if (!forServer) {
      if (!this.deps.ctx.deliverToSession(iq, to!) && (type === 'get' || type === 'set')) this.send(errorReply(iq, 'cancel', 'service-unavailable'));
      return;
    }
    if (type === 'result' || type === 'error') return;
    if (iq.attrs.to === undefined) iq.attrs.to = this.jid!.bare;
    const payload = payloadOf(iq);
    const handler = this.deps.host.iqHandler(payload?.attrs.xmlns);
    if (!handler) return this.send(errorReply(iq, 'cancel', 'service-unavailable'));
    try {
      const answer = await handler(iq, this);
      this.send(answer ?? iqResult(iq));
    } catch (e) {
      this.deps.log.error({ err: e, jid: this.jid?.full, xmlns: payload?.attrs.xmlns }, 'iq handler failed');
      this.send(errorReply(iq, 'cancel', 'internal-server-error'));
    }
  }
}
