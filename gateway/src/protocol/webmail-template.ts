// The admin's webmail URL template (client.webmailUrl, handed to the desktop by GET /api/v1/config),
// checked where it is configured so a mistake stops the gateway with the key named, instead of
// reaching every desktop (desktop/src/core/webmail/webmail-url.ts applies the same rules when it
// opens a link). Either `<preset>:<base URL>` (roundcube, sogo, snappymail, horde) or an absolute
// http(s) URL with the placeholders {folder}, {user}, {folderBase64} — never in the scheme, host
// or port, and no credentials. Pure: no Node, shared with the desktop.

export const WEBMAIL_TEMPLATE_PRESETS = ['roundcube', 'sogo', 'snappymail', 'horde'] as const;
const PLACEHOLDERS = new Set(['folder', 'user', 'folderBase64']);

const expand = (template: string, v: string) => template.replace(/\{([A-Za-z0-9]*)\}/g, () => v);

/** Why a template cannot be used, or undefined when it is fine. An empty one is fine (no webmail). */
export function webmailTemplateProblem(spec: string): string | undefined {
  const text = spec.trim();
  if (!text) return undefined;
  const preset = /^([a-z]+):(?!\/\/)(.*)$/i.exec(text);
  if (preset && (WEBMAIL_TEMPLATE_PRESETS as readonly string[]).includes(preset[1]!.toLowerCase())) {
    const base = preset[2]!;
    if (!/^https?:\/\//i.test(base) || !URL.canParse(base)) return `the ${preset[1]} preset needs an http(s) base URL (${preset[1]}:https://mail.example.com/...)`;
    return new URL(base).username || new URL(base).password ? 'no user name or password in the webmail URL' : undefined;
  }
  for (const m of text.matchAll(/\{([A-Za-z0-9]*)\}/g)) {
    if (!PLACEHOLDERS.has(m[1]!)) return `unknown placeholder {${m[1]}} (use {folder}, {user} or {folderBase64})`;
  }
  let a: URL;
  let b: URL;
  try {
    a = new URL(expand(text, 'a'));
    b = new URL(expand(text, 'zz-other.example'));
  } catch {
    return `not an absolute URL, nor ${WEBMAIL_TEMPLATE_PRESETS.map((p) => `${p}:<url>`).join(', ')}`;
  }
  if (a.protocol !== 'http:' && a.protocol !== 'https:') return `only http and https webmail URLs are opened (got ${a.protocol})`;
  if (a.origin !== b.origin) return 'a placeholder may not stand in the scheme, host or port';
  if (a.username || a.password) return 'no user name or password in the webmail URL';
  return undefined;
}
