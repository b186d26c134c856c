// The embedded XMPP server: TCP c2s with STARTTLS, the module host with the loaded modules,
// and runtime changes from the directory: a session whose credential ended (device signed out,
// password changed, account removed — directory/credentials.ts) gets <not-authorized/> saying
// why, one of a domain whose IM was switched off <policy-violation/>.
import { LISTEN_BACKLOG } from '../config/listen-backlog.ts';
import type { IncomingMessage } from 'node:http';
import type { Element } from 'ltx';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { lazyWebSocketServer } from '../config/lazy-websocket-server.ts';
import type { Logger } from '../config/logger.ts';
import type { LiveSession } from '../protocol/admin-api.ts';
import type { Settings } from '../config/schema.ts';
import { createPlainLogin } from '../directory/plain-login.ts';
import { endsHeld, REASON_TEXT, type CredentialEvent, type Credentials } from '../directory/credentials.ts';
import type { Directory } from '../directory/directory.ts';
import type { TokenService } from '../directory/tokens.ts';
import type { AccountRow, Store } from '../store/index.ts';
import { ModuleHost, type ServerContext, type XmppModule } from './core/host.ts';
import type { Jid } from './core/jid.ts';
import { Router } from './core/router.ts';
import { Session, type Authenticator } from './core/session.ts';
import { SmRegistry } from './core/stream-management.ts';
import { createOutbox } from './core/outbox.ts';
import { tcpStreamIo, wsStreamIo, type StreamIo } from './core/transport.ts';
import { createBlockingModule } from './modules/blocking.ts';
import { carbonsModule } from './modules/carbons.ts';
import { e2eePolicyModule } from './modules/e2ee-policy.ts';
import { csiModule } from './modules/csi.ts';
import { xhtmlImModule } from './modules/xhtml-im.ts';
import { discoModule } from './modules/disco.ts';
import { createMamModule } from './modules/mam.ts';
import { ArchiveWriter } from './modules/mam-writer.ts';
import { createMessageModule, type MessageLogger } from './modules/message.ts';
import { createMucModule } from './modules/muc/index.ts';
import type { MucRooms } from './modules/muc/rooms-admin.ts';
import { pingModule } from './modules/ping.ts';
import { presenceModule } from './modules/presence.ts';
import { createSystemMessageSender, type SystemMessageSender } from './modules/system-message.ts';
import { createRosterModule } from './modules/roster/index.ts';
import { createVcardModule } from './modules/vcard.ts';
import { createPepModule } from './modules/pep/index.ts';
import { createBookmarksModule } from './modules/bookmarks.ts';
import { createClientVersionModule } from './modules/client-version.ts';
import { createAvatarModule } from './modules/avatar.ts';
import { createOmemoPolicyModule } from './modules/omemo-policy.ts';
import { createUploadModule } from './modules/upload.ts';
import { startComponentListener, type ComponentListener, type ComponentMessageRoute } from './external-components.ts';
import { stamp } from './modules/message.ts';
import { websocketEncrypted } from './websocket-encrypted.ts';

export interface XmppServerDeps {
  settings: Settings['xmpp'];
  store: Store;
  directory: Directory;
  tokens: TokenService;
  /** Where credentials end: a login whose credential ended while it was checked is refused. */
  credentials: Credentials;
  log: Logger;
  tls: SecureContext | undefined;
  logMessage: MessageLogger;
  /** The gateway's public HTTP base URL (no trailing slash): HTTP upload slots point there. */
  publicUrl: string;
}

export interface XmppServer {
  port: number;
  /** XMPP over WebSocket (RFC 7395): takes an HTTP upgrade for the /xmpp-websocket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, trustProxy: boolean): void;
  /** Re-reads the directory after another process changed it (domains, links, users for rosters). */
  revalidate(): void;
  /** A credential ended: every session (hibernating ones too) that authenticated with it ends. */
  credentialEnded(e: CredentialEvent): void;
  sessionCount(): number;
  /** Presence copies queued in the outbox (admin status). */
  presenceBacklog(): number;
  /** Bound sessions, as the admin console lists them (admin/sessions.ts). */
  liveSessions(): LiveSession[];
  /** Ends one session (by id) with a policy-violation stream error carrying `reason`; false when it is gone. */
  endSession(id: string, reason: string): boolean;
  /** Where external components (XEP-0114) connect, when some are configured. */
  componentPort: number | undefined;
  /** Direct TLS (XEP-0368), when `xmpp.directTlsPort` is set. */
  directTlsPort: number | undefined;
  /**
   * Sends a chat message from any valid address to a local user, with the rules of a client's chat
   * (log first, live or offline with quota, archive); throws SystemMessageError (typed reasons).
   * The SEM spool's delivery path (modules/system-message.ts).
   */
  sendSystemMessage: SystemMessageSender;
  /** The MUC rooms, live and persistent, for the admin console (modules/muc/rooms-admin.ts). */
  rooms(): MucRooms | undefined;
  close(): Promise<void>;
}

