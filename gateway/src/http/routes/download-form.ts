// Form handling for the download page: an application/x-www-form-urlencoded body with a size
// limit, and CSRF protection in depth — a double-submit token (an HttpOnly, SameSite=Strict
// cookie that must equal the form's hidden field; OWASP CSRF cheat sheet, "signed double-submit"
// is not needed as the cookie cannot be set cross-site with SameSite=Strict + HttpOnly), plus the
// browser's own word: Sec-Fetch-Site and Origin must say same origin when they are sent.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { readBodyBytes } from '../body-bytes.ts';

export const CSRF_COOKIE = 'herald_download_csrf';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class FormError extends Error {
  override name = 'FormError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function readForm(ctx: Context, limit: number): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new FormError(415, 'The form was not sent as a web form.');
  const body = await readBodyBytes(ctx, limit, () => new FormError(413, 'The form is too large.'));
  return new URLSearchParams(body.toString('utf8'));
}

/** The CSRF token of this browser (set as a cookie when it has none yet). */
export function csrfToken(ctx: Context): string {
  const current = ctx.cookies.get(CSRF_COOKIE);
  if (current && TOKEN.test(current)) return current;
  const token = randomBytes(32).toString('base64url');
  ctx.cookies.set(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/download', secure: ctx.secure, overwrite: true });
  return token;
}

/** Throws FormError(403) unless the request comes from our own page in this browser. */
export function checkSameOrigin(ctx: Context, formToken: string | null): void {
  const site = ctx.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') throw new FormError(403, 'This form was sent from another web site. Open the download page directly.');
  // Browsers without Fetch Metadata still send Origin on a POST ("null" from sandboxed frames).
  const origin = ctx.get('origin');
  const own = `${ctx.protocol}://${ctx.host}`; // not ctx.origin: Koa 3 answers that from the Origin header itself
  if (site !== 'same-origin' && origin && origin !== own) throw new FormError(403, 'This form was sent from another web site. Open the download page directly.');
  const cookie = ctx.cookies.get(CSRF_COOKIE);
  const ok = !!cookie && !!formToken && TOKEN.test(cookie) && TOKEN.test(formToken) && timingSafeEqual(Buffer.from(cookie), Buffer.from(formToken));
  if (!ok) throw new FormError(403, 'The page had expired. Please enter your details again.');
}
