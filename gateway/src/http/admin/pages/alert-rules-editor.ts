// The Scripts page's admin alert rules: which list is in effect (the config file's, or the one
// saved here, which overrides it), the rules with switch on/off, edit and delete, and the editor —
// the macros beside it and a preview of the IM on a sample message that static/alerts.js keeps
// current as the admin types (POST /alert-rules/preview: the engine's own matching and expansion).
// Saving goes through the admin API (admin/alert-rules-admin.ts); a refused rule saves nothing and
// the error names the field.
import { sampleMacros } from '../../../admin/alert-preview.ts';
import type { AdminAlertRule } from '../../../protocol/admin-alerts.ts';
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import type { AlertConditions } from '../../../protocol/api.ts';
import { SAMPLE_MAIL } from '../../../im/alerts/preview.ts';
import { html, type Safe } from '../html.ts';
import type { PageContext } from '../page.ts';

const api = (p: string) => `${ADMIN_API_PREFIX}/alert-rules${p}`;
const TEXT_CONDITIONS = ['folder', 'sender', 'subject', 'recipient'] as const;
const MATCHES = ['contains', 'equals', 'glob'] as const;
const PRIORITIES = ['high', 'normal', 'low'] as const;

function conditionsText(c: AlertConditions, t: PageContext['t']): string {
  const parts: string[] = [];
  for (const k of TEXT_CONDITIONS) {
    const m = c[k];
    if (m) parts.push(`${t(`rules.${k}`)} ${t(`rules.match.${m.match}`)} “${m.value}”`);
  }
  if (c.priority) parts.push(`${t('rules.priority')}: ${[c.priority].flat().map((p) => t(`rules.${p}`)).join(', ')}`);
  return parts.length ? parts.join('; ') : t('rules.any');
}

function ruleRow(r: AdminAlertRule, t: PageContext['t']): Safe {
  const base = api(`/${encodeURIComponent(r.name)}`);
  return html`<tr data-rule="${r.name}"><th scope="row">${r.name}</th>
<td>${[...r.domains, ...r.users].join(', ')}</td><td>${conditionsText(r.conditions, t)}</td><td>${r.action.to ?? t('rules.owner')}</td>
<td data-rule-on>${r.enabled ? t('rules.enabled') : t('rules.disabled')}</td>
<td class="actions"><a class="button small ghost" href="/admin/scripts?edit=${encodeURIComponent(r.name)}#rule-editor-h">${t('rules.edit')}</a>
<form data-api="${base}/enabled" data-method="POST"><input type="hidden" name="enabled" value="${r.enabled ? 'false' : 'true'}"><button type="submit" class="small">${r.enabled ? t('rules.disable') : t('rules.enable')}</button></form>
<form data-api="${base}" data-method="DELETE" data-confirm="${t('rules.confirmDelete', { name: r.name })}"><button type="submit" class="small danger">${t('rules.delete')}</button></form></td></tr>`;
}

function textCondition(k: (typeof TEXT_CONDITIONS)[number], r: AdminAlertRule | undefined, t: PageContext['t']): Safe {
  const m = r?.conditions[k];
  return html`<label for="rule-${k}">${t(`rules.${k}`)}</label>
<span class="pair"><select name="${k}Match" aria-label="${t(`rules.${k}`)}: ${t('rules.conditions')}">${MATCHES.map((x) => html`<option value="${x}" ${m?.match === x ? html`selected` : null}>${t(`rules.match.${x}`)}</option>`)}</select>
<input id="rule-${k}" name="${k}Value" value="${m?.value ?? ''}" autocomplete="off"></span>`;
}

