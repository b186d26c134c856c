// Composition root: the ONE place that builds every gateway service and wires them together.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './config/logger.ts';
import type { Settings } from './config/schema.ts';
import { createImapBackend, createLocalBackend } from './directory/auth-backend.ts';
import { createDirectory } from './directory/directory.ts';
import { createRateLimiter } from './directory/rate-limit.ts';
import { createTokenService } from './directory/tokens.ts';
import { createHttpApp } from './http/app.ts';
import { createMailService } from './mail/mail-service.ts';
import { createMaildirSource } from './mail/maildir/maildir-source.ts';
import { createImLog, imLogDir } from './im/im-log.ts';
import { SpoolDeliveryError, startSemSpool, type DeliverScripted, type SemSpool } from './im/spool/spool.ts';
import { spoolDirOf } from './im/spool/spool-layout.ts';
import { createStore, type Store } from './store/index.ts';
import { SystemMessageError } from './xmpp/modules/system-message.ts';
import { startXmppServer, type XmppServer } from './xmpp/server.ts';
import { loadTlsContext } from './xmpp/tls.ts';

export const VERSION = '0.1.0';
/** How often the server looks for changes another process (the CLI) committed. */
const DIRECTORY_POLL_MS = 1000;

export function createServices(settings: Settings, log: Logger, store: Store = createStore(settings.dataDir)) {
  const window = settings.rateLimit.windowSeconds * 1000;
  const perAccount = createRateLimiter({ max: settings.rateLimit.perAccount, windowMs: window, what: 'account' });
  const perAddress = createRateLimiter({ max: settings.rateLimit.perAddress, windowMs: window, what: 'client address' });
  const backend = settings.directory.backend === 'imap' ? createImapBackend(settings.directory.imap) : createLocalBackend();
  const directory = createDirectory({ store, backend, perAccount, perAddress, autoCreate: settings.directory.autoCreate });
  const tokens = createTokenService({ store, enrollTtlMs: settings.tokens.enrollTtlHours * 3600_000 });
  return { store, directory, tokens, perAccount, perAddress };
}

export interface Gateway {
  server: Server;
  url: string;
  /** The XMPP c2s port, when the XMPP server runs. */
  xmppPort: number | undefined;
  /** The XMPP external component port (XEP-0114), when components are configured. */
  xmppComponentPort: number | undefined;
  /** Direct TLS c2s (XEP-0368), when configured. */
  xmppDirectTlsPort: number | undefined;
  services: ReturnType<typeof createServices>;
  /** The SEM spool (scripts' messages). */
  spool: SemSpool;
  /** The XMPP server, when it runs (its system-message entry point serves the spool). */
  xmpp: XmppServer | undefined;
  close(): Promise<void>;
}

