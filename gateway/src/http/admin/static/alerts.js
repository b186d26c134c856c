// The admin alert rule editor on the Scripts page (pages/alert-rules-editor.ts). It
//  - keeps the preview of the IM on the sample message current as the admin types (POST
//    /alert-rules/preview: the gateway's own matching and template expansion, nothing stored);
//  - inserts a macro into the IM text where the cursor is;
//  - saves the rule as JSON (POST to add, PUT to replace) with the session's CSRF token; a refused
//    rule stays in the form, its error shown and the named field marked (nothing was saved).
const form = document.querySelector('form[data-rule-form]');
const sample = document.querySelector('form[data-sample]');
const box = document.querySelector('[data-rule-preview]');
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

const value = (f, name) => f.elements.namedItem(name)?.value ?? '';
const list = (text) => text.split(/[\s,;]+/).filter(Boolean);

function conditionsAndAction() {
  const conditions = {};
  for (const k of ['folder', 'sender', 'subject', 'recipient']) {
    const v = value(form, `${k}Value`).trim();
    if (v) conditions[k] = { match: value(form, `${k}Match`), value: v };
  }
  const priorities = [...form.querySelectorAll('input[name="priority"]:checked')].map((e) => e.value);
  if (priorities.length) conditions.priority = priorities.length === 1 ? priorities[0] : priorities;
  const action = {};
  const to = value(form, 'to').trim();
  if (to) action.to = to;
  const template = value(form, 'template');
  if (template.trim()) action.template = template;
  return { conditions, action, domains: list(value(form, 'domains')), users: list(value(form, 'users')) };
}

async function call(url, method, body) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body), credentials: 'same-origin' });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json?.error?.message ?? `${res.status}`);
  return json;
}

let asked = 0;
async function preview() {
  const mine = ++asked;
  const mail = {};
  for (const el of sample.elements) if (el.name && el.value !== '') mail[el.name] = el.value;
  const error = box.querySelector('[data-preview-error]');
  try {
    const r = await call(form.dataset.preview, 'POST', { rule: conditionsAndAction(), mail });
    if (mine !== asked) return; // an answer to an older text
    error.hidden = true;
    const m = box.querySelector('[data-preview-matches]');
    m.dataset.previewMatches = String(r.matches);
    m.textContent = r.matches ? box.dataset.matchesText : box.dataset.nomatchText;
    box.querySelector('[data-preview-to]').textContent = r.to;
    box.querySelector('[data-preview-body]').textContent = r.body;
  } catch (e) {
    if (mine !== asked) return;
    error.textContent = e.message;
    error.hidden = false;
  }
}

/** The input a `field "rule.x.y"` error names. */
function fieldOf(message) {
  const path = /field "rule\.([^"]+)"/.exec(message)?.[1] ?? '';
  const [a, b] = path.split('.');
  const name = a === 'conditions' ? (b === 'priority' ? undefined : `${b}Value`) : a === 'action' ? b : a;
  return name ? form.elements.namedItem(name) : null;
}

if (form && sample && box) {
  form.addEventListener('input', preview);
  form.addEventListener('change', preview);
  sample.addEventListener('input', preview);
  sample.addEventListener('change', preview);
  sample.addEventListener('submit', (e) => e.preventDefault());

  const template = form.elements.namedItem('template');
  for (const b of document.querySelectorAll('[data-macro]')) {
    b.addEventListener('click', () => {
      const at = template.selectionStart ?? template.value.length;
      template.setRangeText(b.dataset.macro, at, template.selectionEnd ?? at, 'end');
      template.focus();
      void preview();
    });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errorEl = form.querySelector('[data-rule-error]');
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    errorEl.hidden = true;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const rule = { name: value(form, 'name').trim(), enabled: form.elements.namedItem('enabled').checked, ...conditionsAndAction() };
      await call(form.dataset.ruleApi, form.dataset.method, { rule });
      sessionStorage.setItem('herald-admin-flash', document.querySelector('[data-status]')?.dataset.done ?? 'Done.');
      // Without a fragment: a navigation that reloads the page, from /admin/scripts itself too.
      location.assign('/admin/scripts');
    } catch (e) {
      errorEl.textContent = e.message;
      errorEl.hidden = false;
      const field = fieldOf(e.message);
      if (field) {
        field.setAttribute('aria-invalid', 'true');
        field.focus();
      } else errorEl.focus?.();
    } finally {
      button.disabled = false;
    }
  });
}
