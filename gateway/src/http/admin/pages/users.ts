// Users: search (prefix of address or name, indexed: store/accounts.ts) and page through them;
// add; and for one user: password (policy shown), admin flag, devices (sign out one or all),
// enrollment link with its QR code, delete.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { html } from '../html.ts';
import type { AdminPage, PageContext } from '../page.ts';

const PAGE_SIZE = 25;
const api = (path: string) => `${ADMIN_API_PREFIX}${path}`;
const when = (ms: number | null) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 16) : '—');

function list({ t, query, deps }: PageContext) {
  const q = query.get('q') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const r = deps.admin.users.search(q, page, PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(r.total / PAGE_SIZE));
  const link = (p: number) => `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p) })}`;
  const min = deps.admin.users.minPasswordLength;
  return html`
<form method="get" action="/admin/users" class="search" role="search">
<label for="q">${t('users.search')}</label>
<input id="q" name="q" type="search" value="${q}" placeholder="${t('users.searchHint')}" autocomplete="off">
<button type="submit">${t('users.search')}</button>
</form>
<p data-total>${t('users.found', { total: r.total })}</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('users.address')}</th><th scope="col">${t('users.name')}</th><th scope="col">${t('users.admin')}</th></tr></thead>
<tbody>${r.users.map(
    (u) => html`<tr><td><a href="/admin/users?user=${encodeURIComponent(u.address)}">${u.address}</a></td><td>${u.displayName}</td><td>${u.isAdmin ? t('users.yes') : ''}</td></tr>`,
  )}</tbody>
</table></div>
<nav class="pager" aria-label="${t('users.pageOf', { page: r.page, pages })}">
${r.page > 1 ? html`<a class="button ghost" href="${link(r.page - 1)}" rel="prev">${t('users.prev')}</a>` : null}
<span>${t('users.pageOf', { page: r.page, pages })}</span>
${r.page < pages ? html`<a class="button ghost" href="${link(r.page + 1)}" rel="next">${t('users.next')}</a>` : null}
</nav>
<section class="card" aria-labelledby="add-h"><h2 id="add-h">${t('users.add')}</h2>
<form data-api="${api('/users')}" data-method="POST" class="grid">
<label for="add-address">${t('users.address')}</label><input id="add-address" name="address" type="email" required autocomplete="off">
<label for="add-name">${t('users.name')}</label><input id="add-name" name="name" autocomplete="off">
<label for="add-password">${t('users.password')}</label><input id="add-password" name="password" type="password" minlength="${min}" autocomplete="new-password" aria-describedby="add-policy">
<p id="add-policy" class="hint">${t('users.policy', { min })}</p>
<button type="submit">${t('users.add')}</button>
</form></section>`;
}

function detail({ t, deps, session }: PageContext, address: string) {
  const u = deps.admin.users.get(address);
  const devices = deps.admin.users.devices(u.address);
  const min = deps.admin.users.minPasswordLength;
  const base = api(`/users/${encodeURIComponent(u.address)}`);
  const builds = (deps.provisioning?.builds() ?? []).filter((b) => b.stampable);
  return html`
<p><a href="/admin/users">← ${t('users.back')}</a></p>
<h2>${u.address}</h2>
<p>${u.displayName} · ${t('users.admin')}: ${u.isAdmin ? t('users.yes') : t('users.no')}</p>
<div class="actions">
<form data-api="${base}/admin" data-method="POST"><input type="hidden" name="admin" value="${u.isAdmin ? 'false' : 'true'}"><button type="submit">${u.isAdmin ? t('users.revoke') : t('users.grant')}</button></form>
<form data-api="${base}" data-method="DELETE" data-confirm="${t('users.delete')}: ${u.address}?" data-then="/admin/users"><button type="submit" class="danger">${t('users.delete')}</button></form>
</div>
<section class="card" aria-labelledby="pw-h"><h2 id="pw-h">${t('users.resetPassword')}</h2>
<form data-api="${base}/password" data-method="POST" class="grid">
<label for="new-password">${t('users.password')}</label><input id="new-password" name="password" type="password" minlength="${min}" required autocomplete="new-password" aria-describedby="pw-policy">
<p id="pw-policy" class="hint">${t('users.policy', { min })}</p>
<button type="submit">${t('users.resetPassword')}</button>
</form></section>
<section class="card" aria-labelledby="dev-h"><h2 id="dev-h">${t('users.devices')}</h2>
${
  devices.length
    ? html`<div class="table-wrap"><table data-devices>
<thead><tr><th scope="col">${t('users.device')}</th><th scope="col">${t('users.created')}</th><th scope="col">${t('users.lastSeen')}</th><th scope="col">${t('users.address')}</th><th scope="col">${t('users.actions')}</th></tr></thead>
<tbody>${devices.map(
        (d) => html`<tr data-device="${d.id}"><td>${d.label ?? `#${d.id}`}</td><td>${when(d.createdAt)}</td><td>${when(d.lastUsedAt)}</td><td data-address>${d.lastAddress ?? '—'}</td><td>${
          d.revokedAt
            ? t('users.revoked')
            : html`<form data-api="${base}/revoke" data-method="POST"><input type="hidden" name="device" value="${d.id}"><button type="submit" class="small">${t('users.revokeOne')}</button></form>`
        }</td></tr>`,
      )}</tbody></table></div>
<form data-api="${base}/revoke" data-method="POST" data-confirm="${t('users.revokeAll')}?"><button type="submit" class="danger">${t('users.revokeAll')}</button></form>`
    : html`<p>${t('users.noDevices')}</p>`
}
</section>
<section class="card" aria-labelledby="enr-h"><h2 id="enr-h">${t('users.enroll')}</h2>
<form data-api="${base}/enroll" data-method="POST" data-then="show"><button type="submit">${t('users.enroll')}</button><div class="result" data-result></div></form>
${builds.map(
  (b) => html`<form method="post" action="/admin/users/package" class="inline"><input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="user" value="${u.address}"><input type="hidden" name="build" value="${b.name}"><button type="submit" class="ghost" data-package="${b.name}">${t('users.package')}: ${b.name}</button></form> `,
)}
</section>`;
}

export const usersPage: AdminPage = {
  path: 'users',
  title: 'page.users',
  nav: true,
  render(c) {
    const user = c.query.get('user');
    return user ? detail(c, user) : list(c);
  },
};
