// Packages: the desktop builds in the builds folder (provisioning/build-catalog.ts: version,
// platform, whether it can be stamped per user), and the provisioning signing key's id and
// fingerprint (SHA-256 of the raw Ed25519 public key, RFC 8032), which an admin compares with
// what a build ships in provision-keys.json. Bulk packages for a domain: a server-side job
// (bulk-packages.ts) with a progress bar (static/packages.js polls it) and the zip of the result.
import { createHash } from 'node:crypto';
import { ADMIN_API_PREFIX } from '../../../protocol/admin-api.ts';
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';
import { sizeOf } from './log.ts';

/** SHA-256 of the raw public key, as colon-separated hex pairs (like `ssh-keygen -l`). */
export function fingerprintOf(x: string): string {
  return (
    createHash('sha256')
      .update(Buffer.from(x, 'base64url'))
      .digest('hex')
      .toUpperCase()
      .match(/../g)
      ?.join(':') ?? ''
  );
}

export const packagesPage: AdminPage = {
  path: 'packages',
  title: 'page.packages',
  nav: true,
  scripts: ['/admin/static/packages.js'],
  render({ t, deps }) {
    const p = deps.provisioning;
    if (!p) return html`<p>${t('packages.off')}</p>`;
    const builds = p.builds();
    const stampable = builds.filter((b) => b.stampable);
    const domains = deps.admin.domains.list().filter((d) => d.users > 0);
    return html`<section class="card" aria-labelledby="builds-h"><h2 id="builds-h">${t('packages.builds')}</h2>
${
  builds.length
    ? html`<div class="table-wrap"><table data-builds>
<thead><tr><th scope="col">${t('packages.file')}</th><th scope="col">${t('packages.version')}</th><th scope="col">${t('packages.platform')}</th><th scope="col">${t('packages.stamped')}</th><th scope="col">${t('packages.size')}</th></tr></thead>
<tbody>${builds.map((b) => html`<tr><th scope="row"><code>${b.name}</code></th><td>${b.version}</td><td>${b.os} ${b.arch}</td><td>${b.stampable ? t('users.yes') : t('users.no')}</td><td>${sizeOf(b.size)}</td></tr>`)}</tbody></table></div>`
    : html`<p>${t('packages.noBuilds', { dir: p.buildsDir })}</p>`
}
<p class="hint"><code>${p.buildsDir}</code></p>
</section>
<section class="card" aria-labelledby="key-h"><h2 id="key-h">${t('packages.key')}</h2>
<dl class="facts"><dt>${t('packages.keyId')}</dt><dd><code>${p.key.kid}</code></dd>
<dt>${t('packages.fingerprint')}</dt><dd><code data-fingerprint>${fingerprintOf(p.key.publicJwk.x)}</code></dd></dl>
</section>
<section class="card" aria-labelledby="bulk-h"><h2 id="bulk-h">${t('packages.bulk')}</h2>
${
  stampable.length && domains.length
    ? html`<form class="grid" data-bulk="${ADMIN_API_PREFIX}/packages/bulk" data-running="${t('packages.running')}" data-failed="${t('packages.failed')}">
<label for="bulk-domain">${t('domains.name')}</label><select id="bulk-domain" name="domain">${domains.map((d) => html`<option value="${d.name}">${d.name} (${d.users})</option>`)}</select>
<label for="bulk-build">${t('packages.file')}</label><select id="bulk-build" name="build">${stampable.map((b) => html`<option>${b.name}</option>`)}</select>
<button type="submit">${t('packages.start')}</button>
</form>
<div class="bulk-progress" data-bulk-progress hidden><label for="bulk-bar">${t('packages.progress')}</label> <progress id="bulk-bar" max="1" value="0"></progress> <output for="bulk-bar" data-bulk-count></output>
<p><a class="button" data-bulk-zip hidden download>${t('packages.zip')}</a></p></div>`
    : null
}
<p class="hint">${t('packages.bulkHint')}</p>
</section>`;
  },
};
