// The console's one behaviour module (no inline script: the CSP forbids it). It
//  - sends every <form data-api="URL" data-method="POST|DELETE"> to the admin API as JSON, with the
//    session's CSRF token (meta csrf-token) in X-CSRF-Token;
//  - asks first (data-confirm="text", or an answer {needsConfirmation, message}: then sends again
//    with confirm: true) in a <dialog>;
//  - shows the outcome in the page's status region, then reloads (or goes to data-then="/path",
//    or shows an answer's QR code and link with data-then="show");
//  - toggles dark mode (cookie herald_admin_theme, read by the server on the next page).
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const statusEl = document.querySelector('[data-status]');
const FLASH = 'herald-admin-flash';

function say(text, isError = false) {
  if (!statusEl) return;
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}
const flash = sessionStorage.getItem(FLASH);
if (flash) {
  sessionStorage.removeItem(FLASH);
  say(flash);
}

function ask(text) {
  const dialog = document.querySelector('[data-confirm-dialog]');
  if (!dialog || typeof dialog.showModal !== 'function') return Promise.resolve(window.confirm(text));
  dialog.querySelector('[data-confirm-text]').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  dialog.querySelector('button[value="ok"]').focus();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

function fields(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') body[el.name] = el.checked;
    else if (el.value !== '') body[el.name] = el.value;
  }
  return body;
}

async function send(form, extra = {}) {
  const res = await fetch(form.dataset.api, {
    method: form.dataset.method || 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ ...fields(form), ...extra }),
    credentials: 'same-origin',
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json?.error?.message ?? `${res.status}`);
  return json;
}

function showResult(form, json) {
  const box = form.querySelector('[data-result]');
  if (!box) return;
  box.replaceChildren();
  if (json.qr) {
    const img = document.createElement('img');
    img.src = json.qr;
    img.alt = 'QR code';
    img.className = 'qr';
    box.append(img);
  }
  if (json.link) {
    const code = document.createElement('code');
    code.className = 'link';
    code.textContent = json.link;
    box.append(code);
  }
  if (json.expiresAt) {
    const p = document.createElement('p');
    p.textContent = json.expiresAt;
    box.append(p);
  }
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  if (form.dataset.confirm && !(await ask(form.dataset.confirm))) return;
  button?.setAttribute('disabled', '');
  try {
    let json = await send(form);
    if (json.needsConfirmation) {
      if (!(await ask(json.message))) return;
      json = await send(form, { confirm: true });
    }
    const done = statusEl?.dataset.done ?? 'Done.';
    if (form.dataset.then === 'show') {
      showResult(form, json);
      say(done);
      return;
    }
    sessionStorage.setItem(FLASH, done);
    if (form.dataset.then) location.assign(form.dataset.then);
    else location.reload();
  } catch (e) {
    say(e.message, true);
  } finally {
    button?.removeAttribute('disabled');
  }
});

for (const button of document.querySelectorAll('[data-theme-toggle]')) {
  button.addEventListener('click', () => {
    const root = document.documentElement;
    const dark = root.dataset.theme === 'dark' || (root.dataset.theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
    const next = dark ? 'light' : 'dark';
    root.dataset.theme = next;
    button.setAttribute('aria-pressed', String(next === 'dark'));
    document.cookie = `herald_admin_theme=${next}; path=/; max-age=31536000; samesite=strict`;
  });
}
