// The signed-in admin's second factor: a new key with its QR code (otpauth:// URI, RFC 6238 via
// an authenticator app), turned on only by a first right code; afterwards the key is never shown.
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { newTotpSecret } from '../../../admin/totp.ts';
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

export const totpPage: AdminPage = {
  path: 'totp',
  title: 'page.totp',
  nav: true,
  async render({ t, session, deps }) {
    if (deps.admin.totp.enrolled(session.accountId)) return html`<p>${t('totp.enrolled')}</p>`;
    // A fresh key each time the page is opened; it is kept in this console session only until confirmed.
    const { secret, uri } = newTotpSecret(session.address);
    session.pendingTotp = secret;
    // qrcode on first use, not at start (RSS at rest, issue 12).
    const { default: QRCode } = await import('qrcode');
    const qr = await QRCode.toString(uri, { type: 'svg', margin: 1 });
    const dataUrl = `data:image/svg+xml;base64,${Buffer.from(qr).toString('base64')}`;
    return html`<section class="card totp">
<p>${t('totp.scan')}</p>
<img src="${dataUrl}" alt="QR code" width="200" height="200" class="qr">
<p>${t('totp.key')}: <code data-totp-secret>${secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
<p class="hint">${t('totp.once')}</p>
<form data-api="${ADMIN_API_PREFIX}/me/totp" data-method="POST" class="grid">
<label for="totp-code">${t('totp.code')}</label><input id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code" required pattern="[0-9 ]{6,8}">
<button type="submit">${t('totp.confirm')}</button>
</form></section>`;
  },
};
