// The webmail template's INBOX link, previewed as the admin types (the server renders the first one
// the same way: pages/domains.ts previewOf).
const input = document.querySelector('[data-webmail-template]');
const out = document.querySelector('[data-webmail-preview]');
if (input && out) {
  const preview = () => {
    const values = { folder: encodeURIComponent('INBOX'), user: encodeURIComponent('user@example.com'), folderBase64: btoa('INBOX') };
    out.textContent = input.value.replace(/\{([A-Za-z0-9]+)\}/g, (m, k) => values[k] ?? m);
  };
  input.addEventListener('input', preview);
}
