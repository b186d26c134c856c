// The admin HTTP API, /api/v1/admin/...: what the console's pages call (schemas in
// protocol/admin-api.ts), each route one call of the shared admin use cases (gateway/src/admin/).
// Signed in with the console's session cookie, and — on every state-changing request — its CSRF
// token in X-CSRF-Token; or, for GET /status only, the local token of <data>/run/admin-api.json
// (`herald-gateway status`).
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { sameToken } from '../../admin/local-token.ts';
import {
  ADMIN_API_PREFIX,
  AddDomainSchema,
  AddUserSchema,
  AuditQuerySchema,
  DomainClientSchema,
  EndSessionSchema,
  EnrollSchema,
  LinkDomainSchema,
  RevokeDevicesSchema,
  SetAdminSchema,
  SetDomainImSchema,
  SetPasswordSchema,
  TotpConfirmSchema,
  UserSearchQuerySchema,
  type ConfirmNeeded,
} from '../../protocol/admin-api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { Store } from '../../store/index.ts';
import { readJson } from '../json-body.ts';
import { actorOf, checkSession, csrfRefusal, reachable, setConsoleHeaders } from './console-guard.ts';
import type { ConsoleSession, ConsoleSessions } from './console-sessions.ts';
import { translator, pickLang } from './i18n.ts';
import type { ConsoleDeps } from './page.ts';
import { pagesApiRoutes } from './pages-api-routes.ts';

export interface AdminApiDeps extends ConsoleDeps {
  store: Store;
  sessions: ConsoleSessions;
  bodyLimit: number;
  /** The local token `herald-gateway status` reads from the data folder. */
  localToken(): string | undefined;
}

