// Message log: the central IM log searched by user, room, UTC day range and text — the same search
// as `herald-gateway log search` (admin/im-log-admin.ts over im/im-log-search.ts) — a page at a
// time, the whole result as CSV (GET /api/v1/admin/log.csv with the same query), and the days on
// disk with their file sizes. A plain GET form: the result has an address to bookmark or share.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { LogQuerySchema } from '../../../protocol/admin-rooms.ts';
import { HeraldError } from '../../../protocol/errors.ts';
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

const when = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);
export const sizeOf = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`);
const FIELDS = ['user', 'room', 'since', 'until', 'text'] as const;

export const logPage: AdminPage = {
  path: 'log',
  title: 'page.log',
  nav: true,
  async render({ t, query, deps }) {
    const imLog = deps.live.pages?.imLog;
    const raw = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) ?? '']).filter(([, v]) => v !== ''));
    const asked = Object.keys(raw).length > 0;
    const parsed = LogQuerySchema.safeParse({ ...raw, ...(query.get('page') ? { page: query.get('page') } : {}) });
    let result: Awaited<ReturnType<NonNullable<typeof imLog>['page']>> | undefined;
    let problem: string | undefined;
    if (imLog && asked) {
      try {
        if (!parsed.success) throw new HeraldError('bad_request', `${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
        result = await imLog.page(parsed.data);
      } catch (e) {
        if (!(e instanceof HeraldError)) throw e;
        problem = e.message;
      }
    }
    const qs = (extra: Record<string, string>) => new URLSearchParams({ ...(raw as Record<string, string>), ...extra }).toString();
    const days = imLog?.days() ?? [];
    return html`
<form method="get" action="/admin/log" class="grid" role="search" data-log-search>
<label for="log-user">${t('log.user')}</label><input id="log-user" name="user" type="email" value="${raw.user ?? ''}" autocomplete="off" placeholder="alice@example.com">
<label for="log-room">${t('log.room')}</label><input id="log-room" name="room" value="${raw.room ?? ''}" autocomplete="off" placeholder="team@conference.example.com">
<label for="log-since">${t('log.since')}</label><input id="log-since" name="since" type="date" value="${raw.since ?? ''}">
<label for="log-until">${t('log.until')}</label><input id="log-until" name="until" type="date" value="${raw.until ?? ''}">
<label for="log-text">${t('log.text')}</label><input id="log-text" name="text" type="search" value="${raw.text ?? ''}" autocomplete="off">
<button type="submit">${t('log.search')}</button>
</form>
${problem ? html`<p class="error" role="alert">${problem}</p>` : null}
${
  result
    ? html`<p data-total>${t('log.found', { total: result.total })} ${result.total ? html`· <a class="button ghost" href="${ADMIN_API_PREFIX}/log.csv?${qs({})}" download data-csv>${t('log.csv')}</a>` : null}</p>
${
  result.lines.length
    ? html`<div class="table-wrap"><table data-log>
<thead><tr><th scope="col">${t('log.at')}</th><th scope="col">${t('log.type')}</th><th scope="col">${t('log.from')}</th><th scope="col">${t('log.to')}</th><th scope="col">${t('log.body')}</th></tr></thead>
<tbody>${result.lines.map(
        (e) => html`<tr><td class="nowrap">${when(e.time)}</td><td>${e.type}</td><td>${e.from}</td><td>${e.to}</td><td class="body">${e.encrypted ? t('log.encrypted', { scheme: e.encrypted }) : e.body}${e.attachments.map((a) => html`<br><code>${a}</code>`)}</td></tr>`,
      )}</tbody></table></div>
<nav class="pager" aria-label="${t('pager.of', { page: result.page, pages: result.pages })}">
${result.page > 1 ? html`<a class="button ghost" rel="prev" href="/admin/log?${qs({ page: String(result.page - 1) })}">${t('pager.prev')}</a>` : null}
<span>${t('pager.of', { page: result.page, pages: result.pages })}</span>
${result.page < result.pages ? html`<a class="button ghost" rel="next" href="/admin/log?${qs({ page: String(result.page + 1) })}">${t('pager.next')}</a>` : null}
</nav>`
    : html`<p>${t('log.none')}</p>`
}`
    : asked
      ? null
      : html`<p class="hint">${t('log.ask')}</p>`
}
<section class="card" aria-labelledby="days-h"><h2 id="days-h">${t('log.days')}</h2>
${
  days.length
    ? html`<div class="table-wrap"><table data-days><thead><tr><th scope="col">${t('log.day')}</th><th scope="col">${t('log.size')}</th></tr></thead>
<tbody>${days.map((d) => html`<tr><td><a href="/admin/log?${new URLSearchParams({ since: d.day, until: d.day }).toString()}">${d.day}</a></td><td>${sizeOf(d.bytes)}</td></tr>`)}</tbody></table></div>`
    : html`<p>${t('log.noDays')}</p>`
}
</section>`;
  },
};
