// Domains: add, IM on/off (off asks first, naming how many live sessions will end), link and
// unlink, and the webmail link clients get (client.webmailUrl) with a preview for INBOX.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { webmailTemplateProblem } from '../../../protocol/webmail-template.ts';
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

const api = (path: string) => `${ADMIN_API_PREFIX}${path}`;

export const domainsPage: AdminPage = {
  path: 'domains',
  title: 'page.domains',
  nav: true,
  scripts: ['/admin/static/domains.js'],
  render({ t, deps }) {
    const domains = deps.admin.domains.list();
    const template = deps.settings.client.webmailUrl;
    return html`
<div class="table-wrap"><table data-domains>
<thead><tr><th scope="col">${t('domains.name')}</th><th scope="col">${t('domains.im')}</th><th scope="col">${t('domains.users')}</th><th scope="col">${t('domains.linked')}</th><th scope="col">${t('users.actions')}</th></tr></thead>
<tbody>${domains.map((d) => {
      const base = api(`/domains/${encodeURIComponent(d.name)}`);
      const others = domains.filter((o) => o.name !== d.name && !d.linked.includes(o.name));
      return html`<tr data-domain="${d.name}"><th scope="row">${d.name}</th>
<td data-im>${d.imEnabled ? t('domains.on') : t('domains.off')}</td><td>${d.users}</td>
<td>${d.linked.map((l) => html`<form data-api="${base}/unlink" data-method="POST" class="inline"><input type="hidden" name="other" value="${l}"><span>${l}</span> <button type="submit" class="small ghost" aria-label="${t('domains.unlink')} ${l}">${t('domains.unlink')}</button></form> `)}</td>
<td class="actions">
<form data-api="${base}/im" data-method="POST"><input type="hidden" name="on" value="${d.imEnabled ? 'false' : 'true'}"><button type="submit" class="${d.imEnabled ? 'danger' : ''}">${d.imEnabled ? t('domains.imOff') : t('domains.imOn')}</button></form>
${
  others.length
    ? html`<form data-api="${base}/link" data-method="POST" class="inline"><label for="link-${d.name}" class="sr-only">${t('domains.linkWith')}</label><select id="link-${d.name}" name="other">${others.map((o) => html`<option>${o.name}</option>`)}</select> <button type="submit" class="small">${t('domains.link')}</button></form>`
    : null
}
</td></tr>`;
    })}</tbody></table></div>
<section class="card" aria-labelledby="add-h"><h2 id="add-h">${t('domains.add')}</h2>
<form data-api="${api('/domains')}" data-method="POST" class="grid">
<label for="add-domain">${t('domains.name')}</label><input id="add-domain" name="name" required autocomplete="off">
<label class="check"><input type="checkbox" name="im" checked> ${t('domains.im')}</label>
<button type="submit">${t('domains.add')}</button>
</form></section>
<section class="card" aria-labelledby="wm-h"><h2 id="wm-h">${t('domains.webmail')}</h2>
<div class="table-wrap"><table data-webmail>
<thead><tr><th scope="col">${t('domains.name')}</th><th scope="col">${t('domains.webmailTemplate')}</th><th scope="col">${t('domains.preview')}</th></tr></thead>
<tbody>${domains.map((d) => {
      const own = deps.settings.client.domains[d.name]?.webmailUrl;
      const tpl = own ?? template;
      return html`<tr><th scope="row">${d.name}</th><td><code>${tpl}</code><br><span class="hint">${own ? `client.domains.${d.name}.webmailUrl` : 'client.webmailUrl'}</span></td><td><code>${previewOf(tpl, `user@${d.name}`)}</code></td></tr>`;
    })}</tbody></table></div>
<p class="hint">${t('domains.webmailConfig')}</p>
<label for="wm-template">${t('domains.webmailTry')}</label>
<input id="wm-template" value="${template}" data-webmail-template class="wide">
<p>${t('domains.preview')}: <output data-webmail-preview for="wm-template">${previewOf(template)}</output></p>
</section>`;
  },
};

/**
 * The INBOX link for a template (placeholders as protocol/webmail-template.ts names them; a preset
 * is shown as configured: the desktop builds its link). static/domains.js does the same as you type.
 */
export function previewOf(template: string, user = 'user@example.com'): string {
  const problem = webmailTemplateProblem(template);
  if (problem) return problem;
  const values: Record<string, string> = { folder: encodeURIComponent('INBOX'), user: encodeURIComponent(user), folderBase64: Buffer.from('INBOX').toString('base64') };
  return template.replace(/\{([A-Za-z0-9]+)\}/g, (m, k: string) => values[k] ?? m);
}
