// Cross-site request forgery defence for every state-changing console request (OWASP CSRF
// cheat sheet: synchronizer token + origin check), on top of the SameSite=Strict cookie:
//  1. a browser that says where the request came from must say this origin: `Sec-Fetch-Site`
//     same-origin (Fetch Metadata), and `Origin`, when sent, equal to the request's own origin;
//  2. the session's CSRF token must be repeated, in the X-CSRF-Token header (fetch) or the
//     `_csrf` form field, compared in constant time.
import { timingSafeEqual } from 'node:crypto';

export interface CsrfInput {
  method: string;
  /** The origin this request was made to (scheme://host[:port]). */
  ownOrigin: string;
  origin: string | undefined;
  secFetchSite: string | undefined;
  /** From the header or the form field. */
  token: string | undefined;
  /** The session's token. */
  expected: string;
}

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why the request is refused, or undefined when it may go on. */
export function csrfProblem(i: CsrfInput): string | undefined {
  if (SAFE_METHODS.has(i.method.toUpperCase())) return undefined;
  if (i.secFetchSite !== undefined && i.secFetchSite !== 'same-origin' && i.secFetchSite !== 'none') return `cross-site request (Sec-Fetch-Site: ${i.secFetchSite})`;
  if (i.origin !== undefined && i.origin !== i.ownOrigin) return `request from another origin (${i.origin})`;
  if (!i.token) return 'missing CSRF token';
  const a = Buffer.from(i.token);
  const b = Buffer.from(i.expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return 'wrong CSRF token';
  return undefined;
}
