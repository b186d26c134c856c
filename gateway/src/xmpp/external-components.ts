// XEP-0114: Jabber Component Protocol — external components (a help-desk bot, a gateway to
// another network, a company's own service) connect to a separate port, prove the shared secret
// with the handshake (hex SHA-1 of the stream id followed by the secret, §3) and then own one
// domain (say bot.example.com): every stanza a local user sends to that domain goes down the
// component's stream, and the component may send stanzas from that domain (and only from it) to
// local users.
//
// Every message with content is written to the central IM log, both ways, before it is passed on.
// Routing of what a component sends: messages are routed like a client's (the user's addressed or
// available resources, offline storage for chat/normal);
// presence goes to the user's sessions (directed presence, or all their available resources for a
// bare JID); an iq goes to the addressed full JID's session, anything else answers
// <service-unavailable/>. The server answers nothing on a component's behalf.
//
// Security: components are configured by the admin (`xmpp.components`: domain and secret, see
// README); the port listens on loopback by default; the secret is compared in constant time; a
// failed handshake ends the stream with <not-authorized/>; a component may not claim a local user
// domain or conference.<domain>; one connection per component (a second one is refused with
// <conflict/>, RFC 6120 §4.9.3.3).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { escapeXML, type Element } from 'ltx';
import type { Logger } from '../config/logger.ts';
import type { Component, ModuleHost, ServerContext } from './core/host.ts';
import { parseJid, type Jid } from './core/jid.ts';
import type { Session } from './core/session.ts';
import { errorReply, NS, type StanzaErrorCondition } from './core/stanza.ts';
import { StreamError, XmlStream, type StreamErrorCondition, type XmlStreamLimits } from './core/xml-stream.ts';

export const NS_COMPONENT = 'jabber:component:accept';

export interface ComponentConfig {
  domain: string;
  secret: string;
}

/** What a component's message to a local user came to: undefined = accepted, else the error to bounce. */
export type ComponentMessageRoute = (stanza: Element, to: Jid) => { condition: StanzaErrorCondition; text: string } | undefined;
/** Writes a user's message to a component into the central IM log; false when the log cannot be written. */
export type ComponentMessageLog = (stanza: Element, to: Jid) => boolean;

export interface ComponentListenerDeps {
  host: string;
  port: number;
  components: ComponentConfig[];
  limits: XmlStreamLimits;
  idleMs: number;
  modules: ModuleHost;
  ctx: ServerContext;
  log: Logger;
  routeMessage: ComponentMessageRoute;
  logMessage: ComponentMessageLog;
}

export interface ComponentListener {
  port: number;
  /** Domains whose component is connected now. */
  connected(): string[];
  close(): Promise<void>;
}