export function alertRulesSection({ t, deps, query }: PageContext): Safe | null {
  const p = deps.live.pages;
  if (!p) return null;
  const view = p.alertRules.view();
  const editName = query.get('edit');
  const editing = editName === null ? undefined : view.rules.find((r) => r.name.toLowerCase() === editName.toLowerCase());
  const style = { timeZone: deps.settings.im.timeZone, locale: deps.settings.im.locale };
  const first = p.alertRules.preview({ rule: { conditions: editing?.conditions ?? {}, action: editing?.action ?? {}, domains: editing?.domains ?? [], users: editing?.users ?? [] }, mail: {} });
  const priorities = editing?.conditions.priority === undefined ? [] : [editing.conditions.priority].flat();
  const sourceText =
    view.source === 'console' ? t('rules.sourceConsole', { when: (view.updatedAt ?? '').replace('T', ' ').slice(0, 19), count: view.fileRules }) : t('rules.sourceFile');
  return html`<section class="card" aria-labelledby="alerts-h"><h2 id="alerts-h">${t('alerts.admin')}</h2>
<p data-alert-source="${view.source}">${sourceText}</p>
${
  view.source === 'console'
    ? html`<form data-api="${api('')}" data-method="DELETE" data-confirm="${t('rules.confirmReset')}" class="inline"><button type="submit" class="small ghost">${t('rules.reset')}</button></form>`
    : null
}
${
  view.rules.length
    ? html`<div class="table-wrap"><table data-admin-rules><thead><tr><th scope="col">${t('rules.name')}</th><th scope="col">${t('rules.appliesTo')}</th><th scope="col">${t('rules.conditions')}</th><th scope="col">${t('rules.sendsTo')}</th><th scope="col">${t('rules.on')}</th><th scope="col">${t('users.actions')}</th></tr></thead>
<tbody>${view.rules.map((r) => ruleRow(r, t))}</tbody></table></div>`
    : html`<p>${t('rules.none')}</p>`
}
<h3 id="rule-editor-h">${editing ? t('rules.editing', { name: editing.name }) : t('rules.add')}</h3>
<div class="editor">
<form data-rule-form data-rule-api="${editing ? api(`/${encodeURIComponent(editing.name)}`) : api('')}" data-method="${editing ? 'PUT' : 'POST'}" data-preview="${api('/preview')}" class="grid" aria-labelledby="rule-editor-h" novalidate>
<label for="rule-name">${t('rules.name')}</label><input id="rule-name" name="name" value="${editing?.name ?? ''}" required autocomplete="off">
<label class="check"><input type="checkbox" name="enabled" ${editing?.enabled === false ? null : html`checked`}> ${t('rules.enabled')}</label>
<label for="rule-domains">${t('rules.domains')}</label><input id="rule-domains" name="domains" value="${editing?.domains.join(', ') ?? ''}" autocomplete="off" aria-describedby="rule-list-hint">
<label for="rule-users">${t('rules.users')}</label><input id="rule-users" name="users" value="${editing?.users.join(', ') ?? ''}" autocomplete="off" aria-describedby="rule-list-hint">
<p class="hint" id="rule-list-hint">${t('rules.listHint')}</p>
${TEXT_CONDITIONS.map((k) => textCondition(k, editing, t))}
<span class="label">${t('rules.priority')}</span><span class="pair" role="group" aria-label="${t('rules.priority')}">${PRIORITIES.map((x) => html`<label class="check"><input type="checkbox" name="priority" value="${x}" ${priorities.includes(x) ? html`checked` : null}> ${t(`rules.${x}`)}</label>`)}</span>
<label for="rule-to">${t('rules.to')}</label><input id="rule-to" name="to" type="email" value="${editing?.action.to ?? ''}" placeholder="${t('rules.owner')}" autocomplete="off">
<label for="rule-template">${t('rules.template')}</label><textarea id="rule-template" name="template" rows="3" aria-describedby="rule-template-hint">${editing?.action.template ?? ''}</textarea>
<p class="hint" id="rule-template-hint">${t('rules.templateHint')}</p>
<p class="error wide-row" role="alert" data-rule-error hidden></p>
<span class="buttons"><button type="submit">${t('rules.save')}</button>${editing ? html` <a class="button ghost" href="/admin/scripts#alerts-h">${t('rules.cancel')}</a>` : null}</span>
</form>
<aside aria-labelledby="macros-h">
<h4 id="macros-h">${t('alerts.macros')}</h4>
<dl class="facts macros">${Object.entries(sampleMacros(style)).map(([k, v]) => html`<dt><button type="button" class="small ghost" data-macro="$${k}$">$${k}$</button></dt><dd>${v}</dd>`)}</dl>
<h4 id="sample-h">${t('rules.sample')}</h4>
<form data-sample class="grid" aria-labelledby="sample-h">
<label for="sample-fromName">${t('rules.fromName')}</label><input id="sample-fromName" name="fromName" value="${SAMPLE_MAIL.fromName}">
<label for="sample-fromAddress">${t('rules.fromAddress')}</label><input id="sample-fromAddress" name="fromAddress" value="${SAMPLE_MAIL.fromAddress}">
<label for="sample-subject">${t('rules.subject')}</label><input id="sample-subject" name="subject" value="${SAMPLE_MAIL.subject}">
<label for="sample-folder">${t('rules.folder')}</label><input id="sample-folder" name="folder" value="${SAMPLE_MAIL.folder}">
<label for="sample-priority">${t('rules.priority')}</label><select id="sample-priority" name="priority">${PRIORITIES.map((x) => html`<option value="${x}" ${x === SAMPLE_MAIL.priority ? html`selected` : null}>${t(`rules.${x}`)}</option>`)}</select>
</form>
<h4 id="preview-h">${t('rules.previewTitle')}</h4>
<div data-rule-preview aria-live="polite" aria-labelledby="preview-h" data-matches-text="${t('rules.matches')}" data-nomatch-text="${t('rules.noMatch')}">
<p data-preview-matches="${String(first.matches)}">${first.matches ? t('rules.matches') : t('rules.noMatch')}</p>
<p>${t('rules.previewTo')}: <span data-preview-to>${first.to}</span></p>
<pre class="im" data-preview-body>${first.body}</pre>
<p class="error" data-preview-error hidden></p>
</div>
</aside>
</div>
</section>`;
}

