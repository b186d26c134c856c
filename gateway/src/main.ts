// Composition root: the ONE place that builds every gateway service and wires them together.
import { randomUUID, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { isLoopbackHost, publicUrlOf } from './config/exposure.ts';
import type { Logger } from './config/logger.ts';
import type { Settings } from './config/schema.ts';
import { createImapBackend, createLocalBackend } from './directory/auth-backend.ts';
import { auditDirOf, createAuditLog } from './admin/audit.ts';
import { createAdminDomains } from './admin/domains.ts';
import { writeLocalEndpoint } from './admin/local-token.ts';
import { createAdminSessions } from './admin/sessions.ts';
import { createAdminImLog } from './admin/im-log-admin.ts';
import { createAdminRooms, type PagesServices } from './admin/pages-services.ts';
import { createAdminSpool } from './admin/spool-admin.ts';
import { settingOrigins } from './config/load.ts';
import { startedUp } from './config/start-up.ts';
import { createStatusSource } from './admin/status.ts';
import { createTotp } from './admin/totp.ts';
import { createAdminUsers } from './admin/users.ts';
import { createCredentials } from './directory/credentials.ts';
import { apiUrlOf, createEjabberdApi } from './xmpp/external/ejabberd-api.ts';
import { createEjabberdKicker } from './xmpp/external/ejabberd-kick.ts';
import { createRosterKeeper, type RosterKeeper } from './xmpp/external/roster-keeper.ts';
import { rosterFingerprint, rosterSourceOf, syncRoster } from './xmpp/external/ejabberd-roster.ts';
import { externalSql, srgTablesOf, type SrgTables } from './xmpp/external/srg-tables.ts';
import { startExternalImLog } from './external-im-log.ts';
import { createEjabberdServerIm, isServerImStanza, loadServerImKey, type ExternalServerImSender } from './xmpp/external/ejabberd-server-im.ts';
import { createDirectory } from './directory/directory.ts';
import { createHashGate } from './directory/hash-gate.ts';
import { createLoginGuard } from './directory/login-guard.ts';
import { createRateLimiter } from './directory/rate-limit.ts';
import { createTokenService } from './directory/tokens.ts';
import { loadCertificate, type Certificate } from './config/tls.ts';
import { createHttpApp, type HttpRoute } from './http/app.ts';
import { startHttpListener, type HttpListener } from './http/listener.ts';
import { createMailService, type MailService } from './mail/mail-service.ts';
import { createMaildirSource } from './mail/maildir/maildir-source.ts';
import { loadOrCreatePushToken } from './mail/push/push-token.ts';
import { createAlertEngine, type AlertEngine } from './im/alerts/alert-engine.ts';
import { createAlertRuleBook } from './im/alerts/rule-book.ts';
import { createAdminAlertRules } from './admin/alert-rules-admin.ts';
import type { SendAlert } from './im/alerts/types.ts';
import { CalendarSendError, type SendCalendarIm } from './im/calendar/calendar-im.ts';
import { createCalendarUsers, type CalendarUser } from './im/calendar/calendar-users.ts';
import { createInvitations, type Invitations } from './im/calendar/invitations.ts';
import { startReminders, type ReminderService } from './im/calendar/reminders.ts';
import { createImLog, imLogDir } from './im/im-log.ts';
import { createProvisioning, type Provisioning } from './provisioning/provisioning.ts';
import { SpoolDeliveryError, startSemSpool, type DeliverScripted, type SemSpool } from './im/spool/spool.ts';
import { spoolDirOf } from './im/spool/spool-layout.ts';
import { closeWithin } from './shutdown.ts';
import { installLastResort } from './last-resort.ts';
import { createStore, type AccountRow, type Store } from './store/index.ts';
import { SystemMessageError } from './xmpp/modules/system-message.ts';
import { startXmppServer, type XmppServer } from './xmpp/server.ts';

export const VERSION = '0.1.0';
/** How often the server looks for changes another process (the CLI) committed. */
const DIRECTORY_POLL_MS = 1000;
/** How often the users with alert rules are looked up again (accounts this process created, e.g. imap autoCreate). */
const ALERT_WATCH_SYNC_MS = 30_000;

export function createServices(settings: Settings, log: Logger, store: Store = createStore(settings.dataDir)) {
  const limits = settings.rateLimit;
  const window = limits.windowSeconds * 1000;
  // Enrollment tokens: wrong ones counted per client address (in memory; they are long random strings).
  const perAddress = createRateLimiter({ max: limits.perAddress, windowMs: window, what: 'client address' });
  const guard = createLoginGuard({
    store: store.loginThrottle,
    limits: {
      windowMs: window,
      perClient: limits.perAddress,
      perPair: limits.perPair,
      perAccount: limits.perAccount,
      baseDelayMs: limits.firstDelaySeconds * 1000,
      maxDelayMs: limits.maxDelaySeconds * 1000,
      familiarMs: limits.familiarDays * 86_400_000,
    },
  });
  const hashGate = createHashGate(limits.maxConcurrentHashes);
  const backend = settings.directory.backend === 'imap' ? createImapBackend(settings.directory.imap) : createLocalBackend(hashGate);
  const credentials = createCredentials({
    store,
    onListenerError: (e, event) => log.error({ err: e, event: event.id }, 'a live session could not be ended after its credential ended'),
  });
  const directory = createDirectory({ store, backend, guard, autoCreate: settings.directory.autoCreate, minPasswordLength: settings.directory.minPasswordLength, credentials });
  const tokens = createTokenService({ store, enrollTtlMs: settings.tokens.enrollTtlHours * 3600_000, credentials });
  // Admin use cases (gateway/src/admin/): the same code behind the CLI and the admin console, audited.
  const audit = createAuditLog({ dir: auditDirOf(settings.dataDir) });
  const admin = {
    audit,
    totp: createTotp({ store: store.adminTotp }),
    users: createAdminUsers({ store, directory, tokens, audit, minPasswordLength: settings.directory.minPasswordLength }),
    domains: createAdminDomains({ store, directory, audit }),
  };
  return { store, directory, tokens, credentials, perAddress, hashGate, admin };
}

export interface Gateway {
  /** The HTTP port's listening socket (HTTPS, and plain HTTP on a loopback bind). */
  server: Server;
  /** A URL this machine reaches the API at: http://127.0.0.1:<port> on a loopback bind, else https://. */
  url: string;
  /** Where this machine reaches the admin console: `url`, or admin.port's own listener when set. */
  adminUrl: string;
  /** The HTTPS URL of the same port (the certificate is `certificate`). */
  httpsUrl: string;
  /** What clients are given (http.publicUrl, or one derived from a loopback bind). */
  publicUrl: string;
  /** The certificate the HTTP port serves. */
  certificate: Certificate;
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
  /** Mail watching: per-user watches, new-mail reports (onNewMail), raw messages (fetchRaw). */
  mail: MailService;
  /** Mail-to-IM alert rules, when they run (XMPP server on, im.alerts.enabled). */
  alerts: AlertEngine | undefined;
  /** xmpp.mode=external: what keeps ejabberd's shared roster in step with the directory. */
  rosterKeeper: RosterKeeper | undefined;
  /** Per-user packages: signing key, builds, stamping (the download page uses it). */
  provisioning: Provisioning;
  /** Calendar reminders (XMPP server on, a CalDAV URL configured) and invitation summaries (im.calendar.invitations). */
  calendar: { reminders: ReminderService | undefined; invitations: Invitations | undefined };
  /** Exceptions and rejections only the last-resort handler caught (last-resort.ts): 0 unless there is a bug. */
  faults(): number;
  /** The stacks of the last few of them. */
  recentFaults(): string[];
  /** Every HTTP route and WebSocket path the port serves (the authorization matrix checks it covers them all). */
  httpRoutes(): { routes: HttpRoute[]; upgrades: string[] };
  /**
   * Closes everything in order within `deadlineMs` (default: shutdownSeconds); rejects with
   * ShutdownIncompleteError naming what did not finish (it was forced) or failed.
   */
  close(o?: { deadlineMs?: number; onStep?: (name: string) => void }): Promise<void>;
}

export async function startGateway(settings: Settings, log: Logger): Promise<Gateway> {
  // The serving gateway checkpoints the WAL in a worker, never inside a commit on the event loop (store/wal-checkpointer.ts).
  const services = createServices(settings, log, createStore(settings.dataDir, { walCheckpointLog: log }));
  const { store, tokens, directory, perAddress } = services;
  // Only the configured source is loaded (imapflow is not needed for a maildir gateway).
  const source =
    settings.mail.source === 'imap'
      ? (await import('./mail/imap/imap-source.ts')).createImapSource({ settings: settings.mail.imap, store, log: log.child({ mail: 'imap' }) })
      : createMaildirSource({ settings: settings.mail.maildir, dataDir: settings.dataDir, store, log: log.child({ mail: 'maildir' }) });
  const idleMs = (settings.mail.source === 'imap' ? settings.mail.imap.idleUserSeconds : 300) * 1000;
  const mail = createMailService({ source, log, idleMs });

  // The HTTP port serves HTTPS always; plain HTTP too only on a loopback bind (config/exposure.ts).
  // Its certificate defaults to the XMPP one (the self-signed one of the demo), loaded once for both.
  const loopback = isLoopbackHost(settings.http.host);
  let xmppCert: Certificate | undefined;
  let httpCert: Certificate;
  let publicUrl: string;
  try {
    const domains = store.domains.list().map((d) => d.name);
    const load = (cert: string | undefined, key: string | undefined) => loadCertificate({ cert, key, dataDir: settings.dataDir, domains, log });
    xmppCert = settings.xmpp.enabled ? load(settings.xmpp.tlsCert, settings.xmpp.tlsKey) : undefined;
    const sameAsXmpp = settings.http.tlsCert === undefined && settings.http.tlsKey === undefined;
    httpCert = sameAsXmpp && xmppCert ? xmppCert : load(settings.http.tlsCert ?? settings.xmpp.tlsCert, settings.http.tlsKey ?? settings.xmpp.tlsKey);
    publicUrl = publicUrlOf(settings.http, settings.http.port).url; // refuses an exposed bind without an https publicUrl before listening
  } catch (e) {
    await mail.close();
    store.close();
    throw e;
  }
  let onRequest: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  let onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void = (_req, socket) => socket.destroy();
  let listener: HttpListener;
  try {
    listener = await startHttpListener({
      host: settings.http.host,
      port: settings.http.port,
      certificate: httpCert,
      allowPlain: loopback,
      trustProxy: settings.http.trustProxy,
      httpsOrigin: new URL(publicUrl).origin.replace(/^http:/, 'https:'),
      onRequest: (req, res) => onRequest(req, res),
      onUpgrade: (req, socket, head) => onUpgrade(req, socket, head),
    });
  } catch (e) {
    await mail.close();
    store.close();
    throw e;
  }
  // admin.port: the console and its API on a listener of their own (the same guards: loopback
  // only unless admin.allowRemote), and no longer on the HTTP port (http/app.ts).
  let onAdminRequest: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  let onAdminUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void = (_req, socket) => socket.destroy();
  let adminListener: HttpListener | undefined;
  if (settings.admin.enabled && settings.admin.port !== undefined) {
    const h = settings.admin.host;
    try {
      adminListener = await startHttpListener({
        host: h,
        port: settings.admin.port,
        certificate: httpCert,
        allowPlain: isLoopbackHost(h),
        trustProxy: settings.http.trustProxy,
        httpsOrigin: `https://${h.includes(':') ? `[${h}]` : h}:${settings.admin.port}`,
        onRequest: (req, res) => onAdminRequest(req, res),
        onUpgrade: (req, socket, head) => onAdminUpgrade(req, socket, head),
      });
    } catch (e) {
      await listener.close();
      await mail.close();
      store.close();
      throw new Error(`admin console: ${(e as Error).message.replace(/\(set http\.port[^)]*\)/, '(admin.port)')}`);
    }
    log.info({ port: adminListener.port, host: h }, `admin console on its own listener, port ${adminListener.port}`);
  }
  const server = listener.server;
  const port = listener.port;
  const exposure = publicUrlOf(settings.http, port);
  publicUrl = exposure.url;
  if (exposure.warning) log.warn(exposure.warning);
  // A URL this machine reaches the port at (a wildcard bind is reached through loopback).
  const hostOf = (h: string) => (h === '0.0.0.0' || h === 'localhost' ? '127.0.0.1' : h === '::' ? '[::1]' : h.includes(':') ? `[${h}]` : h);
  const localHost = hostOf(settings.http.host);
  const localUrlOf = (h: string, p: number) => `${isLoopbackHost(h) ? 'http' : 'https'}://${hostOf(h)}:${p}`;
  const httpsUrl = `https://${localHost}:${port}`;

  // Per-user packages (download page, `herald-gateway package`): the signing key is made on first start.
  let provisioning: Provisioning;
  try {
    provisioning = createProvisioning({ dataDir: settings.dataDir, tokens, gatewayUrl: publicUrl, issuer: settings.provisioning.issuer, buildsDir: settings.provisioning.buildsDir, onSkippedBuild: (m) => log.warn(m) });
  } catch (e) {
    void listener.close();
    void adminListener?.close();
    await mail.close();
    store.close();
    throw new Error(`cannot load the provisioning key: ${(e as Error).message}`);
  }
  if (provisioning.key.warning) log.warn(provisioning.key.warning);

  // Every routed message is appended to the central IM log before it is delivered.
  const imLog = createImLog({ dir: imLogDir(settings.dataDir) });
  // What the admin console and `herald-gateway status` report (admin/status.ts).
  // Made further down; the status reads them when asked.
  const later: { spool?: SemSpool; reminders?: ReminderService; localToken?: string } = {};
  const status = createStatusSource({
    version: VERSION,
    sessions: () => xmpp?.sessionCount() ?? 0,
    mail: () => {
      const w = mail.watchCount();
      // imap: one IDLE connection per watched user (mail/imap/imap-source.ts).
      return { source: settings.mail.source, watchedUsers: w.users, watches: w.watches, imapConnections: settings.mail.source === 'imap' ? w.users : 0 };
    },
    spool: () => {
      const s = later.spool?.status();
      return { waiting: s ? s.pending + s.locked + s.inProgress : 0, bad: s?.bad ?? 0, problem: s?.problem ?? null };
    },
    presenceBacklog: () => xmpp?.presenceBacklog() ?? 0,
    calendar: () => {
      const users = later.reminders?.status() ?? [];
      const last = Math.max(0, ...users.map((u) => u.lastSync ?? 0));
      return { running: later.reminders !== undefined, lastRun: last ? new Date(last).toISOString() : null, lastError: users.find((u) => u.error)?.error ?? null };
    },
    selfSigned: httpCert.selfSigned,
    publicUrlSet: settings.http.publicUrl !== undefined,
    domainsWithImOff: () => store.domains.list().filter((d) => !d.imEnabled).map((d) => d.name),
    dataDir: settings.dataDir,
  });
  mail.onNewMail(() => status.countNewMail());
  let xmpp: XmppServer | undefined;
  if (settings.xmpp.enabled && settings.xmpp.mode === 'embedded') {
    xmpp = await startXmppServer({
      settings: settings.xmpp,
      store,
      directory,
      tokens,
      credentials: services.credentials,
      log: log.child({ xmpp: true }),
      tls: xmppCert?.context,
      logMessage: (m) => {
        status.countMessage();
        return imLog.append(m);
      },
      publicUrl,
    }).catch(async (e: unknown) => {
      void listener.close();
      void adminListener?.close();
      await mail.close();
      store.close();
      throw e;
    });
  } else if (settings.xmpp.mode === 'external') log.info('IM is carried by ejabberd (xmpp.mode=external): the embedded XMPP server does not start');
  else log.info('XMPP server switched off (xmpp.enabled=false)');
  // The key that marks the server's own IMs sent through ejabberd (so the archive feed skips them).
  const serverImKey = settings.xmpp.mode === 'external' ? loadServerImKey(settings.dataDir) : Buffer.alloc(0);
  // xmpp.mode=external: the central IM log is fed from ejabberd's archive (external-im-log.ts).
  const externalImLog =
    settings.xmpp.mode === 'external'
      ? await startExternalImLog({ settings, store, countMessage: () => status.countMessage(), serverIm: (stanza, from, to) => isServerImStanza(serverImKey, stanza, from, to), log })
      : undefined;
  const archiveTail = externalImLog?.tail;
  const imLogFeed = externalImLog?.feed;
  // xmpp.mode=external: ejabberd's HTTP API, for the server's own IMs (below) and ending sessions.
  const ejabberdApi = settings.xmpp.enabled && settings.xmpp.mode === 'external' ? createEjabberdApi({ url: apiUrlOf(settings.xmpp.external) }) : undefined;
  const logServerIm = (m: Parameters<typeof imLog.append>[0]) => {
    status.countMessage();
    imLog.append(m);
  };
  // The server's own IMs (SEM files, alert rules, calendar): the embedded server, or ejabberd.
  const serverIm = xmpp ? embeddedServerIm(xmpp) : ejabberdApi && externalServerIm(createEjabberdServerIm({ api: ejabberdApi, store, logMessage: logServerIm, key: serverImKey, offlineQuota: settings.xmpp.offlineQuota }), log.child({ alerts: true }));

  // Scripts' SEM files become chat messages through the XMPP server; with it off they wait.
  let spool: SemSpool;
  try {
    spool = startSemSpool({
      dir: spoolDirOf(settings.im.spool.dir, settings.dataDir),
      maxBytes: settings.im.spool.maxBytes,
      rescanMs: settings.im.spool.rescanSeconds * 1000,
      journal: store.spoolJournal,
      logDir: imLogDir(settings.dataDir),
      deliver: serverIm?.scripted,
      offReason: 'the XMPP server is switched off (xmpp.enabled=false)',
      log: log.child({ spool: true }),
    });
  } catch (e) {
    await xmpp?.close();
    void listener.close();
    void adminListener?.close();
    await mail.close();
    store.close();
    throw new Error(`cannot start the SEM spool: ${(e as Error).message}`);
  }

  later.spool = spool;

  // Mail-to-IM alert rules: mail's new-mail reports → the rules (im/alerts/) → the XMPP server.
  const alertLog = log.child({ alerts: true });
  const alertRules = createAlertRuleBook({
    store,
    fileRules: settings.im.alerts.rules,
    maxRules: settings.im.alerts.maxRulesPerUser,
    dates: { timeZone: settings.im.timeZone, locale: settings.im.locale },
    log: alertLog,
    onChange: () => syncAlertWatch(),
  });
  const alerts =
    serverIm && settings.im.alerts.enabled
      ? createAlertEngine({
          book: alertRules,
          watch: store.alertRules,
          send: serverIm.alert,
          serviceAddress: settings.im.serviceAddress,
          dates: { timeZone: settings.im.timeZone, locale: settings.im.locale },
          limits: { windowMs: settings.im.alerts.windowSeconds * 1000, perRule: settings.im.alerts.perRule, perRecipient: settings.im.alerts.perRecipient },
          log: alertLog,
        })
      : undefined;
  if (alerts) mail.onNewMail((account, m) => alerts.onNewMail(account, m));
  /** Users with enabled rules are watched all the time, whether or not a client of theirs runs. */
  const syncAlertWatch = () => {
    const ruled = alerts ? alertRules.ruledAccounts() : [];
    alerts?.setWatched(ruled); // first: the catch-up of watches opened now is judged by it (alert-engine.ts)
    // With im.calendar.invitations = all, every IM user is watched too (their invitations are summarised).
    mail.keepWatching(serverIm && settings.im.calendar.invitations === 'all' ? [...ruled, ...imAccountRows(store)] : ruled);
  };
  syncAlertWatch();
  const alertWatchSync = setInterval(syncAlertWatch, ALERT_WATCH_SYNC_MS);
  alertWatchSync.unref();

  // Calendar (im/calendar/): reminders read from each user's CalDAV calendars, and summaries of
  // iMIP invitations in new mail, both sent as IMs through the XMPP server.
  const calendarLog = log.child({ calendar: true });
  const calendarUsers = createCalendarUsers(settings.im.calendar, settings.im.timeZone);
  const calendarSettings = settings.im.calendar;
  const hasCalDav = !!calendarSettings.url || Object.values(calendarSettings.users).some((u) => u.url);
  const reminders =
    serverIm && hasCalDav
      ? startReminders({
          settings: calendarSettings,
          users: calendarUsers,
          accounts: () => imAccounts(store),
          store: store.calendarReminders,
          send: serverIm.calendar,
          serviceAddress: settings.im.serviceAddress,
          locale: settings.im.locale,
          log: calendarLog,
        })
      : undefined;
  const invitations =
    serverIm && calendarSettings.invitations !== 'off'
      ? createInvitations({ users: calendarUsers, send: serverIm.calendar, serviceAddress: settings.im.serviceAddress, locale: settings.im.locale, log: calendarLog })
      : undefined;
  later.reminders = reminders;
  if (invitations) {
    mail.onNewMail((account, m) => {
      void (async () => {
        const specialUse = await mail.folders(account).then((s) => s.folders.find((f) => f.path === m.folder)?.specialUse, () => undefined);
        await invitations.onNewMail({ accountId: account.id, address: account.address }, { folder: m.folder, uid: m.uid, received: m.received, specialUse }, async (max) => (await mail.fetchRaw(account, m.folder, m.uid, max)).bytes);
      })();
    });
  }

  // Last resort for what no connection's own handling caught: logged, counted, and the gateway serves on.
  const lastResort = installLastResort(log);
  // Mail push from Dovecot (README "Mail push from Dovecot"): its token is made on the first start.
  const mailPushToken = settings.mail.source === 'imap' && settings.mail.imap.changes === 'push' ? loadOrCreatePushToken(settings.dataDir) : undefined;
  const adminSessions = createAdminSessions({ source: { list: () => xmpp?.liveSessions() ?? [], end: (id, reason) => xmpp?.endSession(id, reason) ?? false }, audit: services.admin.audit });
  // The console's Rooms, Message log, Scripts, Packages and Settings pages (admin/pages-services.ts).
  const adminPages: PagesServices = {
    rooms: createAdminRooms({ source: () => xmpp?.rooms(), audit: services.admin.audit }),
    spool: createAdminSpool({ dir: spoolDirOf(settings.im.spool.dir, settings.dataDir), audit: services.admin.audit }),
    imLog: createAdminImLog({ dataDir: settings.dataDir }),
    calendar: () => reminders?.status(),
    alertRules: createAdminAlertRules({ book: alertRules, store, audit: services.admin.audit, dates: { timeZone: settings.im.timeZone, locale: settings.im.locale } }),
    userAlertRules: () => store.alertRules.owners().flatMap((id) => ((a) => (a ? [{ address: a.address, rules: store.alertRules.get(id) }] : []))(store.accounts.byId(id))),
    origins: settingOrigins(settings),
  };
  const { app, adminApp, events, adminLive, routes: httpRoutes, upgrades } = createHttpApp({
    settings,
    store,
    directory,
    tokens,
    mail,
    perAddress,
    log,
    publicUrl,
    version: VERSION,
    xmppPort: xmpp?.port,
    provisioning,
    alertRules,
    faults: () => lastResort.count(),
    mailPushToken,
    admin: { services: services.admin, live: { status, sessions: adminSessions, pages: adminPages }, localToken: () => later.localToken },
  });
  onRequest = app.callback();
  const secureUpgrade = (req: IncomingMessage) => (req.socket as { encrypted?: boolean }).encrypted === true || (settings.http.trustProxy && String(req.headers['x-forwarded-proto']).startsWith('https'));
  if (adminApp) {
    onAdminRequest = adminApp.callback();
    onAdminUpgrade = (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      try {
        if (!adminLive?.handleUpgrade(req, socket, head, secureUpgrade(req))) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      } catch (e) {
        log.warn({ err: e, url: req.url?.slice(0, 200) }, 'admin WebSocket upgrade failed');
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      }
    };
  }
  onUpgrade = (req, socket, head) => {
    // A failure while taking an upgrade ends that one connection.
    socket.on('error', () => socket.destroy());
    try {
      if (xmpp && new URL(req.url ?? '/', 'http://x').pathname === '/xmpp-websocket') return xmpp.handleUpgrade(req, socket, head, settings.http.trustProxy);
      if (!adminApp && adminLive?.handleUpgrade(req, socket, head, secureUpgrade(req))) return;
      if (!events.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    } catch (e) {
      log.warn({ err: e, url: req.url?.slice(0, 200) }, 'WebSocket upgrade failed');
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    }
  };

  // A credential ended (directory/credentials.ts: sign-out, token revoke, user del, password change,
  // IM off) — here or in the CLI — reaches every live holder: events sockets and XMPP sessions.
  // (Pending upload slots were ended in the change's own transaction.)
  // xmpp.mode=external: ejabberd's live sessions are holders too (xmpp/external/ejabberd-kick.ts).
  const ejabberdKicker = ejabberdApi && createEjabberdKicker({ api: ejabberdApi, store, log: log.child({ ejabberd: true }) });
  const stopCredentialFanOut = services.credentials.onEnded((e) => {
    events.credentialEnded(e);
    xmpp?.credentialEnded(e);
    ejabberdKicker?.credentialEnded(e);
    // A removed account's mail is watched no longer (the CLI's removals are also seen by the poll below).
    if (e.ends === 'account' && e.accountId !== null) mail.drop(e.accountId).catch((err: unknown) => log.warn({ err }, 'mail watch of a removed account did not close'));
  });

  // xmpp.mode=external: ejabberd's shared roster follows users, domains and links by itself, changed
  // here (the directory's hook) or by the CLI (the poll below), debounced (xmpp/external/roster-keeper.ts).
  // With xmpp.external.archiveDb/.archiveUrl, mod_shared_roster is on SQL and large changes are written there (srg-tables.ts).
  let srgTables: Promise<SrgTables | undefined> | undefined;
  const srgTablesNow = () => (srgTables ??= srgTablesOf(externalSql(settings)).catch((e: unknown) => ((srgTables = undefined), Promise.reject(e))));
  const rosterKeeper = ejabberdApi && createRosterKeeper({ sync: async () => syncRoster(apiUrlOf(settings.xmpp.external), rosterSourceOf(store), { tables: await srgTablesNow() }), log: log.child({ ejabberd: true }) });
  const stopRosterHook = rosterKeeper && directory.onChanged(() => rosterKeeper.changed());
  let rosterSeen = rosterKeeper ? rosterFingerprint(store) : '';
  rosterKeeper?.changed(); // at start: whatever changed while the gateway was down

  // Users, passwords and tokens changed by `herald-gateway user|token ...` apply at once.
  let seenVersion = store.dataVersion();
  const knownIds = () => new Set(store.accounts.list().map((a) => a.id));
  let accountIds = knownIds();
  const directoryPoll = setInterval(() => {
    const v = store.dataVersion();
    if (v === seenVersion) return;
    seenVersion = v;
    services.credentials.pump(); // the CLI's journal rows: the same fan-out as this process's changes
    xmpp?.revalidate();
    if (archiveTail) store.domains.forget(); // the archive tail asks which domains are Herald's (mam-row.ts)
    const now = knownIds();
    for (const id of accountIds) if (!now.has(id)) void mail.drop(id);
    accountIds = now;
    syncAlertWatch(); // users added to (or removed from) a domain an admin rule covers
    const roster = rosterKeeper && rosterFingerprint(store);
    if (roster && roster !== rosterSeen) {
      rosterSeen = roster;
      rosterKeeper.changed();
    }
  }, DIRECTORY_POLL_MS);
  directoryPoll.unref();

  // `herald-gateway status` finds this process and reads GET /api/v1/admin/status (admin/local-token.ts).
  const localUrl = loopback ? `http://${localHost}:${port}` : httpsUrl;
  const adminUrl = adminListener ? localUrlOf(settings.admin.host, adminListener.port) : localUrl;
  const adminLoopback = adminListener ? isLoopbackHost(settings.admin.host) : loopback;
  const endpoint = settings.admin.enabled ? writeLocalEndpoint(settings.dataDir, { url: adminUrl, ...(adminLoopback ? {} : { fingerprint256: new X509Certificate(httpCert.cert).fingerprint256 }) }) : undefined;
  later.localToken = endpoint?.token;

  log.info({ url: publicUrl, dataDir: settings.dataDir, mailSource: settings.mail.source, auth: directory.backendName }, `Herald gateway ${VERSION} listening on ${publicUrl}`);
  startedUp(); // V8 as it ships from now on (config/start-up.ts)

  return {
    server,
    url: localUrl,
    adminUrl,
    httpsUrl,
    publicUrl,
    certificate: httpCert,
    xmppPort: xmpp?.port,
    xmppComponentPort: xmpp?.componentPort,
    xmppDirectTlsPort: xmpp?.directTlsPort,
    services,
    spool,
    xmpp,
    mail,
    alerts,
    rosterKeeper,
    provisioning,
    calendar: { reminders, invitations },
    faults: () => lastResort.count(),
    recentFaults: () => lastResort.recent(),
    httpRoutes: () => ({ routes: httpRoutes(), upgrades: [...upgrades, ...(xmpp ? ['/xmpp-websocket'] : [])] }),
    close(o = {}) {
      // In order, within shutdownSeconds (shutdown.ts): past it the step is forced and named.
      return closeWithin(
        [
          {
            name: 'timers and alert rules',
            run() {
              clearInterval(directoryPoll);
              stopRosterHook?.();
              stopCredentialFanOut();
              endpoint?.remove();
              status.close();
              adminLive?.close();
              clearInterval(alertWatchSync);
              reminders?.close();
              alerts?.close(); // rate-limit summaries still due go out while the XMPP server runs
            },
          },
          { name: 'events sockets', run: () => events.close() },
          { name: 'SEM spool', run: () => spool.close() },
          { name: 'ejabberd shared roster', run: async () => (await rosterKeeper?.close(), await (await srgTables?.catch(() => undefined))?.close()) },
          { name: 'XMPP server', run: () => xmpp?.close(), waiting: () => xmpp && `${xmpp.sessionCount()} sessions` },
          {
            name: 'IM log',
            async run() {
              await archiveTail?.close(); // PostgreSQL's: after its batch in flight is written
              imLogFeed?.close();
              imLog.close();
            },
          },
          {
            name: 'HTTP server',
            // Every connection of the port (plain, TLS, upgraded) is ended, not waited for.
            run: () => Promise.all([listener.close(), adminListener?.close()]).then(() => undefined),
            waiting: () => `${listener.connections()} connection${listener.connections() === 1 ? '' : 's'} still open`,
          },
          { name: 'mail', run: () => mail.close(), waiting: () => `${mail.activeUsers()} mail watches` },
          {
            name: 'database',
            run() {
              store.close();
              lastResort.uninstall();
            },
          },
        ],
        { deadlineMs: o.deadlineMs ?? settings.shutdownSeconds * 1000, ...(o.onStep ? { onStep: o.onStep } : {}) },
      );
    },
  };
}

/** The three paths of the server's own IMs. */
interface ServerImPaths {
  scripted: DeliverScripted;
  alert: SendAlert;
  calendar: SendCalendarIm;
}

const embeddedServerIm = (xmpp: XmppServer): ServerImPaths => ({ scripted: scriptedDelivery(xmpp), alert: alertDelivery(xmpp), calendar: calendarDelivery(xmpp) });

/**
 * xmpp.mode=external: the same three through ejabberd's HTTP API (xmpp/external/ejabberd-server-im.ts),
 * asynchronous. The spool's journal row and a reminder's record are written once ejabberd took the
 * message (a crash in between sends it once more, same stanza id). Alerts are not retried (as embedded).
 */
function externalServerIm(send: ExternalServerImSender, alertLog: Logger): ServerImPaths {
  return {
    async scripted(m, o) {
      try {
        await send({ ...m, logType: 'scripted' }, { logged: o.logged });
      } catch (e) {
        if (e instanceof SystemMessageError) throw new SpoolDeliveryError(e.message, !e.transient, e.logged);
        throw e;
      }
      try {
        o.commit('live');
      } catch (e) {
        throw new SpoolDeliveryError(`ejabberd took the message, but the spool journal cannot be written (it will be sent again): ${(e as Error).message}`, false, true);
      }
    },
    alert(m) {
      send({ ...m, id: `alert-${randomUUID()}`, logType: 'alert' }).catch((e: unknown) => alertLog.warn({ to: m.to, from: m.from, err: (e as Error).message }, 'alert IM not sent'));
    },
    async calendar(m, o = {}) {
      try {
        await send({ ...m, logType: 'alert' }, { logged: o.logged });
      } catch (e) {
        if (e instanceof SystemMessageError) throw new CalendarSendError(e.message, e.transient, e.logged);
        throw e;
      }
      o.commit?.();
    },
  };
}

/** Alert IMs: the XMPP server's system-message path, logged as `alert`; its refusals are thrown as they are. */
function alertDelivery(xmpp: XmppServer): SendAlert {
  return (m) => {
    xmpp.sendSystemMessage({ ...m, logType: 'alert' });
  };
}

/** Every account of a domain with IM switched on. */
function imAccountRows(store: Store): AccountRow[] {
  const off = new Set(store.domains.list().filter((d) => !d.imEnabled).map((d) => d.name));
  return store.accounts.list().filter((a) => !off.has(a.domain));
}

/** Users who may get calendar IMs. */
const imAccounts = (store: Store): CalendarUser[] => imAccountRows(store).map((a) => ({ accountId: a.id, address: a.address }));

/** Calendar IMs (reminders, invitation summaries): the system-message path, logged as `alert`; refusals made the calendar's. */
function calendarDelivery(xmpp: XmppServer): SendCalendarIm {
  return (m, o = {}) => {
    try {
      xmpp.sendSystemMessage({ ...m, logType: 'alert' }, { logged: o.logged, commit: o.commit && (() => o.commit!()) });
    } catch (e) {
      if (e instanceof SystemMessageError) throw new CalendarSendError(e.message, e.transient, e.logged);
      throw e;
    }
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
