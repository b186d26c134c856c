// What a console page is: a path under /admin, a title, and a render function that gets the
// signed-in admin, the request's query and the shared admin services. Pages only read; every
// change goes through the admin API (/api/v1/admin), which the page's forms call (static/admin.js).
import type { Settings } from '../../config/schema.ts';
import type { Provisioning } from '../../provisioning/provisioning.ts';
import type { AdminLive, AdminServices } from '../../admin/index.ts';
import type { Safe } from './html.ts';
import type { Lang, MessageKey, Translate } from './i18n.ts';
import type { ConsoleSession } from './console-sessions.ts';

export interface ConsoleDeps {
  admin: AdminServices;
  live: AdminLive;
  settings: Settings;
  publicUrl: string;
  /** Signed enrollment links and per-user packages, when the gateway makes them. */
  provisioning: Provisioning | undefined;
}

export interface PageContext {
  t: Translate;
  lang: Lang;
  session: ConsoleSession;
  query: URLSearchParams;
  deps: ConsoleDeps;
}

export interface AdminPage {
  /** Under /admin: '' is the dashboard. */
  path: string;
  title: MessageKey;
  /** In the navigation (the TOTP page is reached from the header). */
  nav: boolean;
  /** Extra scripts and styles (beside admin.js / admin.css). */
  scripts?: string[];
  styles?: string[];
  render(c: PageContext): Safe | Promise<Safe>;
}
