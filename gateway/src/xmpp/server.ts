// The embedded XMPP server: TCP c2s with STARTTLS, the module host with the loaded modules,
// and runtime changes from the directory (deleted users and domains with IM switched off are
// thrown out with a stream error).
import type { IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../config/logger.ts';
import type { Settings } from '../config/schema.ts';
import type { Directory } from '../directory/directory.ts';
import type { TokenService } from '../directory/tokens.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow, Store } from '../store/index.ts';
import { ModuleHost, type ServerContext, type XmppModule } from './core/host.ts';
import { Router } from './core/router.ts';
import { Session, type Authenticator } from './core/session.ts';
import { tcpStreamIo, wsStreamIo, type StreamIo } from './core/transport.ts';
import { carbonsModule } from './modules/carbons.ts';
import { xhtmlImModule } from './modules/xhtml-im.ts';
import { discoModule } from './modules/disco.ts';
import { createMamModule } from './modules/mam.ts';
import { createMessageModule, type MessageLogger } from './modules/message.ts';
import { createMucModule } from './modules/muc/index.ts';
import { pingModule } from './modules/ping.ts';
import { presenceModule } from './modules/presence.ts';
import { rosterModule } from './modules/roster.ts';
import { vcardModule } from './modules/vcard.ts';

export interface XmppServerDeps {
  settings: Settings['xmpp'];
  store: Store;
  directory: Directory;
  tokens: TokenService;
  log: Logger;
  tls: SecureContext | undefined;
  logMessage: MessageLogger;
}

export interface XmppServer {
  port: number;
  /** XMPP over WebSocket (RFC 7395): takes an HTTP upgrade for the /xmpp-websocket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, trustProxy: boolean): void;
  /** Re-reads the directory after a change: closes sessions of deleted users and IM-disabled domains. */
  revalidate(): void;
  sessionCount(): number;
  close(): Promise<void>;
}

export async function startXmppServer(deps: XmppServerDeps): Promise<XmppServer> {
  const { settings, store, log } = deps;
  const router = new Router();
  const host = new ModuleHost();
  const domainCache = new Map<string, AccountRow[]>();
  const ctx: ServerContext = {
    router,
    log,
    isLocalDomain: (d) => store.domains.get(d) !== undefined,
    account: (bare) => store.accounts.byAddress(bare),
    domainUsers(d) {
      let users = domainCache.get(d);
      if (!users) domainCache.set(d, (users = store.accounts.list(d)));
      return users;
    },
    deliverToSession(stanza, to) {
      const s = router.get(to.bare, to.resource);
      if (!s) return false;
      s.send(stanza);
      return true;
    },
  };
  const modules: XmppModule[] = [
    discoModule,
    pingModule,
    rosterModule,
    presenceModule,
    carbonsModule,
    xhtmlImModule,
    vcardModule,
    createMamModule({ store: store.archive, archiveDays: settings.archiveDays }),
    createMessageModule({ store, logMessage: deps.logMessage, offlineQuota: settings.offlineQuota }),
    createMucModule({ store, logMessage: deps.logMessage, offlineQuota: settings.offlineQuota }),
  ];
  for (const m of modules) m.setup(host, ctx);

  const auth: Authenticator = {
    async plain(address, secret, remote) {
      // A device token works as the password (the tray app never has the real one).
      if (secret.startsWith('hdt_')) {
        const { account } = deps.tokens.verifyDevice(secret);
        if (account.address !== address.toLowerCase()) throw new HeraldError('invalid_credentials', 'token of another user');
        return account;
      }
      return deps.directory.authenticate(address, secret, remote);
    },
    imEnabled: (d) => store.domains.get(d)?.imEnabled === true,
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

  const sessions = new Set<Session>();
  const startSession = (io: StreamIo): Session => {
    const session = new Session(io, { ctx, host, auth, log, requireTls: settings.requireTls, maxAuthFailures: settings.maxAuthFailures });
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
  const release = (ip: string, session: Session) => {
    sessions.delete(session);
    const left = (perAddress.get(ip) ?? 1) - 1;
    if (left <= 0) perAddress.delete(ip);
    else perAddress.set(ip, left);
  };
  const TOO_MANY = `<stream:error xmlns:stream='http://etherx.jabber.org/streams'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too many connections from your address</text></stream:error>`;

  const server: Server = createServer((socket: Socket) => {
    const ip = socket.remoteAddress ?? 'unknown';
    if (!admit(ip)) {
      socket.end(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>${TOO_MANY}</stream:stream>`);
      return;
    }
    const io = tcpStreamIo(socket, deps.tls, limits, idleMs, () => session.streamError('connection-timeout', 'idle for too long'));
    const session = startSession(io);
    socket.once('close', () => release(ip, session));
  });

  // RFC 7395: the "xmpp" subprotocol is required; frames are bounded by the stanza limit.
  const wss = new WebSocketServer({
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
    server.listen(settings.port, settings.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, tls: deps.tls ? (settings.requireTls ? 'required' : 'offered') : 'off' }, `XMPP server listening on port ${port}`);

  return {
    port,
    handleUpgrade(req, socket, head, trustProxy) {
      const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim() : '';
      const ip = forwarded || req.socket.remoteAddress || 'unknown';
      // Encrypted: TLS to us, TLS to a proxy we trust, or loopback (nothing on the wire to read).
      const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
      const secure = (req.socket as TLSSocket).encrypted === true || (trustProxy && req.headers['x-forwarded-proto'] === 'https') || (loopback && !forwarded);
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (ws.protocol !== 'xmpp') return ws.close(1002, 'the "xmpp" WebSocket subprotocol is required (RFC 7395)');
        if (!admit(ip)) {
          ws.send(TOO_MANY);
          return ws.close(1008, 'too many connections');
        }
        const io = wsStreamIo(ws, ip, secure, limits, idleMs, () => session.streamError('connection-timeout', 'idle for too long'));
        const session = startSession(io);
        ws.once('close', () => release(ip, session));
      });
    },
    revalidate() {
      domainCache.clear();
      for (const s of sessions) {
        const a = s.account;
        if (!a) continue;
        if (!store.accounts.byId(a.id)) s.streamError('not-authorized', 'your account was removed');
        else if (!auth.imEnabled(a.domain)) s.streamError('policy-violation', `instant messaging was switched off for ${a.domain}`);
      }
      for (const hook of host.directoryChanged) hook();
    },
    sessionCount: () => sessions.size,
    async close() {
      for (const s of sessions) s.streamError('system-shutdown', 'the server is shutting down');
      for (const hook of host.stopping) hook();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
