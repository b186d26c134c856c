// The page shell every console page renders into: header (title, language switch, dark-mode
// toggle, sign-out), navigation from the page registry, a live region for outcomes, and the
// page's own scripts. No inline script or style anywhere (the CSP forbids them): behaviour comes
// from /admin/static/*.js, looks from admin.css.
import { html, type Safe } from './html.ts';
import type { Lang, Translate } from './i18n.ts';
import type { MessageKey } from './i18n.ts';

export const STATIC = '/admin/static';

export interface ShellOptions {
  lang: Lang;
  t: Translate;
  title: MessageKey;
  body: Safe;
  /** Signed in: navigation, CSRF token, sign-out. */
  signedIn?: { address: string; csrf: string; nav: { path: string; title: MessageKey; current: boolean }[] };
  scripts?: string[];
  styles?: string[];
  theme: 'auto' | 'light' | 'dark';
}

export function shell(o: ShellOptions): Safe {
  const { t } = o;
  const other: Lang = o.lang === 'en' ? 'de' : 'en';
  return html`<!doctype html>
<html lang="${o.lang}" data-theme="${o.theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${o.signedIn ? html`<meta name="csrf-token" content="${o.signedIn.csrf}">` : null}
<title>${t(o.title)} · ${t('app.title')}</title>
${(o.styles ?? []).map((s) => html`<link rel="stylesheet" href="${s}">`)}
<link rel="stylesheet" href="${STATIC}/admin.css">
<script type="module" src="${STATIC}/admin.js"></script>
${(o.scripts ?? []).map((s) => (s.endsWith('.mjs') || s.includes('/admin/static/') ? html`<script type="module" src="${s}"></script>` : html`<script src="${s}" defer></script>`))}
</head>
<body>
<a class="skip" href="#main">${t('nav.skip')}</a>
<header class="top">
  <a class="brand" href="/admin">${t('app.title')}</a>
  <div class="tools">
    <a class="button ghost" href="?lang=${other}" hreflang="${other}" lang="${other}">${t('lang.switch')}</a>
    <button type="button" class="ghost" data-theme-toggle aria-pressed="${o.theme === 'dark' ? 'true' : 'false'}">${t('theme.toggle')}</button>
    ${
      o.signedIn
        ? html`<span class="who">${o.signedIn.address}</span>
    <form method="post" action="/admin/logout" class="inline"><input type="hidden" name="_csrf" value="${o.signedIn.csrf}"><button type="submit" class="ghost">${t('signout')}</button></form>`
        : null
    }
  </div>
</header>
${
  o.signedIn
    ? html`<nav class="pages" aria-label="${t('nav.label')}"><ul>${o.signedIn.nav.map(
        (p) => html`<li><a href="/admin${p.path ? `/${p.path}` : ''}"${p.current ? html` aria-current="page"` : null}>${t(p.title)}</a></li>`,
      )}</ul></nav>`
    : null
}
<main id="main" tabindex="-1">
<h1>${t(o.title)}</h1>
<p class="status" role="status" aria-live="polite" data-status data-done="${t('done')}"></p>
${o.body}
</main>
<dialog data-confirm-dialog><form method="dialog"><p data-confirm-text></p><div class="row"><button value="cancel" class="ghost">${t('confirm.cancel')}</button> <button value="ok" class="danger">${t('confirm.ok')}</button></div></form></dialog>
</body>
</html>`;
}
