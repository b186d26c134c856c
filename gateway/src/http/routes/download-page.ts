// The download page's HTML: plain server-rendered pages, no script at all, one small stylesheet
// (served by download-routes.ts so the CSP can forbid inline styles). Every value is escaped.
// Accessibility: one h1 per page, labels bound to fields, errors in role="alert" and tied to the
// fields with aria-describedby, visible focus, works at 200 % zoom and in dark mode.

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface PlatformChoice {
  id: string;
  label: string;
  /** What would be served ("zip, 98 MB"), or undefined when there is no build. */
  available: string | undefined;
  /** The portable zip offered instead of a stamped installer ("zip, 98 MB"). */
  fallback?: string;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<link rel="icon" href="/download/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/download/style.css">
</head>
<body>
<main>
<p class="brand"><img src="/download/icon.svg" alt="" width="28" height="28"> Herald</p>
${body}
</main>
</body>
</html>
`;
}

export interface FormPage {
  csrf: string;
  platforms: PlatformChoice[];
  selected: string | undefined;
  user?: string;
  error?: string;
  issuer: string;
  ttlHours: number;
}

export function formPage(p: FormPage): string {
  const options = p.platforms
    .map((o) => `<option value="${esc(o.id)}"${o.id === p.selected ? ' selected' : ''}>${esc(o.label)}${o.available ? ` — ${esc(o.available)}` : ' — not available yet'}</option>`)
    .join('\n');
  const err = p.error ? `<p class="error" role="alert" id="form-error">${esc(p.error)}</p>` : '';
  const described = p.error ? ' aria-describedby="form-error"' : '';
  // The installer is the default (Enter submits the first button); a Windows zip, if there is
  // one, is a second submit button: no script needed to pick it.
  const zips = p.platforms.filter((o) => o.fallback);
  const fallback = zips.length
    ? `<p class="alt"><button type="submit" class="link" name="format" value="zip" aria-describedby="zip-hint">Download the portable zip instead</button></p>\n<p class="hint" id="zip-hint">${esc(zips.map((o) => `${o.label}: ${o.fallback}`).join('; '))} — no installation: unpack it and start Herald.exe.</p>\n`
    : '';
  const valid = p.ttlHours % 24 === 0 ? `${p.ttlHours / 24} day${p.ttlHours === 24 ? '' : 's'}` : `${p.ttlHours} hour${p.ttlHours === 1 ? '' : 's'}`;
  return layout(
    'Download Herald',
    `<h1>Download Herald</h1>
<p class="lead">Sign in with your mail address and password. You get Herald already set up for you: it signs you in by itself, with no server address to type.</p>
${err}
<form method="post" action="/download" novalidate>
<input type="hidden" name="csrf" value="${esc(p.csrf)}">
<div class="field">
<label for="user">Mail address</label>
<input id="user" name="user" type="email" autocomplete="username" required spellcheck="false" autocapitalize="none" value="${esc(p.user ?? '')}"${described}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
</div>
<div class="field">
<label for="platform">Your computer</label>
<select id="platform" name="platform" aria-describedby="platform-hint">
${options}
</select>
<p class="hint" id="platform-hint">Chosen from your browser; change it to download for another computer.</p>
</div>
<button type="submit">Download</button>
${fallback}</form>
<p class="note">The package holds a personal sign-in that works once and expires after ${esc(valid)}. Do not pass it on: anyone who opens it first is signed in as you. Download again for another computer.</p>
<footer>${esc(p.issuer)}</footer>`,
  );
}

export function messagePage(o: { title: string; paragraphs: string[]; back?: { href: string; label: string } }): string {
  return layout(
    o.title,
    `<h1>${esc(o.title)}</h1>
${o.paragraphs.map((t) => `<p>${esc(t)}</p>`).join('\n')}
${o.back ? `<p><a class="button" href="${esc(o.back.href)}">${esc(o.back.label)}</a></p>` : ''}`,
  );
}

/** For an installer that cannot carry provision.json: the installer plus the user's sign-in link. */
export function installerPage(o: { platform: string; user: string; installerHref: string; installerName: string; size: string; deepLink: string; expires: string }): string {
  return layout(
    `Herald for ${o.platform}`,
    `<h1>Herald for ${esc(o.platform)}</h1>
<p class="lead">Signed in as <strong>${esc(o.user)}</strong>.</p>
<ol class="steps">
<li><p>Download the installer and install Herald:</p>
<p><a class="button" href="${esc(o.installerHref)}" download>Download ${esc(o.installerName)}</a></p>
<p class="hint">${esc(o.size)}, the same for everyone.</p></li>
<li><p>Then open your personal sign-in link, and Herald signs you in:</p>
<p><a class="button secondary" href="${esc(o.deepLink)}">Sign in to Herald</a></p>
<p class="hint">It works once, until ${esc(o.expires)}. Do not pass it on.</p></li>
</ol>
<p><a href="/download">Back to the download page</a></p>`,
  );
}

export const DOWNLOAD_CSS = `*,*::before,*::after{box-sizing:border-box}
:root{--bg:#f4f5f7;--card:#fff;--text:#1c1f24;--muted:#5a6270;--accent:#1f5fbf;--accent-text:#fff;--border:#c9ced6;--error-bg:#fdecec;--error:#a4161a;--focus:#ffbf47}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--card:#202329;--text:#eceef1;--muted:#a9b0bc;--accent:#6ea2ff;--accent-text:#0c1424;--border:#3b414b;--error-bg:#3a1d1f;--error:#ffb4b0}}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:var(--bg);color:var(--text)}
body{margin:0;padding:2rem 1rem}
main{max-width:32rem;margin:0 auto;background:var(--card);border:1px solid var(--border);border-radius:8px;padding:1.5rem 1.75rem}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:700;color:var(--muted);margin:0 0 1rem}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}
p{margin:.5rem 0 1rem}
.lead{color:var(--muted)}
.field{margin:0 0 1.1rem}
label{display:block;font-weight:600;margin-bottom:.3rem}
input,select{display:block;width:100%;font:inherit;color:inherit;background:var(--card);border:1px solid var(--border);border-radius:4px;padding:.55rem .65rem}
button.link{background:none;border:0;padding:0;color:var(--accent);font-weight:400;text-decoration:underline}
.alt{margin:1rem 0 0}
button,.button{display:inline-block;font:inherit;font-weight:600;border:0;border-radius:4px;padding:.6rem 1.25rem;background:var(--accent);color:var(--accent-text);cursor:pointer;text-decoration:none}
.button.secondary{background:transparent;color:var(--accent);border:2px solid var(--accent);padding:.45rem 1rem}
input:focus-visible,select:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
a{color:var(--accent)}
.hint{color:var(--muted);font-size:.9rem;margin:.3rem 0 0}
.note{color:var(--muted);font-size:.9rem;border-top:1px solid var(--border);padding-top:1rem;margin-top:1.5rem}
.error{background:var(--error-bg);color:var(--error);border-left:4px solid var(--error);padding:.6rem .8rem;border-radius:4px}
.steps{padding-left:1.25rem}
.steps li{margin-bottom:1.25rem}
.steps p{margin:.25rem 0 .5rem}
footer{color:var(--muted);font-size:.8rem;text-align:right;margin-top:1rem}
@media (max-width:30rem){body{padding:.75rem .5rem}main{padding:1.25rem 1rem}}
`;

/** The page's icon (and favicon): an envelope with a speech bubble, in the page's accent colour. */
export const DOWNLOAD_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="7" width="22" height="16" rx="2" fill="#1f5fbf"/><path d="M3 9l10 7 10-7" fill="none" stroke="#fff" stroke-width="2"/><path d="M20 14h9a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2h-3l-3 3v-3h-3a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2z" fill="#f0a400" stroke="#fff" stroke-width="1.2"/></svg>
`;
