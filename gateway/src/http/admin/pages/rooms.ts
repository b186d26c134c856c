// Rooms: the group conversations (XEP-0045) the gateway holds now — persistent ones (store/rooms.ts)
// and live-only ones — with name, subject, members (affiliations) and who is in them; closing one
// (asked first) destroys it as XEP-0045 §10.9 says: every occupant gets unavailable presence with
// <destroy/> and the reason (xmpp/modules/muc/rooms-admin.ts). Audited.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

export const roomsPage: AdminPage = {
  path: 'rooms',
  title: 'page.rooms',
  nav: true,
  render({ t, deps }) {
    const rooms = deps.live.pages?.rooms.list() ?? [];
    if (!rooms.length) return html`<p>${t('rooms.none')}</p>`;
    return html`<div class="table-wrap"><table data-rooms>
<thead><tr><th scope="col">${t('rooms.room')}</th><th scope="col">${t('rooms.subject')}</th><th scope="col">${t('rooms.kind')}</th><th scope="col">${t('rooms.members')}</th><th scope="col">${t('rooms.occupants')}</th><th scope="col">${t('rooms.close')}</th></tr></thead>
<tbody>${rooms.map(
      (r, i) => html`<tr data-room="${r.jid}"><th scope="row">${r.jid}${r.name ? html`<br><span class="hint">${r.name}</span>` : null}</th>
<td>${r.subject}</td>
<td>${r.persistent ? t('rooms.persistent') : t('rooms.temporary')}${r.membersOnly ? html`<br><span class="hint">${t('rooms.membersOnly')}</span>` : null}</td>
<td><ul class="plain">${r.members.map((m) => html`<li>${m.jid} <span class="hint">(${m.affiliation})</span></li>`)}</ul></td>
<td><ul class="plain">${r.occupants.map((o) => html`<li>${o.nick} <span class="hint">${o.jid}</span></li>`)}</ul></td>
<td><form data-api="${ADMIN_API_PREFIX}/rooms/close" data-method="POST" data-confirm="${t('rooms.confirmClose', { room: r.jid })}"><input type="hidden" name="room" value="${r.jid}"><label for="room-reason-${i}" class="sr-only">${t('rooms.reason')}</label><input id="room-reason-${i}" name="reason" placeholder="${t('rooms.reason')}" size="16"> <button type="submit" class="small danger">${t('rooms.close')}</button></form></td></tr>`,
    )}</tbody></table></div>`;
  },
};
