// What every console and admin-API request passes first: reachable from here at all (loopback
// unless admin.allowRemote), security headers (strict CSP: no inline script or style, no
// framing), the session cookie (SameSite=Strict, HttpOnly, Secure on HTTPS), the idle timeout,
// the admin flag (read again on every request: a revoked admin is out at once), and CSRF.
import type { Context, Next } from 'koa';
import { isLoopbackHost } from '../../config/exposure.ts';
import type { AccountRow, Store } from '../../store/index.ts';
import type { Actor } from '../../admin/audit.ts';
import { csrfProblem } from './csrf.ts';
import type { ConsoleSession, ConsoleSessions } from './console-sessions.ts';

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** __Host- cookies (RFC 6265bis §4.1.3.2) need Secure, so they are used on HTTPS only. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-herald_admin' : 'herald_admin');

export function setConsoleHeaders(ctx: Context): void {
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the console's own form posts.
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
}

/** True when the client may reach the console at all. */
export const reachable = (ctx: Context, allowRemote: boolean) => allowRemote || isLoopbackHost(ctx.ip.replace(/^::ffff:/, ''));

export const actorOf = (ctx: Context, s: ConsoleSession): Actor => ({ who: s.address, from: ctx.ip });

export type SessionCheck =
  | { ok: true; session: ConsoleSession; account: AccountRow }
  | { ok: false; why: 'signed-out' | 'expired' | 'not-admin'; address?: string };

/** The request's console session, if it is live and its account still an admin. */
export function checkSession(ctx: Context, sessions: ConsoleSessions, store: Store): SessionCheck {
  const id = ctx.cookies.get(sessionCookieName(ctx.secure));
  const s = sessions.get(id);
  if (s === undefined) return { ok: false, why: 'signed-out' };
  if (s === 'expired') return { ok: false, why: 'expired' };
  const account = store.accounts.byId(s.accountId);
  if (!account || !account.isAdmin) {
    sessions.close(id);
    return { ok: false, why: 'not-admin', address: s.address };
  }
  return { ok: true, session: s, account };
}

/** The origin the browser addressed (for the Origin comparison). */
export const ownOrigin = (ctx: Context) => `${ctx.protocol}://${ctx.host}`;

export function csrfRefusal(ctx: Context, expected: string, token: string | undefined): string | undefined {
  return csrfProblem({
    method: ctx.method,
    ownOrigin: ownOrigin(ctx),
    origin: ctx.get('origin') || undefined,
    secFetchSite: ctx.get('sec-fetch-site') || undefined,
    token,
    expected,
  });
}

export type Middleware = (ctx: Context, next: Next) => Promise<void>;