export async function startXmppServer(deps: XmppServerDeps): Promise<XmppServer> {
  const { settings, store, log } = deps;
  const router = new Router();
  const host = new ModuleHost();
  const domainCache = new Map<string, AccountRow[]>();
  const visibleCache = new Map<string, string[]>();
  const ctx: ServerContext = {
    router,
    log,
    isLocalDomain: (d) => store.domains.has(d),
    account: (bare) => store.accounts.byAddress(bare),
    domainUsers(d) {
      let users = domainCache.get(d);
      if (!users) domainCache.set(d, (users = store.accounts.list(d)));
      return users;
    },
    visibleDomains(d) {
      let domains = visibleCache.get(d);
      if (!domains) visibleCache.set(d, (domains = [d, ...store.domainLinks.linkedTo(d)]));
      return domains;
    },
    roster: store.roster,
    outbox: createOutbox(),
    e2ee: (d) => settings.e2ee.domains[d.toLowerCase()] ?? settings.e2ee.default,
    deliverToSession(stanza, to) {
      const s = router.get(to.bare, to.resource);
      if (!s) return false;
      s.send(stanza);
      return true;
    },
  };
  // One batched writer for every archive, personal and rooms' (none when archiving is off).
  const archive = settings.archiveDays > 0 ? new ArchiveWriter(store.archive, log) : undefined;
  const pep = createPepModule({ store: store.pep, limits: settings.pep });
  const avatar = createAvatarModule({ pep: pep.service, store: store.pep });
  let rooms: MucRooms | undefined;
  const clientVersion = createClientVersionModule();
  const modules: XmppModule[] = [
    discoModule,
    clientVersion.module,
    pep,
    createOmemoPolicyModule(pep.service),
    createBookmarksModule({ pep: pep.service, store: store.pep, limits: settings.pep }),
    avatar,
    pingModule,
    createRosterModule({ store, maxItems: settings.rosterMaxItems }),
    presenceModule,
    // Policies first among the stanza guards: blocking (XEP-0191), then end-to-end encryption.
    createBlockingModule({ store: store.blocklist }),
    e2eePolicyModule,
    carbonsModule,
    csiModule,
    xhtmlImModule,
    createVcardModule(avatar.avatars),
    createMamModule({ archive, archiveDays: settings.archiveDays }),
    createMessageModule({ store, logMessage: deps.logMessage, offlineQuota: settings.offlineQuota }),
    createMucModule({ store, logMessage: deps.logMessage, offlineQuota: settings.offlineQuota, archive, expose: (r) => (rooms = r) }),
    ...(settings.upload.enabled ? [createUploadModule({ store: store.uploads, settings: settings.upload, publicUrl: deps.publicUrl })] : []),
  ];
  for (const m of modules) m.setup(host, ctx);

  // A component's message to a local user: logged, then to the addressed resource or the user's
  // available ones, else offline storage for chat/normal (RFC 6121 §8.5.2), like a client's.
  const logComponentMessage = (stanza: Element, to: Jid): boolean => {
    const type = (stanza.attrs.type ?? 'normal') as 'chat' | 'normal' | 'headline' | 'groupchat' | 'error';
    const body = stanza.getChildText('body') ?? '';
    const attachments = stanza.getChildren('x', 'jabber:x:oob').map((x) => x.getChildText('url') ?? '').filter(Boolean);
    if (type === 'error' || (!body && !attachments.length)) return true;
    try {
      deps.logMessage({ type, from: stanza.attrs.from!, to: to.full, body, attachments });
      return true;
    } catch (e) {
      log.error({ err: (e as Error).message }, 'central IM log cannot be written: message refused');
      return false;
    }
  };
  const routeComponentMessage: ComponentMessageRoute = (stanza, to) => {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'groupchat') return { condition: 'not-acceptable', text: 'group chat goes to a room' };
    if (!logComponentMessage(stanza, to)) return { condition: 'resource-constraint', text: 'the server cannot log messages right now; try again later' };
    const exact = to.resource ? router.get(to.bare, to.resource) : undefined;
    const targets = exact ? [exact] : router.availableOf(to.bare);
    for (const s of targets) s.send(stanza);
    if (targets.length || type === 'error' || type === 'headline') return undefined;
    const account = store.accounts.byAddress(to.bare)!;
    if (!store.offline.add(account.id, stamp(stanza, to.domain).toString(), settings.offlineQuota)) {
      return { condition: 'resource-constraint', text: `${to.bare} is offline and their offline message store is full` };
    }
    return undefined;
  };
  const components: ComponentListener | undefined = settings.components.length
    ? await startComponentListener({
        host: settings.componentHost,
        port: settings.componentPort,
        components: settings.components,
        limits: { maxStanzaChars: settings.maxStanzaBytes, maxDepth: 32 },
        idleMs: settings.idleSeconds * 1000,
        modules: host,
        ctx,
        log,
        routeMessage: routeComponentMessage,
        logMessage: logComponentMessage,
      })
    : undefined;

  const auth: Authenticator = {
    plain: createPlainLogin({ directory: deps.directory, tokens: deps.tokens }),
    imEnabled: (d) => store.domains.get(d)?.imEnabled === true,
    journal: {
      mark: () => deps.credentials.mark(),
      endedSince: (mark, credential) => {
        const e = deps.credentials.endedSince(mark, credential);
        return e && REASON_TEXT[e.reason];
      },
    },
    // SCRAM needs keys derived from the password: only when the passwords are ours.
    scram:
      deps.directory.backendName === 'local'
        ? {
            keys: (address, hash) => deps.directory.scramKeysFor(address, hash),
            check: (address, ip) => deps.directory.checkLoginLimits(address, ip),
            record: (address, ip, ok) => deps.directory.recordLogin(address, ip, ok),
            account: (address) => store.accounts.byAddress(address),
          }
        : undefined,
  };

  // Every live session, hibernating ones (XEP-0198) included: they outlive their connection.
  const sessions = new Set<Session>();
  const sm = { registry: new SmRegistry<Session>(), resumeSeconds: settings.resumeSeconds, maxUnacked: settings.smMaxUnacked };
  const startSession = (io: StreamIo): Session => {
    const session = new Session(io, { ctx, host, auth, log, requireTls: settings.requireTls, maxAuthFailures: settings.maxAuthFailures, sm, ended: (s) => sessions.delete(s) });
    sessions.add(session);
    return session;
  };
  const perAddress = new Map<string, number>();
  const limits = { maxStanzaChars: settings.maxStanzaBytes, maxDepth: 32 };
  const idleMs = settings.idleSeconds * 1000;
  /** Counts a connection from `ip`; false when the address is over its limit. */
  const admit = (ip: string): boolean => {
    const n = (perAddress.get(ip) ?? 0) + 1;
    if (n > settings.maxConnectionsPerAddress) return false;
    perAddress.set(ip, n);
    return true;
  };
  const release = (ip: string) => {
    const left = (perAddress.get(ip) ?? 1) - 1;
    if (left <= 0) perAddress.delete(ip);
    else perAddress.set(ip, left);
  };
  const TOO_MANY = `<stream:error xmlns:stream='http://etherx.jabber.org/streams'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too many connections from your address</text></stream:error>`;

  const accept = (socket: Socket, directTls: boolean) => {
    const ip = socket.remoteAddress ?? 'unknown';
    if (!admit(ip)) {
      socket.end(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>${TOO_MANY}</stream:stream>`);
      return;
    }
    socket.once('close', () => release(ip));
    try {
      startSession(tcpStreamIo(socket, deps.tls, limits, idleMs, directTls));
    } catch (e) {
      log.error({ err: e, ip }, 'XMPP session could not start');
      socket.destroy();
    }
  };
  const server: Server = createServer((socket: Socket) => accept(socket, false));
  // XEP-0368: direct TLS on its own port (TLS from the first byte, ALPN "xmpp-client").
  const secureContext = deps.tls;
  const directTls =
    settings.directTlsPort !== undefined && secureContext
      ? createServer((raw: Socket) => {
          // The handshake has 10 s; a failed one (plaintext, wrong protocol) ends only this socket.
          raw.setTimeout(10_000, () => raw.destroy());
          const socket = new TLSSocket(raw, { isServer: true, secureContext, ALPNProtocols: ['xmpp-client'] });
          socket.once('secure', () => {
            raw.setTimeout(0);
            accept(socket, true);
          });
          socket.on('error', (e) => {
            log.debug({ ip: raw.remoteAddress, err: e.message }, 'direct TLS connection failed');
            socket.destroy();
          });
        })
      : undefined;

  // RFC 7395: the "xmpp" subprotocol is required; frames are bounded by the stanza limit.
  const wss = lazyWebSocketServer({
    noServer: true,
    maxPayload: settings.maxStanzaBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  server.maxConnections = 100_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `XMPP port ${settings.port} is already in use (set xmpp.port, HERALD_XMPP_PORT or --xmpp-port)` : `cannot listen for XMPP: ${e.message}`)),
    );
    server.listen({ port: settings.port, host: settings.host, backlog: LISTEN_BACKLOG }, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, tls: deps.tls ? (settings.requireTls ? 'required' : 'offered') : 'off' }, `XMPP server listening on port ${port}`);
  if (directTls) {
    await new Promise<void>((resolve, reject) => {
      directTls.once('error', (e: NodeJS.ErrnoException) =>
        reject(new Error(e.code === 'EADDRINUSE' ? `XMPP direct TLS port ${settings.directTlsPort} is already in use (xmpp.directTlsPort)` : `cannot listen for XMPP direct TLS: ${e.message}`)),
      );
      directTls.listen({ port: settings.directTlsPort, host: settings.host, backlog: LISTEN_BACKLOG }, resolve);
    });
    log.info({ port: (directTls.address() as AddressInfo).port }, `XMPP direct TLS (XEP-0368) on port ${(directTls.address() as AddressInfo).port}`);
  }

  return {
    port,
    handleUpgrade(req, socket, head, trustProxy) {
      const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim() : '';
      const ip = forwarded || req.socket.remoteAddress || 'unknown';
      // Encrypted: TLS to us, or TLS to a proxy we trust (websocket-encrypted.ts).
      const secure = websocketEncrypted(req, { trustProxy, plainFromLoopback: settings.plainWebSocketFromLoopback });
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (ws.protocol !== 'xmpp') return ws.close(1002, 'the "xmpp" WebSocket subprotocol is required (RFC 7395)');
        if (!admit(ip)) {
          ws.send(TOO_MANY);
          return ws.close(1008, 'too many connections');
        }
        ws.once('close', () => release(ip));
        try {
          startSession(wsStreamIo(ws, ip, secure, limits, idleMs, req.headers['user-agent']?.slice(0, 200)));
        } catch (e) {
          log.error({ err: e, ip }, 'XMPP WebSocket session could not start');
          ws.terminate();
        }
      });
    },
    revalidate() {
      store.domains.forget(); // the CLI added or removed a domain
      domainCache.clear();
      visibleCache.clear();
      for (const hook of host.directoryChanged) hook();
    },
    credentialEnded(e) {
      if (e.ends === 'domain-im' || e.ends === 'account') {
        domainCache.clear();
        visibleCache.clear();
      }
      for (const s of [...sessions]) {
        if (!s.credential || !endsHeld(e, s.credential)) continue;
        if (e.ends === 'domain-im') s.streamError('policy-violation', `instant messaging was switched off for ${e.domain ?? 'your domain'}`);
        else s.streamError('not-authorized', REASON_TEXT[e.reason]);
      }
      // Rosters and presence of the others see who went (a removed account, a domain without IM).
      if (e.ends === 'domain-im' || e.ends === 'account') for (const hook of host.directoryChanged) hook();
    },
    sessionCount: () => sessions.size,
    presenceBacklog: () => ctx.outbox.backlog,
    liveSessions: () =>
      [...sessions]
        .filter((s) => s.jid !== undefined)
        .map((s) => {
          const c = s.connection;
          return {
            id: s.id,
            address: s.jid!.bare,
            resource: s.jid!.resource ?? '',
            // XEP-0092's answer, else what the WebSocket upgrade's User-Agent said.
            client: clientVersion.softwareOf(s) ?? c.userAgent ?? null,
            transport: c.transport,
            remoteAddress: s.remoteAddress,
            tls: c.secure,
            since: s.startedAt,
            presence: !s.presence ? 'unavailable' : s.presence.attrs.type === 'unavailable' ? 'unavailable' : (s.presence.getChildText('show') ?? 'available'),
            domain: s.domain || s.jid!.domain,
          };
        }),
    endSession(id, reason) {
      const s = [...sessions].find((x) => x.id === id);
      if (!s) return false;
      // RFC 6120 §4.9.3.14 policy-violation, with the admin's words as the text.
      s.streamError('policy-violation', reason);
      return true;
    },
    rooms: () => rooms,
    componentPort: components?.port,
    directTlsPort: directTls ? (directTls.address() as AddressInfo).port : undefined,
    sendSystemMessage: createSystemMessageSender({
      store,
      ctx,
      logMessage: deps.logMessage,
      offlineQuota: settings.offlineQuota,
      archiveDays: settings.archiveDays,
      imEnabled: (d) => auth.imEnabled(d),
    }),
    async close() {
      for (const s of sessions) s.streamError('system-shutdown', 'the server is shutting down');
      await components?.close();
      directTls?.close();
      for (const hook of host.stopping) hook();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
