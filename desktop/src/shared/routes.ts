// The app's views as routes of the one renderer page (`index.html#/chat/bob%40example.com`):
// main opens a window per route (desktop/src/main/window-routes.ts), the renderer shows the view
// of its own (desktop/src/renderer/router.ts) — one table, so they cannot read a hash differently.
// Pure, and without zod: the renderer bundles it.

/** Sections of the Help window (`#/help/alerts`); each Settings page links to its own. */
export const HELP_SECTIONS = ['sign-in', 'tray', 'chat', 'general', 'alerts', 'sounds', 'skins', 'history', 'account'] as const;
export type HelpSection = (typeof HELP_SECTIONS)[number];
const isHelpSection = (s: string): s is HelpSection => (HELP_SECTIONS as readonly string[]).includes(s);

export type Route =
  | { view: 'contacts' }
  | { view: 'chat'; jid: string }
  | { view: 'room'; jid: string }
  | { view: 'history'; jid?: string }
  | { view: 'folders' }
  | { view: 'settings' }
  | { view: 'about' }
  | { view: 'help'; section?: HelpSection }
  | { view: 'sign-in' };

/** A bare address local@domain (the same rule as JidSchema in chat.ts). */
const isJid = (s: string) => s.length >= 3 && s.length <= 3071 && /^[^\s@/]+@[^\s@/]+$/.test(s);

/** `#/chat/bob%40example.com` (the hash part of the renderer's URL). */
export function routeHash(r: Route): string {
  if (r.view === 'chat' || r.view === 'room') return `#/${r.view}/${encodeURIComponent(r.jid)}`;
  if (r.view === 'history' && r.jid) return `#/history/${encodeURIComponent(r.jid)}`;
  if (r.view === 'help' && r.section) return `#/help/${r.section}`;
  return `#/${r.view}`;
}

/** Parses a hash (`#/chat/bob%40example.com`); undefined for anything that is not a route. */
export function parseRouteHash(hash: string): Route | undefined {
  const m = /^#\/([a-z-]+)(?:\/([^/?#]+))?$/.exec(hash);
  if (!m) return undefined;
  const [, view, arg] = m;
  if (view === 'help') return arg === undefined ? { view } : isHelpSection(arg) ? { view, section: arg } : undefined;
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