const query = <S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> => {
  const r = schema.safeParse(ctx.query);
  if (!r.success) throw new HeraldError('bad_request', `query: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
  return r.data;
};
const sessionOf = (ctx: Context) => ctx.state.adminSession as ConsoleSession;

export function adminApiRoutes(router: Router, deps: AdminApiDeps): void {
  const { admin, live, store, sessions } = deps;
  const body = <S extends z.ZodType>(ctx: Context, schema: S) => readJson(ctx, schema, deps.bodyLimit);
  const actor = (ctx: Context) => actorOf(ctx, sessionOf(ctx));

  router.use(async (ctx: Context, next: Next) => {
    setConsoleHeaders(ctx);
    if (!reachable(ctx, deps.settings.admin.allowRemote)) throw new HeraldError('forbidden', 'the admin API answers only on the gateway’s own machine (admin.allowRemote is off)');
    const local = deps.localToken();
    const auth = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
    if (auth !== undefined) {
      // The whole path, not its end: GET /packages/bulk/status (a job id) ends with /status too.
      if (local && sameToken(auth, local) && ctx.method === 'GET' && ctx.path === `${ADMIN_API_PREFIX}/status`) return next();
      throw new HeraldError('unauthorized', 'the admin API takes the console session, or the local status token for GET /status');
    }
    const c = checkSession(ctx, sessions, store);
    if (!c.ok) throw new HeraldError(c.why === 'not-admin' ? 'forbidden' : 'unauthorized', c.why === 'not-admin' ? 'this account is not an admin' : 'sign in to the admin console first');
    const refusal = csrfRefusal(ctx, c.session.csrf, ctx.get('x-csrf-token') || undefined);
    if (refusal) throw new HeraldError('forbidden', `refused: ${refusal}`);
    ctx.state.adminSession = c.session;
    await next();
  });

  router.get('/status', (ctx) => {
    ctx.body = live.status.snapshot();
  });

  // Users
  router.get('/users', (ctx) => {
    const q = query(ctx, UserSearchQuerySchema);
    ctx.body = admin.users.search(q.q, q.page, q.pageSize);
  });
  router.post('/users', async (ctx) => {
    const b = await body(ctx, AddUserSchema);
    ctx.status = 201;
    ctx.body = await admin.users.add(actor(ctx), b.address, b.password || null, b.name || undefined);
  });
  router.delete('/users/:address', (ctx) => {
    admin.users.remove(actor(ctx), ctx.params.address!);
    ctx.body = { ok: true };
  });
  router.post('/users/:address/password', async (ctx) => {
    const b = await body(ctx, SetPasswordSchema);
    ctx.body = await admin.users.setPassword(actor(ctx), ctx.params.address!, b.password, b.keepDevices ?? false);
  });
  router.post('/users/:address/admin', async (ctx) => {
    const b = await body(ctx, SetAdminSchema);
    const changed = admin.users.setAdmin(actor(ctx), ctx.params.address!, b.admin);
    if (changed && !b.admin) {
      const a = store.accounts.byAddress(ctx.params.address!.toLowerCase());
      if (a) sessions.closeAccount(a.id);
    }
    ctx.body = { changed };
  });
  router.get('/users/:address/devices', (ctx) => {
    ctx.body = { devices: admin.users.devices(ctx.params.address!) };
  });
  router.post('/users/:address/revoke', async (ctx) => {
    const b = await body(ctx, RevokeDevicesSchema);
    const n = admin.users.revokeDevices(actor(ctx), ctx.params.address!, b.device);
    ctx.body = { revoked: n.devices + n.enrollments, devices: n.devices, enrollments: n.enrollments };
  });
  router.post('/users/:address/enroll', async (ctx) => {
    const b = await body(ctx, EnrollSchema);
    const ttl = b.ttlHours === undefined ? undefined : b.ttlHours * 3600_000;
    // The signed herald://provision link (provisioning/) when the gateway signs provisions; its
    // one-time token is audited as issued, never written down.
    const p = deps.provisioning?.issue(admin.users.get(ctx.params.address!).address, ttl);
    const r = p ? { address: p.account.address, expiresAt: p.expiresAt, link: p.deepLink } : (({ address, expiresAt, token }) => ({ address, expiresAt, link: token }))(admin.users.enroll(actor(ctx), ctx.params.address!, ttl));
    if (p) admin.audit.record(actor(ctx), 'token.enroll', p.account.address, { expires: p.expiresAt.toISOString() });
    // qrcode on first use, not at start (RSS at rest, issue 12).
    const { default: QRCode } = await import('qrcode');
    ctx.body = { expiresAt: r.expiresAt.toISOString(), link: r.link, qr: await QRCode.toDataURL(r.link, { margin: 1, errorCorrectionLevel: 'L' }) };
  });

  // Domains
  router.get('/domains', (ctx) => {
    ctx.body = { domains: admin.domains.list() };
  });
  router.post('/domains', async (ctx) => {
    const b = await body(ctx, AddDomainSchema);
    ctx.status = 201;
    ctx.body = admin.domains.add(actor(ctx), b.name, b.im ?? true);
  });
  router.post('/domains/:name/im', async (ctx) => {
    const b = await body(ctx, SetDomainImSchema);
    const name = ctx.params.name!.toLowerCase();
    if (!b.on && !b.confirm) {
      // Switching IM off ends live sessions: say how many, and wait for the admin's yes.
      const n = live.sessions.countInDomain(name);
      const t = translator(pickLang(ctx.cookies.get('herald_admin_lang'), ctx.get('accept-language') || undefined));
      ctx.body = { needsConfirmation: true, sessions: n, message: t('domains.confirmOff', { domain: name, sessions: n }) } satisfies ConfirmNeeded;
      return;
    }
    admin.domains.setIm(actor(ctx), name, b.on);
    ctx.body = { ok: true };
  });
  router.post('/domains/:name/client', async (ctx) => {
    const b = await body(ctx, DomainClientSchema);
    admin.domains.setClient(actor(ctx), ctx.params.name!, b);
    ctx.body = { ok: true };
  });
  router.post('/domains/:name/link', async (ctx) => {
    const b = await body(ctx, LinkDomainSchema);
    ctx.body = { changed: admin.domains.link(actor(ctx), ctx.params.name!, b.other) };
  });
  router.post('/domains/:name/unlink', async (ctx) => {
    const b = await body(ctx, LinkDomainSchema);
    ctx.body = { changed: admin.domains.unlink(actor(ctx), ctx.params.name!, b.other) };
  });

  // Sessions
  router.get('/sessions', (ctx) => {
    ctx.body = { sessions: live.sessions.list() };
  });
  router.post('/sessions/end', async (ctx) => {
    const b = await body(ctx, EndSessionSchema);
    live.sessions.end(actor(ctx), b.id, b.reason);
    ctx.body = { ok: true };
  });

  // Audit
  router.get('/audit', (ctx) => {
    const q = query(ctx, AuditQuerySchema);
    ctx.body = { entries: admin.audit.search(q) };
  });

  // The signed-in admin's own second factor: enrollment takes effect with the first right code.
  router.post('/me/totp', async (ctx) => {
    const b = await body(ctx, TotpConfirmSchema);
    const s = sessionOf(ctx);
    if (!s.pendingTotp) throw new HeraldError('bad_request', 'open the two-factor page first: it makes the key');
    admin.totp.confirm(s.accountId, s.pendingTotp, b.code);
    s.pendingTotp = undefined;
    admin.audit.record(actor(ctx), 'admin.totp.enroll', s.address);
    ctx.body = { ok: true };
  });

  // Rooms, Message log, Scripts (pages-api-routes.ts).
  pagesApiRoutes(router, deps);
}
