// Packages page: starts a bulk job (POST with the session's CSRF token), then polls its progress
// (GET every half second) into the <progress> bar until the zip is ready to download.
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const form = document.querySelector('form[data-bulk]');
const box = document.querySelector('[data-bulk-progress]');
const bar = box?.querySelector('progress');
const count = box?.querySelector('[data-bulk-count]');
const zip = box?.querySelector('[data-bulk-zip]');
const statusEl = document.querySelector('[data-status]');

const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
function say(text, isError) {
  if (!statusEl) return;
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

async function poll(url) {
  for (;;) {
    const res = await fetch(url, { credentials: 'same-origin' });
    const job = await res.json();
    if (!res.ok) throw new Error(job?.error?.message ?? String(res.status));
    bar.max = job.total;
    bar.value = job.done;
    count.textContent = fill(form.dataset.running, job);
    if (job.state === 'done') {
      zip.href = `${url}/zip`;
      zip.hidden = false;
      zip.focus();
      say(statusEl?.dataset.done ?? 'Done.', false);
      return;
    }
    if (job.state === 'failed') throw new Error(fill(form.dataset.failed, job));
    await new Promise((r) => setTimeout(r, 500));
  }
}

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  button.setAttribute('disabled', '');
  zip.hidden = true;
  box.hidden = false;
  try {
    const res = await fetch(form.dataset.bulk, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ domain: form.elements.domain.value, build: form.elements.build.value }),
      credentials: 'same-origin',
    });
    const job = await res.json();
    if (!res.ok) throw new Error(job?.error?.message ?? String(res.status));
    await poll(`${form.dataset.bulk}/${encodeURIComponent(job.id)}`);
  } catch (e) {
    say(e.message, true);
  } finally {
    button.removeAttribute('disabled');
  }
});