/** Registers one Component per configured domain (all routed to their live connection) and listens. */
export async function startComponentListener(deps: ComponentListenerDeps): Promise<ComponentListener> {
  const { ctx, log } = deps;
  const configured = new Map<string, ComponentConfig>();
  for (const c of deps.components) {
    const domain = c.domain.toLowerCase();
    if (ctx.isLocalDomain(domain) || deps.modules.componentFor(domain)) throw new Error(`xmpp.components: ${domain} is already served here (a mail domain or a built-in service)`);
    configured.set(domain, c);
  }
  const live = new Map<string, ComponentStream>();

  // Users' stanzas to a component's domain: down its stream, or an error while it is away.
  for (const name of configured.keys()) {
    const component: Component = {
      name: `component ${name}`,
      serves: (domain) => domain === name,
      handle(stanza: Element, to: Jid, session: Session) {
        const stream = live.get(name);
        if (stream && stanza.name === 'message' && !deps.logMessage(stanza, to)) {
          return session.send(errorReply(stanza, 'wait', 'resource-constraint', 'the server cannot log messages right now; try again later'));
        }
        if (stream) return stream.send(stanza);
        if (isResponse(stanza)) return;
        session.send(errorReply(stanza, 'wait', 'remote-server-timeout', `${name} is not connected right now`));
      },
      // Listed in the disco#items of the mail domain it is a subdomain of (bot.example.com).
      discoItem: (domain) => (name.endsWith(`.${domain}`) ? { jid: name } : undefined),
    };
    deps.modules.components.push(component);
  }

  const server: Server = createServer((socket) => {
    const stream = new ComponentStream(socket, deps, configured, live);
    socket.once('close', () => stream.closed());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE' ? `XMPP component port ${deps.port} is already in use (xmpp.componentPort)` : `cannot listen for XMPP components: ${e.message}`)));
    server.listen(deps.port, deps.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, components: [...configured.keys()] }, `XMPP components (XEP-0114) accepted on port ${port}`);
  return {
    port,
    connected: () => [...live.keys()],
    async close() {
      for (const s of live.values()) s.streamError('system-shutdown', 'the server is shutting down');
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

class ComponentStream {
  private readonly id = randomBytes(12).toString('hex');
  private domain: string | undefined;
  private config: ComponentConfig | undefined;
  private ready = false;
  private done = false;
  private readonly parser: XmlStream;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ComponentListenerDeps,
    private readonly configured: Map<string, ComponentConfig>,
    private readonly live: Map<string, ComponentStream>,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(deps.idleMs, () => this.streamError('connection-timeout', 'idle for too long'));
    socket.on('error', () => socket.destroy());
    this.parser = new XmlStream(deps.limits, {
      streamStart: (attrs) => this.start(attrs),
      stanza: (el) => this.stanza(el),
      streamEnd: () => this.end(),
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.write(chunk);
      } catch (e) {
        if (e instanceof StreamError) this.streamError(e.condition, e.message);
        else {
          deps.log.error({ err: e, component: this.domain }, 'XMPP component stream handling failed');
          this.streamError('internal-server-error');
        }
      }
    });
  }

  send(el: Element): void {
    if (!this.done && this.ready) this.socket.write(el.toString());
  }

  streamError(condition: StreamErrorCondition, text?: string): void {
    if (this.done) return;
    const t = text ? `<text xmlns='${NS.streams}' xml:lang='en'>${escapeXML(text)}</text>` : '';
    if (!this.domain) this.header('');
    this.socket.end(`<stream:error><${condition} xmlns='${NS.streams}'/>${t}</stream:error></stream:stream>`);
    this.deps.log.warn({ component: this.domain, ip: this.socket.remoteAddress, condition }, `XMPP component stream closed: ${text ?? condition}`);
    this.closed();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  closed(): void {
    if (this.done) return;
    this.done = true;
    if (this.ready && this.domain && this.live.get(this.domain) === this) {
      this.live.delete(this.domain);
      this.deps.log.info({ component: this.domain }, 'XMPP component disconnected');
    }
  }

  private header(from: string): void {
    this.socket.write(`<?xml version='1.0'?><stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='http://etherx.jabber.org/streams' from='${escapeXML(from)}' id='${this.id}'>`);
  }

  private start(attrs: Record<string, string>): void {
    const domain = (attrs.to ?? '').toLowerCase();
    this.domain = domain;
    this.header(domain);
    if (attrs.xmlns !== NS_COMPONENT) return this.streamError('invalid-namespace', `component streams use ${NS_COMPONENT}`);
    this.config = this.configured.get(domain);
    if (!this.config) return this.streamError('host-unknown', `no component is configured for "${domain}"`);
  }

  private end(): void {
    if (this.done) return;
    this.socket.end('</stream:stream>');
    this.closed();
  }

  private stanza(el: Element): void {
    if (this.done) return;
    if (!this.ready) return this.handshake(el);
    if (!['message', 'presence', 'iq'].includes(el.name)) return this.streamError('unsupported-stanza-type', `<${el.name}> is not a stanza`);
    const from = parseJid(el.attrs.from);
    // A component speaks only for its own domain (XEP-0114 §3: the server MUST check 'from').
    if (!from || from.domain !== this.domain) return this.streamError('invalid-from', `stanzas must come from ${this.domain} or its addresses`);
    delete el.attrs.xmlns;
    const to = parseJid(el.attrs.to);
    if (!to) return this.bounce(el, 'jid-malformed', 'missing or malformed "to"');
    el.attrs.from = from.full;
    el.attrs.to = to.full;
    const { ctx } = this.deps;
    if (!ctx.isLocalDomain(to.domain) || !to.local) {
      const other = this.deps.modules.componentFor(to.domain);
      if (other && this.live.has(to.domain)) return this.live.get(to.domain)!.send(el);
      return this.bounce(el, 'service-unavailable', `${to.full} cannot be reached from a component`);
    }
    if (!ctx.account(to.bare)) return this.bounce(el, 'service-unavailable', `there is no user ${to.bare}`);
    if (el.name === 'message') {
      const refused = this.deps.routeMessage(el, to);
      if (refused) this.bounce(el, refused.condition, refused.text);
      return;
    }
    if (el.name === 'presence') {
      const targets = to.resource ? [ctx.router.get(to.bare, to.resource)].filter((s) => s !== undefined) : ctx.router.availableOf(to.bare);
      for (const s of targets) s.send(el);
      return;
    }
    if (!ctx.deliverToSession(el, to)) this.bounce(el, 'service-unavailable', `${to.full} is not connected`);
  }

  private handshake(el: Element): void {
    if (el.name !== 'handshake') return this.streamError('not-authorized', 'send <handshake/> first (XEP-0114 §3)');
    const expected = createHash('sha1').update(this.id + this.config!.secret).digest();
    const got = Buffer.from(el.getText().trim(), 'hex');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return this.streamError('not-authorized', 'wrong component secret');
    const domain = this.domain!;
    if (this.live.has(domain)) return this.streamError('conflict', `${domain} is already connected`);
    this.live.set(domain, this);
    this.ready = true;
    this.socket.write('<handshake/>');
    this.deps.log.info({ component: domain, ip: this.socket.remoteAddress }, 'XMPP component connected');
  }

  private bounce(el: Element, condition: StanzaErrorCondition, text: string): void {
    if (isResponse(el)) return;
    const reply = errorReply(el, 'cancel', condition, text);
    this.send(reply);
  }
}

/** For tests and clients: the handshake digest of XEP-0114 §3. */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1').update(streamId + secret).digest('hex');
}

/** Errors, results and presence other than available/directed are never answered with an error. */
function isResponse(el: Element): boolean {
  const type = el.attrs.type;
  return type === 'error' || (el.name === 'iq' && type === 'result') || (el.name === 'presence' && type !== undefined);
}
