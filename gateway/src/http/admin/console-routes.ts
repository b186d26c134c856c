// The console's pages under /admin: sign-in and sign-out, the static client files, and every page
// of the registry (pages/registry.ts) behind a live admin session. Pages render on the server;
// changes go through the admin API (admin-api-routes.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Directory } from '../../directory/directory.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { Store } from '../../store/index.ts';
import type { ConsoleSessions } from './console-sessions.ts';
import { actorOf, checkSession, csrfRefusal, reachable, sessionCookieName, setConsoleHeaders } from './console-guard.ts';
import { readForm } from './form-body.ts';
import { html, type Safe } from './html.ts';
import { pickLang, translator, type Lang, type MessageKey, type Translate } from './i18n.ts';
import { shell } from './layout.ts';
import type { ConsoleDeps } from './page.ts';
import { PAGES } from './pages/registry.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/**
 * The console's client files: beside this module in the sources; in the built gateway this module
 * is a chunk of dist/gateway/ and scripts/build-gateway.mjs copies them to dist/gateway/admin-static.
 */
const STATIC_DIRS = [path.join(HERE, 'static'), path.join(HERE, '..', 'admin-static'), path.join(HERE, 'admin-static')];
const STATIC_FILES = ['admin.js', 'admin.css', 'dashboard.js', 'domains.js', 'packages.js', 'alerts.js'];
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const PRE_COOKIE = 'herald_admin_pre';

/** The client files, read once: the names are fixed, no path from a request reaches the file system. */
function loadStatic(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  const dir = STATIC_DIRS.find((d) => existsSync(path.join(d, 'admin.js')));
  // A console without its scripts signs nobody in and draws no chart: refuse to start rather than serve it.
  if (!dir) throw new Error(`the admin console's client files are missing (looked in ${STATIC_DIRS.join(', ')}): rebuild with \`npm run build\``);
  for (const name of STATIC_FILES) files.set(`/admin/static/${name}`, { type: TYPES[path.extname(name)]!, body: readFileSync(path.join(dir, name)) });
  const require = createRequire(import.meta.url);
  const uplot = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  files.set('/admin/vendor/uPlot.iife.min.js', { type: TYPES['.js']!, body: readFileSync(path.join(uplot, 'uPlot.iife.min.js')) });
  files.set('/admin/vendor/uPlot.min.css', { type: TYPES['.css']!, body: readFileSync(path.join(uplot, 'uPlot.min.css')) });
  return files;
}

export interface ConsoleRouteDeps extends ConsoleDeps {
  store: Store;
  directory: Directory;
  sessions: ConsoleSessions;
}

