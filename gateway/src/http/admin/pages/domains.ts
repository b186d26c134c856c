// Domains: add, IM on/off (off asks first, naming how many live sessions will end), link and
// unlink, and each domain's client settings (webmail URL template with a live preview of the INBOX
// link, desktop updates).
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { webmailTemplateProblem } from '../../../protocol/webmail-template.ts';
import type { DomainView } from '../../../admin/domains.ts';
import type { Settings } from '../../../config/schema.ts';
import { UPDATE_MODES } from '../../../store/domains.ts';
import { html, type Safe } from '../html.ts';
import type { Translate } from '../i18n.ts';
import type { AdminPage } from '../page.ts';

const api = (path: string) => `${ADMIN_API_PREFIX}${path}`;

export const domainsPage: AdminPage = {
  path: 'domains',
  title: 'page.domains',
  nav: true,
  scripts: ['/admin/static/domains.js'],
  render({ t, deps }) {
    const domains = deps.admin.domains.list();
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
${clientSettings(domains, t, deps.settings)}`;
  },
};

/**
 * Each domain's client settings (admin/domains.ts setClient, the same as `domain set`): its webmail
 * URL template — its own, or the configuration file's (client.domains.<d>.webmailUrl, else
 * client.webmailUrl) — with the INBOX link previewed as the admin types (static/domains.js), and
 * the desktop update mode.
 */
function clientSettings(domains: DomainView[], t: Translate, settings: Settings): Safe {
  return html`<section class="card" aria-labelledby="client-h"><h2 id="client-h">${t('client.title')}</h2>
<p class="hint">${t('client.hint')}</p>
<div class="client-grid">${domains.map((d) => {
    const file = fileTemplate(settings, d.name);
    const tpl = d.webmailUrl ?? file.template;
    const user = `user@${d.name}`;
    const id = (k: string) => `client-${k}-${d.name}`;
    return html`<form data-client-form data-client-api="${api(`/domains/${encodeURIComponent(d.name)}/client`)}" data-domain="${d.name}" data-file-template="${file.template}" class="client" aria-labelledby="${id('h')}" novalidate>
<h3 id="${id('h')}">${d.name}</h3>
<label for="${id('webmail')}">${t('client.webmail')}</label>
<input id="${id('webmail')}" name="webmailUrl" value="${tpl}" class="wide" data-webmail-template autocomplete="off" spellcheck="false" aria-describedby="${id('ph')}" ${d.webmailUrl === null ? html`readonly` : null}>
<p class="hint" id="${id('ph')}">${t('client.placeholders')}</p>
<label class="check"><input type="checkbox" name="inherit" data-inherit ${d.webmailUrl === null ? html`checked` : null}> ${t('client.inherit')}</label>
<p class="hint" data-webmail-source>${t('client.from', { source: d.webmailUrl === null ? file.key : t('client.stored') })}</p>
<p>${t('client.inbox', { user })}: <output for="${id('webmail')}" data-webmail-preview data-user="${user}">${previewOf(tpl, user)}</output></p>
<label for="${id('updates')}">${t('client.updates')}</label>
<select id="${id('updates')}" name="updates">${UPDATE_MODES.map((m) => html`<option value="${m}" ${m === d.updates ? html`selected` : null}>${t(`client.updates.${m}`)}</option>`)}</select>
<p class="error" role="alert" data-client-error hidden></p>
<button type="submit">${t('client.save')}</button>
</form>`;
  })}</div>
</section>`;
}

/** The configuration file's template for a domain, and which key it is. */
function fileTemplate(settings: Settings, domain: string): { template: string; key: string } {
  const own = settings.client.domains[domain]?.webmailUrl;
  return own === undefined ? { template: settings.client.webmailUrl, key: 'client.webmailUrl' } : { template: own, key: `client.domains.${domain}.webmailUrl` };
}


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
