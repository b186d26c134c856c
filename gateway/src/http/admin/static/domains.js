// Each domain's client settings on the Domains page (pages/domains.ts): the INBOX link previewed as
// the admin types the webmail URL template (the server renders the first one the same way:
// pages/domains.ts previewOf), "use the configuration file's" putting the file's template back,
// and saving as JSON (POST /domains/<d>/client, CSRF token in X-CSRF-Token). A refused template
// stays in the form with the gateway's reason (the CLI's own check, admin/domains.ts); nothing saved.
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

function link(template, user) {
  const values = { folder: encodeURIComponent('INBOX'), user: encodeURIComponent(user), folderBase64: btoa('INBOX') };
  return template.replace(/\{([A-Za-z0-9]+)\}/g, (m, k) => values[k] ?? m);
}

for (const form of document.querySelectorAll('form[data-client-form]')) {
  const input = form.querySelector('[data-webmail-template]');
  const out = form.querySelector('[data-webmail-preview]');
  const inherit = form.querySelector('[data-inherit]');
  const errorEl = form.querySelector('[data-client-error]');
  const preview = () => {
    out.textContent = link(input.value, out.dataset.user);
  };
  input.addEventListener('input', preview);
  inherit.addEventListener('change', () => {
    input.readOnly = inherit.checked;
    if (inherit.checked) input.value = form.dataset.fileTemplate;
    preview();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorEl.hidden = true;
    input.removeAttribute('aria-invalid');
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const body = { webmailUrl: inherit.checked ? null : input.value, updates: form.elements.namedItem('updates').value };
      const res = await fetch(form.dataset.clientApi, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body), credentials: 'same-origin' });
      const json = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(json?.error?.message ?? `${res.status}`);
      sessionStorage.setItem('herald-admin-flash', document.querySelector('[data-status]')?.dataset.done ?? 'Done.');
      location.reload();
    } catch (e) {
      errorEl.textContent = e.message;
      errorEl.hidden = false;
      if (/webmailUrl/.test(e.message)) {
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
}