export function consoleRoutes(router: Router, deps: ConsoleRouteDeps): void {
  const files = loadStatic();
  const { sessions, store, directory, admin } = deps;
  const allowRemote = deps.settings.admin.allowRemote;

  const langOf = (ctx: Context): Lang => pickLang(ctx.cookies.get('herald_admin_lang'), ctx.get('accept-language') || undefined);
  const themeOf = (ctx: Context) => {
    const v = ctx.cookies.get('herald_admin_theme');
    return v === 'dark' || v === 'light' ? v : 'auto';
  };
  const page = (ctx: Context, status: number, title: MessageKey, body: (t: Translate) => Safe, extra: Partial<Parameters<typeof shell>[0]> = {}) => {
    const lang = langOf(ctx);
    const t = translator(lang);
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = shell({ lang, t, title, body: body(t), theme: themeOf(ctx), ...extra }).value;
  };
  const cookieOpts = (ctx: Context) => ({ httpOnly: true, sameSite: 'strict' as const, secure: ctx.secure, path: '/', overwrite: true });

  const signInPage = (ctx: Context, status: number, message?: MessageKey | { text: string }, vars?: Record<string, string | number>, address = '') => {
    // Double-submit token for the sign-in form (no session yet): login CSRF is refused too.
    const pre = randomBytes(24).toString('base64url');
    ctx.cookies.set(PRE_COOKIE, pre, { ...cookieOpts(ctx), path: '/admin' });
    page(ctx, status, 'signin.title', (t) =>
      html`${message ? html`<p class="error" role="alert">${typeof message === 'string' ? t(message, vars) : message.text}</p>` : null}
<form method="post" action="/admin/login" class="card signin">
<input type="hidden" name="_csrf" value="${pre}">
<label for="address">${t('signin.address')}</label>
<input id="address" name="address" type="email" autocomplete="username" required value="${address}" autofocus>
<label for="password">${t('signin.password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="code">${t('signin.code')}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}">
<button type="submit">${t('signin.submit')}</button>
</form>
<p class="hint">${t('signin.local')}</p>`,
    );
  };

  // Every /admin request: reachable from here, console headers, ?lang= switch.
  router.use(async (ctx, next) => {
    if (ctx.path !== '/admin' && !ctx.path.startsWith('/admin/')) return next();
    setConsoleHeaders(ctx);
    if (!reachable(ctx, allowRemote)) {
      return page(ctx, 403, 'remote.title', (t) => html`<p>${t('forbidden.remote')}</p>`);
    }
    const lang = ctx.query.lang;
    if (ctx.method === 'GET' && (lang === 'en' || lang === 'de')) {
      ctx.cookies.set('herald_admin_lang', lang, { ...cookieOpts(ctx), httpOnly: false, maxAge: 365 * 86400_000 });
      const q = new URLSearchParams(ctx.querystring);
      q.delete('lang');
      ctx.status = 303;
      return ctx.redirect(`${ctx.path}${q.size ? `?${q}` : ''}`);
    }
    await next();
  });

  for (const [route, file] of files) {
    router.get(route, (ctx) => {
      ctx.type = file.type;
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = file.body;
    });
  }

  router.get('/admin/login', (ctx) => {
    const c = checkSession(ctx, sessions, store);
    if (c.ok) return ctx.redirect('/admin');
    signInPage(ctx, 200, c.why === 'expired' || ctx.query.expired ? 'signin.expired' : undefined, { minutes: Math.round(sessions.idleMs / 60000) });
  });

  router.post('/admin/login', async (ctx) => {
    const form = await readForm(ctx);
    const address = (form.get('address') ?? '').trim();
    const refusal = csrfRefusal(ctx, ctx.cookies.get(PRE_COOKIE) ?? '', form.get('_csrf') ?? undefined);
    if (refusal || !ctx.cookies.get(PRE_COOKIE)) return page(ctx, 403, 'error', (t) => html`<p>${t('csrf.refused')}</p>`);
    let account;
    try {
      // The directory's check: the same failed-login limits as XMPP and the API (login-guard.ts).
      account = await directory.authenticate(address, form.get('password') ?? '', ctx.ip);
    } catch (e) {
      if (e instanceof HeraldError && e.code === 'rate_limited') {
        if (e.details.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(e.details.retryAfterSeconds));
        return signInPage(ctx, 429, { text: e.message }, undefined, address);
      }
      if (e instanceof HeraldError && (e.code === 'invalid_credentials' || e.code === 'bad_request')) return signInPage(ctx, 401, 'signin.failed', undefined, address);
      throw e;
    }
    if (!account.isAdmin) {
      return page(ctx, 403, 'forbidden.title', (t) => html`<p>${t('forbidden.text', { address: account.address })}</p>`);
    }
    if (admin.totp.enrolled(account.id)) {
      const code = form.get('code') ?? '';
      if (!code) return signInPage(ctx, 401, 'signin.needCode', undefined, address);
      if (!admin.totp.verify(account.id, code)) {
        directory.recordLogin(account.address, ctx.ip, false);
        return signInPage(ctx, 401, 'signin.failed', undefined, address);
      }
    }
    const { id } = sessions.open(account.id, account.address, ctx.ip);
    ctx.cookies.set(PRE_COOKIE, null, { ...cookieOpts(ctx), path: '/admin' });
    ctx.cookies.set(sessionCookieName(ctx.secure), id, cookieOpts(ctx));
    ctx.status = 303;
    ctx.redirect('/admin');
  });

  router.post('/admin/logout', async (ctx) => {
    const form = await readForm(ctx);
    const c = checkSession(ctx, sessions, store);
    if (c.ok) {
      if (csrfRefusal(ctx, c.session.csrf, form.get('_csrf') ?? undefined)) return page(ctx, 403, 'error', (t) => html`<p>${t('csrf.refused')}</p>`);
      sessions.close(ctx.cookies.get(sessionCookieName(ctx.secure)));
    }
    ctx.cookies.set(sessionCookieName(ctx.secure), null, cookieOpts(ctx));
    ctx.status = 303;
    ctx.redirect('/admin/login');
  });

  // A user's personal package (a stamped copy of a zip or tar.gz build with a fresh one-time
  // sign-in): a classic form POST (its _csrf field) so the browser saves the answer as a download.
  router.post('/admin/users/package', async (ctx) => {
    const form = await readForm(ctx);
    const c = checkSession(ctx, sessions, store);
    if (!c.ok) throw new HeraldError(c.why === 'not-admin' ? 'forbidden' : 'unauthorized', 'sign in to the admin console first');
    if (csrfRefusal(ctx, c.session.csrf, form.get('_csrf') ?? undefined)) return page(ctx, 403, 'error', (t) => html`<p>${t('csrf.refused')}</p>`);
    const user = admin.users.get(form.get('user') ?? '');
    const build = deps.provisioning?.builds().find((b) => b.name === form.get('build') && b.stampable);
    if (!deps.provisioning || !build) throw new HeraldError('not_found', 'no such build');
    const { pkg, issued } = await deps.provisioning.package(build.path, user.address);
    admin.audit.record(actorOf(ctx, c.session), 'package.download', user.address, { build: build.name, expires: issued.expiresAt.toISOString() });
    ctx.status = 200;
    ctx.attachment(build.name);
    ctx.type = pkg.contentType;
    ctx.length = pkg.size;
    ctx.body = pkg.stream();
  });

  for (const p of PAGES) {
    router.get(p.path ? `/admin/${p.path}` : '/admin', async (ctx) => {
      const c = checkSession(ctx, sessions, store);
      if (!c.ok) {
        if (c.why === 'not-admin') return page(ctx, 403, 'forbidden.title', (t) => html`<p>${t('forbidden.text', { address: c.address ?? '' })}</p>`);
        ctx.status = 303;
        return ctx.redirect(c.why === 'expired' ? '/admin/login?expired=1' : '/admin/login');
      }
      const lang = langOf(ctx);
      const t = translator(lang);
      const body = await p.render({ t, lang, session: c.session, query: new URLSearchParams(ctx.querystring), deps });
      page(ctx, 200, p.title, () => body, {
        scripts: p.scripts,
        styles: p.styles,
        signedIn: { address: c.session.address, csrf: c.session.csrf, nav: PAGES.filter((x) => x.nav).map((x) => ({ path: x.path, title: x.title, current: x === p })) },
      });
    });
  }
}
