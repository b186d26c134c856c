// The gateway's HTTP side: a Koa app (a list of (ctx, next) functions composed once) with the
// v1 API routes, plus the WebSocket upgrade handler for /api/v1/events.
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../config/logger.ts';
import type { Settings } from '../config/schema.ts';
import type { Directory } from '../directory/directory.ts';
import type { RateLimiter } from '../directory/rate-limit.ts';
import type { TokenService } from '../directory/tokens.ts';
import type { AlertRuleBook } from '../im/alerts/rule-book.ts';
import type { MailService } from '../mail/mail-service.ts';
import { API_PREFIX } from '../protocol/api.ts';
import type { Provisioning } from '../provisioning/provisioning.ts';
import type { Store } from '../store/index.ts';
import type { AdminLive, AdminServices } from '../admin/index.ts';
import { ADMIN_API_PREFIX } from '../protocol/admin-api.ts';
import { adminApiRoutes } from './admin/admin-api-routes.ts';
import { consoleRoutes } from './admin/console-routes.ts';
import { createConsoleSessions } from './admin/console-sessions.ts';
import { createLiveSocket, LIVE_PATH } from './admin/live-socket.ts';
import { errorHandler } from './errors.ts';
import { createEventsSocket } from './events-socket.ts';
import { alertRuleRoutes } from './routes/alert-rules-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { configRoutes } from './routes/config-routes.ts';
import { downloadRoutes } from './routes/download-routes.ts';
import { folderRoutes } from './routes/folder-routes.ts';
import { mailPushRoutes } from './routes/mail-push-routes.ts';
import { updateRoutes } from './routes/update-routes.ts';
import { uploadRoutes } from './routes/upload-routes.ts';

export interface HttpDeps {
  settings: Settings;
  store: Store;
  directory: Directory;
  tokens: TokenService;
  mail: MailService;
  perAddress: RateLimiter;
  log: Logger;
  publicUrl: string;
  version: string;
  /** The embedded XMPP server's c2s port, when it runs. */
  xmppPort: number | undefined;
  /** Mail-to-IM alert rules (GET/PUT /alert-rules); without it the routes are not there. */
  alertRules?: AlertRuleBook;
  /** Per-user packages: the download page at /download (when provisioning.downloadPage is on). */
  provisioning?: Provisioning;
  /** Faults only the last-resort handler caught (last-resort.ts), shown in /health. */
  faults?: () => number;
  /** Mail push (mail.imap.changes = push): the token Dovecot's script sends; without it the route is not there. */
  mailPushToken?: string;
  /** The admin console (/admin) and its API (/api/v1/admin), when admin.enabled. */
  admin?: { services: AdminServices; live: AdminLive; localToken(): string | undefined };
}

/** One route a router serves (its methods and path pattern), for the authorization matrix's completeness check. */
export interface HttpRoute {
  methods: string[];
  path: string;
}

/** Every route of the routers (HEAD aside: Koa's router answers it wherever GET is), in mount order. */
const routesOf = (routers: Router[]): HttpRoute[] =>
  routers.flatMap((r) => r.stack.filter((l) => l.methods.length > 0).map((l) => ({ methods: l.methods.filter((m) => m !== 'HEAD'), path: String(l.path) })));

/**
 * Case-sensitive routers. @koa/router matches a route's path without regard to case by default
 * but a router's prefix middleware (router.use: the admin API's guard) and the console's own path
 * test with it: /api/v1/Admin/users reached the admin API's handlers past its guard, and
 * /ADMIN/... the console past its loopback check (authz-routes.test.ts, "spellings").
 */
const newRouter = (prefix?: string) => new Router({ prefix, sensitive: true });

