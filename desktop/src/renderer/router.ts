// The window's view comes from its URL's hash (`#/chat/bob%40example.com`), the same routes main
// knows (one table: desktop/src/shared/routes.ts). Opening another view asks for a new window with
// window.open: in Electron main opens (or focuses) that Herald window; in the preview a browser
// window opens. The window name makes a second request for the same view reuse the first.
import { useEffect, useState } from 'preact/hooks';
import { parseRouteHash, routeHash, type Route } from '../shared/routes.ts';

export type { Route };

// One Help window whatever its section (asked for another section, it moves there).
const windowName = (r: Route) => (r.view === 'help' ? 'herald-help' : `herald-${routeHash(r).slice(2).replace(/[^a-z0-9]+/gi, '-')}`);

export function openView(r: Route): void {
  window.open(routeHash(r), windowName(r));
}

/** This window shows another view (sign-in → contacts after signing in). */
export function go(r: Route): void {
  location.hash = routeHash(r);
}

export function useRoute(): Route | undefined {
  const [route, setRoute] = useState(() => parseRouteHash(location.hash || '#/contacts'));
  useEffect(() => {
    const on = () => setRoute(parseRouteHash(location.hash || '#/contacts'));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
