// The embedded XMPP server: TCP c2s with STARTTLS, the module host with the loaded modules,
// and runtime changes from the directory (deleted users and domains with IM switched off are
// thrown out with a stream error).
import { createServer, type Server, type Socket } from 'node:net';
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
import { tcpTransport } from './core/transport.ts';
import { carbonsModule } from './modules/carbons.ts';
import { discoModule } from './modules/disco.ts';
import { createMessageModule, type MessageLogger } from './modules/message.ts';
import { pingModule } from './modules/ping.ts';
import { presenceModule } from './modules/presence.ts';
import { rosterModule } from './modules/roster.ts';

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
    createMessageModule({ store, logMessage: deps.logMessage, offlineQuota: settings.offlineQuota }),
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
  const perAddress = new Map<string, number>();
  const server: Server = createServer((socket: Socket) => {
    const ip = socket.remoteAddress ?? 'unknown';
    const n = (perAddress.get(ip) ?? 0) + 1;
    if (n > settings.maxConnectionsPerAddress) {
      socket.end(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too many connections from your address</text></stream:error></stream:stream>`);
      return;
    }
    perAddress.set(ip, n);
    const transport = tcpTransport(socket, deps.tls, settings.idleSeconds * 1000, () => session.streamError('connection-timeout', 'idle for too long'));
    const session: Session = new Session(transport, {
      ctx,
      host,
      auth,
      log,
      limits: { maxStanzaChars: settings.maxStanzaBytes, maxDepth: 32 },
      requireTls: settings.requireTls,
      maxAuthFailures: settings.maxAuthFailures,
    });
    sessions.add(session);
    socket.once('close', () => {
      sessions.delete(session);
      const left = (perAddress.get(ip) ?? 1) - 1;
      if (left <= 0) perAddress.delete(ip);
      else perAddress.set(ip, left);
    });
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
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
