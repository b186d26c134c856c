// The app's windows as routes of the one renderer page (`index.html#/chat/bob@example.com`): one
// window per route key (a conversation's window is reused, not duplicated), with its size. Main
// opens windows only for these routes; anything else a page asks to open is refused.
import type { Route } from '../shared/routes.ts';

export { parseRouteHash, routeHash, type Route } from '../shared/routes.ts';

export interface WindowSpec {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  resizable: boolean;
}

const SPECS: Record<Route['view'], WindowSpec> = {
  contacts: { width: 320, height: 600, minWidth: 260, minHeight: 360, resizable: true },
  chat: { width: 520, height: 560, minWidth: 380, minHeight: 360, resizable: true },
  room: { width: 680, height: 580, minWidth: 480, minHeight: 360, resizable: true },
  history: { width: 720, height: 560, minWidth: 480, minHeight: 360, resizable: true },
  folders: { width: 380, height: 480, minWidth: 300, minHeight: 300, resizable: true },
  settings: { width: 640, height: 600, minWidth: 520, minHeight: 420, resizable: true },
  about: { width: 420, height: 420, minWidth: 420, minHeight: 420, resizable: false },
  help: { width: 600, height: 640, minWidth: 420, minHeight: 360, resizable: true },
  'sign-in': { width: 440, height: 560, minWidth: 400, minHeight: 480, resizable: false },
};

export const windowSpec = (r: Route): WindowSpec => SPECS[r.view];

/** One window per key: `chat:bob@example.com`, `settings`, ... */
export function routeKey(r: Route): string {
  if (r.view === 'chat' || r.view === 'room') return `${r.view}:${r.jid.toLowerCase()}`;
  return r.view;
}
