// Scripts and alerts: the SEM spool (waiting, being delivered, sent today, the quarantined files in
// bad/ with each one's reason; retry or delete one — admin/spool-admin.ts, audited), the admin's
// alert rules with their editor (alert-rules-editor.ts), every user's own rules read-only, and the
// calendar reminder settings with the poller's last run.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { html } from '../html.ts';
import type { AdminPage, PageContext } from '../page.ts';
import { alertRulesSection } from './alert-rules-editor.ts';
import { sizeOf } from './log.ts';

const when = (ms: number | undefined) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : undefined);

async function spool({ t, deps }: PageContext) {
  const p = deps.live.pages;
  if (!p) return null;
  const s = p.spool.status();
  const bad = p.spool.bad();
  const today = new Date().toISOString().slice(0, 10);
  let sentToday = 0;
  for await (const e of p.imLog.search({ since: today, until: today })) if (e.type === 'scripted') sentToday++;
  return html`<section class="card" aria-labelledby="spool-h"><h2 id="spool-h">${t('spool.title')}</h2>
${
  s
    ? html`<dl class="facts" data-spool>
<dt>${t('spool.dir')}</dt><dd><code>${s.dir}</code></dd>
<dt>${t('spool.waiting')}</dt><dd data-waiting>${s.pending + s.locked}</dd>
<dt>${t('spool.inProgress')}</dt><dd>${s.inProgress}</dd>
<dt>${t('spool.sentToday')}</dt><dd data-sent-today>${sentToday}</dd>
${s.problem ? html`<dt>${t('spool.problem')}</dt><dd class="error">${s.problem}</dd>` : null}
</dl>`
    : html`<p>${t('spool.missing')}</p>`
}
<h3>${t('spool.bad')}</h3>
${
  bad.length
    ? html`<div class="table-wrap"><table data-bad>
<thead><tr><th scope="col">${t('spool.file')}</th><th scope="col">${t('spool.reason')}</th><th scope="col">${t('spool.when')}</th><th scope="col">${t('spool.size')}</th><th scope="col">${t('users.actions')}</th></tr></thead>
<tbody>${bad.map(
        (b) => html`<tr data-bad-file="${b.name}"><th scope="row"><code>${b.name}</code></th><td>${b.reason}</td><td class="nowrap">${when(b.at) ?? '—'}</td><td>${sizeOf(b.size)}</td>
<td class="actions"><form data-api="${ADMIN_API_PREFIX}/spool/retry" data-method="POST"><input type="hidden" name="name" value="${b.name}"><button type="submit" class="small">${t('spool.retry')}</button></form>
<form data-api="${ADMIN_API_PREFIX}/spool/delete" data-method="POST" data-confirm="${t('spool.confirmDelete', { file: b.name })}"><input type="hidden" name="name" value="${b.name}"><button type="submit" class="small danger">${t('spool.delete')}</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p>${t('spool.noBad')}</p>`
}
</section>`;
}

function userRules({ t, deps }: PageContext) {
  const users = deps.live.pages?.userAlertRules() ?? [];
  return html`<section class="card" aria-labelledby="ualerts-h"><h2 id="ualerts-h">${t('alerts.users')}</h2>
${
  users.length
    ? html`<div class="table-wrap"><table data-user-rules><thead><tr><th scope="col">${t('calendar.user')}</th><th scope="col">${t('alerts.rule')}</th></tr></thead>
<tbody>${users.map((u) => html`<tr><th scope="row">${u.address}</th><td><pre class="json">${JSON.stringify(u.rules, null, 2)}</pre></td></tr>`)}</tbody></table></div>`
    : html`<p>${t('alerts.noUsers')}</p>`
}
</section>`;
}

function calendar({ t, deps }: PageContext) {
  const c = deps.settings.im.calendar;
  const poller = deps.live.pages?.calendar();
  const last = Math.max(0, ...(poller ?? []).map((u) => u.lastSync ?? 0));
  const rows: [string, string | number][] = [
    ['im.calendar.url', c.url ?? '—'],
    ['im.calendar.pollSeconds', c.pollSeconds],
    ['im.calendar.lookaheadHours', c.lookaheadHours],
    ['im.calendar.defaultLeadMinutes', c.defaultLeadMinutes],
    ['im.calendar.invitations', c.invitations],
  ];
  return html`<section class="card" aria-labelledby="cal-h"><h2 id="cal-h">${t('calendar.title')}</h2>
${c.url ? null : html`<p>${t('calendar.off')}</p>`}
<dl class="facts">${rows.map(([k, v]) => html`<dt><code>${k}</code></dt><dd>${v}</dd>`)}
<dt>${t('calendar.lastRun')}</dt><dd data-calendar-last>${when(last) ?? t('calendar.never')}</dd></dl>
${
  poller?.length
    ? html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('calendar.user')}</th><th scope="col">${t('calendar.calendars')}</th><th scope="col">${t('calendar.lastRun')}</th><th scope="col">${t('calendar.error')}</th></tr></thead>
<tbody>${poller.map((u) => html`<tr><th scope="row">${u.address}</th><td>${u.calendars}</td><td>${when(u.lastSync) ?? t('calendar.never')}</td><td>${u.error ?? ''}</td></tr>`)}</tbody></table></div>`
    : null
}
</section>`;
}

export const scriptsPage: AdminPage = {
  path: 'scripts',
  title: 'page.scripts',
  nav: true,
  scripts: ['/admin/static/alerts.js'],
  async render(c) {
    return html`${await spool(c)}${alertRulesSection(c)}${userRules(c)}${calendar(c)}`;
  },
};