export function createHttpApp(deps: HttpDeps) {
  const { settings, log } = deps;
  const routers: Router[] = [];
  const bodyLimit = settings.http.bodyLimitBytes;
  const newApp = () => {
    const k = new Koa({ proxy: settings.http.trustProxy });
    k.silent = true; // errors are logged by errorHandler, once
    k.use(async (ctx, next) => {
      const start = performance.now();
      await next();
      const ms = Math.round((performance.now() - start) * 10) / 10;
      // Polls are the bulk of the traffic: only errors are worth an info line.
      const level = ctx.status >= 500 ? 'warn' : ctx.status >= 400 ? 'info' : 'debug';
      log[level]({ ms, ip: ctx.ip }, `${ctx.method} ${ctx.path} → ${ctx.status}`);
    });
    k.use(errorHandler(log));
    k.use(async (ctx, next) => {
      ctx.set('X-Content-Type-Options', 'nosniff');
      await next();
    });
    return k;
  };
  const app = newApp();

  // The admin console and its API (README "Admin console"): before the user API's router — or,
  // with admin.port, in an app of their own that main.ts serves on that listener (the HTTP port
  // then answers 404 for them).
  let adminLive: ReturnType<typeof createLiveSocket> | undefined;
  const ownAdmin = deps.admin && settings.admin.enabled && settings.admin.port !== undefined ? newApp() : undefined;
  if (deps.admin && settings.admin.enabled) {
    const sessions = createConsoleSessions({ idleMs: settings.admin.idleMinutes * 60_000 });
    const shared = { admin: deps.admin.services, live: deps.admin.live, settings, publicUrl: deps.publicUrl, provisioning: deps.provisioning, store: deps.store, sessions };
    const adminApi = newRouter(ADMIN_API_PREFIX);
    adminApiRoutes(adminApi, { ...shared, bodyLimit, localToken: deps.admin.localToken });
    const pages = newRouter();
    consoleRoutes(pages, { ...shared, directory: deps.directory });
    routers.push(adminApi, pages);
    (ownAdmin ?? app).use(adminApi.routes()).use(adminApi.allowedMethods({ throw: true })).use(pages.routes()).use(pages.allowedMethods({ throw: true }));
    adminLive = createLiveSocket({ status: deps.admin.live.status, sessions, store: deps.store, intervalMs: settings.admin.liveSeconds * 1000, allowRemote: settings.admin.allowRemote, trustProxy: settings.http.trustProxy });
  }

  const api = newRouter(API_PREFIX);
  authRoutes(api, { directory: deps.directory, tokens: deps.tokens, perAddress: deps.perAddress, bodyLimit, log });
  configRoutes(api, { settings, store: deps.store, tokens: deps.tokens, xmppPort: deps.xmppPort, publicUrl: deps.publicUrl });
  folderRoutes(api, { mail: deps.mail, tokens: deps.tokens, bodyLimit });
  if (deps.mailPushToken) {
    mailPushRoutes(api, { mail: deps.mail, store: deps.store, token: deps.mailPushToken, fromAnywhere: settings.mail.imap.pushFromAnywhere, bodyLimit, log });
  }
  if (deps.alertRules) alertRuleRoutes(api, { rules: deps.alertRules, tokens: deps.tokens, bodyLimit });
  api.get('/health', (ctx) => {
    ctx.body = { ok: true, version: deps.version, mailSource: settings.mail.source, activeUsers: deps.mail.activeUsers(), faults: deps.faults?.() ?? 0 };
  });

  const root = newRouter();
  root.get('/', (ctx) => {
    ctx.body = { name: 'Herald gateway', version: deps.version, api: API_PREFIX };
  });

  routers.push(root, api);
  app.use(root.routes()).use(api.routes()).use(api.allowedMethods({ throw: true }));
  // HTTP File Upload (XEP-0363): the slots are given by the XMPP server's upload.<domain>.
  if (settings.xmpp.enabled && settings.xmpp.upload.enabled) {
    const files = newRouter();
    uploadRoutes(files, { uploads: deps.store.uploads, log });
    routers.push(files);
    app.use(files.routes()).use(files.allowedMethods({ throw: true }));
  }
  if (deps.provisioning && settings.provisioning.downloadPage) {
    const download = newRouter();
    downloadRoutes(download, { provisioning: deps.provisioning, directory: deps.directory, settings, log });
    routers.push(download);
    app.use(download.routes()).use(download.allowedMethods({ throw: true }));
  }
  // Desktop updates (electron-updater generic feed) from the same builds folder.
  if (deps.provisioning) {
    const updates = newRouter();
    updateRoutes(updates, { provisioning: deps.provisioning, tokens: deps.tokens, store: deps.store, log });
    routers.push(updates);
    app.use(updates.routes()).use(updates.allowedMethods({ throw: true }));
  }

  const events = createEventsSocket({ tokens: deps.tokens, mail: deps.mail, log, path: `${API_PREFIX}/events`, trustProxy: settings.http.trustProxy });
  // The WebSocket paths main.ts's upgrade handler serves besides these (/xmpp-websocket is the XMPP server's).
  const upgrades = [`${API_PREFIX}/events`, ...(adminLive ? [LIVE_PATH] : [])];
  return { app, adminApp: ownAdmin, events, adminLive, routes: () => routesOf(routers), upgrades };
}