export async function startGateway(settings: Settings, log: Logger): Promise<Gateway> {
  const services = createServices(settings, log);
  const { store, tokens, directory, perAddress } = services;
  // Only the configured source is loaded (imapflow is not needed for a maildir gateway).
  const source =
    settings.mail.source === 'imap'
      ? (await import('./mail/imap/imap-source.ts')).createImapSource({ settings: settings.mail.imap, store, log: log.child({ mail: 'imap' }) })
      : createMaildirSource({ settings: settings.mail.maildir, dataDir: settings.dataDir, store, log: log.child({ mail: 'maildir' }) });
  const idleMs = (settings.mail.source === 'imap' ? settings.mail.imap.idleUserSeconds : 300) * 1000;
  const mail = createMailService({ source, log, idleMs });

  const server = createServer();
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `HTTP port ${settings.http.port} is already in use (set http.port, HERALD_HTTP_PORT or --http-port)`
            : `cannot listen on ${settings.http.host}:${settings.http.port}: ${e.message}`,
        ),
      ),
    );
    server.listen(settings.http.port, settings.http.host, resolve);
  });
  await listening.catch(async (e: unknown) => {
    await mail.close();
    store.close();
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  const publicUrl = settings.http.publicUrl?.replace(/\/$/, '') ?? `http://${settings.http.host === '0.0.0.0' || settings.http.host === '::' ? 'localhost' : settings.http.host}:${port}`;

  // Every routed message is appended to the central IM log before it is delivered.
  const imLog = createImLog({ dir: imLogDir(settings.dataDir) });
  let xmpp: XmppServer | undefined;
  if (settings.xmpp.enabled) {
    const tls = loadTlsContext({ cert: settings.xmpp.tlsCert, key: settings.xmpp.tlsKey, dataDir: settings.dataDir, domains: store.domains.list().map((d) => d.name), log });
    xmpp = await startXmppServer({
      settings: settings.xmpp,
      store,
      directory,
      tokens,
      log: log.child({ xmpp: true }),
      tls,
      logMessage: (m) => imLog.append(m),
      publicUrl,
    }).catch(async (e: unknown) => {
      server.close();
      await mail.close();
      store.close();
      throw e;
    });
  } else log.info('XMPP server switched off (xmpp.enabled=false)');

  // Scripts' SEM files become chat messages through the XMPP server; with it off they wait.
  let spool: SemSpool;
  try {
    spool = startSemSpool({
      dir: spoolDirOf(settings.im.spool.dir, settings.dataDir),
      maxBytes: settings.im.spool.maxBytes,
      rescanMs: settings.im.spool.rescanSeconds * 1000,
      journal: store.spoolJournal,
      logDir: imLogDir(settings.dataDir),
      deliver: xmpp && scriptedDelivery(xmpp),
      offReason: 'the XMPP server is switched off (xmpp.enabled=false)',
      log: log.child({ spool: true }),
    });
  } catch (e) {
    await xmpp?.close();
    server.close();
    await mail.close();
    store.close();
    throw new Error(`cannot start the SEM spool: ${(e as Error).message}`);
  }

  const { app, events } = createHttpApp({ settings, store, directory, tokens, mail, perAddress, log, publicUrl, version: VERSION, xmppPort: xmpp?.port });
  server.on('request', app.callback());
  server.on('upgrade', (req, socket, head) => {
    if (xmpp && new URL(req.url ?? '/', 'http://x').pathname === '/xmpp-websocket') return xmpp.handleUpgrade(req, socket, head, settings.http.trustProxy);
    if (!events.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });

  // Users, passwords and tokens changed by `herald-gateway user|token ...` apply at once.
  let seenVersion = store.dataVersion();
  const knownIds = () => new Set(store.accounts.list().map((a) => a.id));
  let accountIds = knownIds();
  const directoryPoll = setInterval(() => {
    const v = store.dataVersion();
    if (v === seenVersion) return;
    seenVersion = v;
    events.revalidate();
    xmpp?.revalidate();
    const now = knownIds();
    for (const id of accountIds) if (!now.has(id)) void mail.drop(id);
    accountIds = now;
  }, DIRECTORY_POLL_MS);
  directoryPoll.unref();

  log.info({ url: publicUrl, dataDir: settings.dataDir, mailSource: settings.mail.source, auth: directory.backendName }, `Herald gateway ${VERSION} listening on ${publicUrl}`);

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    xmppPort: xmpp?.port,
    xmppComponentPort: xmpp?.componentPort,
    xmppDirectTlsPort: xmpp?.directTlsPort,
    services,
    spool,
    xmpp,
    async close() {
      clearInterval(directoryPoll);
      events.close();
      spool.close();
      await xmpp?.close();
      imLog.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await mail.close();
      store.close();
    },
  };
}

/** The spool's delivery path: the XMPP server's system-message entry point, its refusals made the spool's. */
function scriptedDelivery(xmpp: XmppServer): DeliverScripted {
  return (m, o) => {
    try {
      return xmpp.sendSystemMessage({ ...m, logType: 'scripted' }, { logged: o.logged, commit: (d) => o.commit(d.delivered) }).delivered;
    } catch (e) {
      if (e instanceof SystemMessageError) throw new SpoolDeliveryError(e.message, !e.transient, e.logged);
      throw e;
    }
  };
}
