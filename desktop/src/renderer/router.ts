// The window's view comes from its URL's hash (`#/chat/bob%40example.com`), the same routes main
// knows (desktop/src/main/window-routes.ts). Opening another view asks for a new window with
// window.open: in Electron main opens (or focuses) that Herald window; in the preview a browser
// window opens. The window name makes a second request for the same view reuse the first.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'contacts' }
  | { view: 'chat'; jid: string }
  | { view: 'room'; jid: string }
  | { view: 'history'; jid?: string }
  | { view: 'folders' }
  | { view: 'settings' }
  | { view: 'about' }
  | { view: 'sign-in' };

const JID = /^[^\s@/]+@[^\s@/]+$/;

export function parseRoute(hash: string): Route | undefined {
  const m = /^#\/([a-z-]+)(?:\/([^/?#]+))?$/.exec(hash);
  if (!m) return undefined;
  let jid: string | undefined;
  if (m[2] !== undefined) {
    try {
      jid = decodeURIComponent(m[2]);
    } catch {
      return undefined;
    }
    if (!JID.test(jid)) return undefined;
  }
  const view = m[1];
  if ((view === 'chat' || view === 'room') && jid) return { view, jid };
  if (view === 'history') return jid ? { view, jid } : { view };
  if (!jid && (view === 'contacts' || view === 'folders' || view === 'settings' || view === 'about' || view === 'sign-in')) return { view };
  return undefined;
}

export function routeHash(r: Route): string {
  if (r.view === 'chat' || r.view === 'room') return `#/${r.view}/${encodeURIComponent(r.jid)}`;
  if (r.view === 'history' && r.jid) return `#/history/${encodeURIComponent(r.jid)}`;
  return `#/${r.view}`;
}

const windowName = (r: Route) => `herald-${routeHash(r).slice(2).replace(/[^a-z0-9]+/gi, '-')}`;

export function openView(r: Route): void {
  window.open(routeHash(r), windowName(r));
}

/** This window shows another view (sign-in → contacts after signing in). */
export function go(r: Route): void {
  location.hash = routeHash(r);
}

export function useRoute(): Route | undefined {
  const [route, setRoute] = useState(() => parseRoute(location.hash || '#/contacts'));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash || '#/contacts'));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
