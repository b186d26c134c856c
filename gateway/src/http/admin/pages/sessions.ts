// Sessions: who is online now (XMPP over TCP and WebSocket) — address, resource, client software,
// where from, TLS, since when, presence — and ending one with a reason.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export const sessionsPage: AdminPage = {
  path: 'sessions',
  title: 'page.sessions',
  nav: true,
  render({ t, deps }) {
    const list = deps.live.sessions.list();
    if (!list.length) return html`<p>${t('sessions.none')}</p>`;
    return html`<div class="table-wrap"><table data-sessions>
<thead><tr><th scope="col">${t('sessions.address')}</th><th scope="col">${t('sessions.resource')}</th><th scope="col">${t('sessions.client')}</th><th scope="col">${t('sessions.from')}</th><th scope="col">${t('sessions.tls')}</th><th scope="col">${t('sessions.since')}</th><th scope="col">${t('sessions.presence')}</th><th scope="col">${t('sessions.end')}</th></tr></thead>
<tbody>${list.map(
      (s) => html`<tr data-session="${s.id}"><td>${s.address}</td><td>${s.resource}</td><td data-client>${s.client ?? t('sessions.unknown')}</td><td>${s.remoteAddress}</td><td>${s.tls ? t('users.yes') : t('users.no')}</td><td>${when(s.since)}</td><td>${s.presence}</td>
<td><form data-api="${ADMIN_API_PREFIX}/sessions/end" data-method="POST" class="inline"><input type="hidden" name="id" value="${s.id}"><label for="reason-${s.id}" class="sr-only">${t('sessions.reason')}</label><input id="reason-${s.id}" name="reason" placeholder="${t('sessions.reason')}" size="14"> <button type="submit" class="small danger">${t('sessions.end')}</button></form></td></tr>`,
    )}</tbody></table></div>`;
  },
};
