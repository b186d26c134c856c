// Webmail links: a URL template with placeholders, expanded for a folder, and a guard so that
// only http(s) URLs on the webmail's own origin are ever handed to the browser.
//   {folder}       the folder path, percent-encoded as one URI component (RFC 3986 §2.1: every
//                  character outside the unreserved set, so `/`, `&`, `#`, `%`, `+` stay inside)
//   {user}         the signed-in address, percent-encoded the same way
//   {folderBase64} the folder path as base64url of its UTF-8 bytes (Horde's mailbox ids)
// A template is either a full URL template or `<preset>:<base URL>` (roundcube, sogo, snappymail,
// horde), so an admin's `client.webmailUrl` can simply name the product and where it lives.
import type { WebmailPreset } from '../../shared/settings.ts';

export class WebmailUrlError extends Error {
  override name = 'WebmailUrlError';
}

const PRESETS: Record<WebmailPreset, (base: string) => string> = {
  // Roundcube: ?_task=mail&_mbox=<folder> (program/js/app.js builds the same query).
  roundcube: (b) => `${b}/?_task=mail&_mbox={folder}`,
  // SOGo (base: where SOGo lives, e.g. https://mail.example.com/SOGo): the Angular state
  // mail.account.mailbox, url /Mail/:accountId/:mailboxId, mailboxId the URI-encoded path.
  sogo: (b) => `${b}/so/{user}/Mail/view#!/Mail/0/{folder}`,
  // SnappyMail (and RainLoop): hash route #/mailbox/<folder>.
  snappymail: (b) => `${b}/#/mailbox/{folder}`,
  // Horde IMP dynamic view: mailbox ids are base64url of the IMAP path.
  horde: (b) => `${b}/imp/dynamic.php?page=mailbox#mbox:{folderBase64}`,
};
export const WEBMAIL_PRESETS = Object.keys(PRESETS) as WebmailPreset[];

const PLACEHOLDER = /\{([A-Za-z0-9]*)\}/g;
const KNOWN = new Set(['folder', 'user', 'folderBase64']);

/** Template of a preset for a base URL (trailing slashes dropped). */
export function presetTemplate(preset: WebmailPreset, baseUrl: string): string {
  return PRESETS[preset](baseUrl.replace(/\/+$/, ''));
}

/** A template as written (full, or `<preset>:<base>`) → the full template; checked by validateTemplate. */
export function resolveTemplate(spec: string): string {
  const m = /^(roundcube|sogo|snappymail|horde):(https?:\/\/.*)$/i.exec(spec.trim());
  const template = m ? presetTemplate(m[1]!.toLowerCase() as WebmailPreset, m[2]!) : spec.trim();
  validateTemplate(template);
  return template;
}

/** Replaces lone surrogates (which encodeURIComponent refuses) with U+FFFD. */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** RFC 3986 percent-encoding of one component: only ALPHA DIGIT - . _ ~ stay as they are. */
export function encodeComponent(s: string): string {
  return encodeURIComponent(wellFormed(s)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function base64url(s: string): string {
  return Buffer.from(wellFormed(s), 'utf8').toString('base64url');
}

function fill(template: string, values: { folder: string; user: string }): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    if (name === 'folder') return encodeComponent(values.folder);
    if (name === 'user') return encodeComponent(values.user);
    if (name === 'folderBase64') return base64url(values.folder);
    throw new WebmailUrlError(`unknown placeholder {${name}} in the webmail URL template`);
  });
}

/**
 * Checks a template: an absolute http(s) URL without credentials, known placeholders only, and
 * none in the scheme, host or port (a folder name must never choose where the browser goes).
 * Returns the webmail origin.
 */
export function validateTemplate(template: string): string {
  if (!template) throw new WebmailUrlError('no webmail URL template is configured');
  for (const m of template.matchAll(PLACEHOLDER)) if (!KNOWN.has(m[1]!)) throw new WebmailUrlError(`unknown placeholder {${m[1]}} in the webmail URL template`);
  let a: URL;
  let b: URL;
  try {
    a = new URL(fill(template, { folder: 'a', user: 'a@a.a' }));
    b = new URL(fill(template, { folder: 'zz-other.example', user: 'zz@other.example' }));
  } catch {
    throw new WebmailUrlError(`the webmail URL template is not an absolute URL: ${template}`);
  }
  if (a.protocol !== 'http:' && a.protocol !== 'https:') throw new WebmailUrlError(`the webmail URL must be http or https, not ${a.protocol}`);
  if (a.username || a.password) throw new WebmailUrlError('the webmail URL template must not contain credentials');
  if (a.origin !== b.origin) throw new WebmailUrlError('placeholders may not be used in the scheme, host or port of the webmail URL');
  return a.origin;
}

/** The webmail URL for a folder; throws WebmailUrlError if the template is unusable or the result leaves its origin. */
export function webmailUrl(template: string, values: { folder: string; user: string }): string {
  const origin = validateTemplate(template);
  const url = fill(template, values);
  if (!isAllowedWebmailUrl(url, origin)) throw new WebmailUrlError(`refusing to open ${url}: not under ${origin}`);
  return url;
}

/** True only for an http(s) URL without credentials whose origin is exactly the webmail's. */
export function isAllowedWebmailUrl(url: string, origin: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && u.origin === origin;
}
