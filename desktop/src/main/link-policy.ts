// What a page may open or navigate to. Our windows never navigate away from the app page (only its
// #route changes); a new window is either one of our routes (main opens it as a Herald window) or
// a link the user clicked, which goes to the system browser only if it is allowed:
//  - http(s) on exactly the webmail's origin (core/webmail validates the template),
//  - a file shared in chat on the gateway's own origin (XEP-0363 uploads it serves under /upload/),
//  - mailto: with one plain address.
// Everything else is denied: no file:, javascript:, data:, custom schemes, or other websites.
import { parseRouteHash, type Route } from './window-routes.ts';

export interface LinkContext {
  /** Our page's origin (app://herald, or the preview server's). */
  appOrigin: string;
  /** Origin of the webmail template, when one is configured and valid. */
  webmailOrigin?: string;
  /** The gateway's origin, when signed in. */
  gatewayOrigin?: string;
}

export type LinkDecision = { action: 'open-window'; route: Route } | { action: 'open-external'; url: string } | { action: 'deny'; reason: string };

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const schemeHost = (u: URL) => (u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`);

const MAILTO = /^mailto:[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?:\?subject=[^&#]*)?$/;

/** Whether shell.openExternal may be given this URL. */
export function externalAllowed(url: string, c: LinkContext): boolean {
  if (url.length > 8192) return false;
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === 'mailto:') return MAILTO.test(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (u.username || u.password) return false;
  if (c.webmailOrigin && u.origin === c.webmailOrigin) return true;
  if (c.gatewayOrigin && u.origin === c.gatewayOrigin && u.pathname.startsWith('/upload/')) return true;
  return false;
}

/** A page asked to open a new window (window.open, target=_blank). */
export function decideWindowOpen(url: string, c: LinkContext): LinkDecision {
  const u = parse(url);
  if (!u) return { action: 'deny', reason: 'not a URL' };
  if (schemeHost(u) === c.appOrigin) {
    const route = u.pathname === '/' || u.pathname === '/index.html' ? parseRouteHash(u.hash) : undefined;
    return route ? { action: 'open-window', route } : { action: 'deny', reason: `${u.pathname}${u.hash} is not a Herald window` };
  }
  if (externalAllowed(url, c)) return { action: 'open-external', url };
  return { action: 'deny', reason: `${u.protocol}//${u.host} is not the webmail, a shared file or mailto` };
}

/** A page is about to navigate (will-navigate, will-redirect): only its own #route may change. */
export function navigationAllowed(current: string, target: string): boolean {
  const a = parse(current);
  const b = parse(target);
  if (!a || !b) return false;
  return schemeHost(a) === schemeHost(b) && a.pathname === b.pathname && a.search === b.search;
}
