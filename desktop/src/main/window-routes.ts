// The app's windows as routes of the one renderer page (`index.html#/chat/bob@example.com`): one
// window per route key (a conversation's window is reused, not duplicated), with its size. Main
// opens windows only for these routes; anything else a page asks to open is refused.
import { JidSchema } from '../shared/chat.ts';

export type Route =
  | { view: 'contacts' }
  | { view: 'chat'; jid: string }
  | { view: 'room'; jid: string }
  | { view: 'history'; jid?: string }
  | { view: 'folders' }
  | { view: 'settings' }
  | { view: 'about' }
  | { view: 'sign-in' };

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
  'sign-in': { width: 440, height: 560, minWidth: 400, minHeight: 480, resizable: false },
};

export const windowSpec = (r: Route): WindowSpec => SPECS[r.view];

/** One window per key: `chat:bob@example.com`, `settings`, ... */
export function routeKey(r: Route): string {
  if (r.view === 'chat' || r.view === 'room') return `${r.view}:${r.jid.toLowerCase()}`;
  return r.view;
}

/** `#/chat/bob%40example.com` (the hash part of the renderer's URL). */
export function routeHash(r: Route): string {
  if (r.view === 'chat' || r.view === 'room') return `#/${r.view}/${encodeURIComponent(r.jid)}`;
  if (r.view === 'history' && r.jid) return `#/history/${encodeURIComponent(r.jid)}`;
  return `#/${r.view}`;
}

const isJid = (s: string) => JidSchema.safeParse(s).success;

/** Parses a hash (`#/chat/bob%40example.com`); undefined for anything that is not a route. */
export function parseRouteHash(hash: string): Route | undefined {
  const m = /^#\/([a-z-]+)(?:\/([^/?#]+))?$/.exec(hash);
  if (!m) return undefined;
  const [, view, arg] = m;
  let jid: string | undefined;
  if (arg !== undefined) {
    try {
      jid = decodeURIComponent(arg);
    } catch {
      return undefined;
    }
    if (!isJid(jid)) return undefined;
  }
  switch (view) {
    case 'chat':
    case 'room':
      return jid ? { view, jid } : undefined;
    case 'history':
      return jid ? { view, jid } : { view };
    case 'contacts':
    case 'folders':
    case 'settings':
    case 'about':
    case 'sign-in':
      return jid === undefined ? { view } : undefined;
    default:
      return undefined;
  }
}
