// Audit log: every change made in the console or with the CLI (admin/audit.ts), newest first,
// searched by text, who and day range.
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const auditPage: AdminPage = {
  path: 'audit',
  title: 'page.audit',
  nav: true,
  render({ t, query, deps }) {
    const text = query.get('text') ?? '';
    const who = query.get('who') ?? '';
    const since = DAY.test(query.get('since') ?? '') ? query.get('since')! : '';
    const until = DAY.test(query.get('until') ?? '') ? query.get('until')! : '';
    const entries = deps.admin.audit.search({ text: text || undefined, who: who || undefined, since: since || undefined, until: until || undefined, limit: 500 });
    return html`
<form method="get" action="/admin/audit" class="search filters" role="search">
<div><label for="a-text">${t('audit.text')}</label><input id="a-text" name="text" type="search" value="${text}"></div>
<div><label for="a-who">${t('audit.who')}</label><input id="a-who" name="who" value="${who}"></div>
<div><label for="a-since">${t('audit.since')}</label><input id="a-since" name="since" type="date" value="${since}"></div>
<div><label for="a-until">${t('audit.until')}</label><input id="a-until" name="until" type="date" value="${until}"></div>
<button type="submit">${t('audit.search')}</button>
</form>
${
  entries.length
    ? html`<div class="table-wrap"><table data-audit>
<thead><tr><th scope="col">${t('audit.at')}</th><th scope="col">${t('audit.who')}</th><th scope="col">${t('audit.from')}</th><th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.target')}</th><th scope="col">${t('audit.detail')}</th></tr></thead>
<tbody>${entries.map(
        (e) => html`<tr><td><time datetime="${e.at}">${e.at.replace('T', ' ').slice(0, 19)}</time></td><td>${e.who}</td><td>${e.from}</td><td><code>${e.action}</code></td><td>${e.target}</td><td>${e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}=${String(v)}`).join(', ') : ''}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('audit.none')}</p>`
}`;
  },
};
