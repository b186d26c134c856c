// A whole conversation out of the history folder as a file a person keeps or sends on: plain text
// (one message per entry, continuation lines indented) or one self-contained HTML page. The HTML
// carries only escaped text — never the stored XHTML-IM markup, never a script — and a
// Content-Security-Policy that forbids loading anything, so a message such as
// `<img src=x onerror=…>` is shown as the characters it is, wherever the file is opened.
import type { HistoryEntry } from './history-format.ts';
import { conversationFolder } from './history-store.ts';

export type ExportFormat = 'text' | 'html';

export interface ExportedConversation {
  /** A file name (no folder): safe on every file system. */
  name: string;
  content: string;
}

/** `2026-12-07 14:01:02` (UTC, as the history files keep it). */
const when = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

/** HTML text and attribute escaping (HTML Living Standard §13.1.2.6: the five characters that matter). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Only web addresses become links; anything else (javascript:, data:, file:) stays text. */
const linkable = (url: string): boolean => /^https?:\/\//i.test(url);

export function exportConversation(conversation: string, entries: readonly HistoryEntry[], format: ExportFormat, exportedAt: Date): ExportedConversation {
  const base = `herald-${conversationFolder(conversation)}`;
  return format === 'html'
    ? { name: `${base}.html`, content: toHtml(conversation, entries, exportedAt) }
    : { name: `${base}.txt`, content: toText(conversation, entries, exportedAt) };
}

function toText(conversation: string, entries: readonly HistoryEntry[], exportedAt: Date): string {
  const out = [`Conversation with ${conversation}`, `Exported ${when(exportedAt.toISOString())} UTC, ${entries.length} message(s)`, ''];
  for (const e of entries) {
    const [first = '', ...rest] = e.body.split(/\r\n|\r|\n/);
    out.push(`[${when(e.at)}] ${e.from}: ${first}`);
    for (const line of rest) out.push(`    ${line}`);
    for (const a of e.attachments ?? []) if (a.url !== e.body) out.push(`    ${a.url}`);
  }
  return `${out.join('\n')}\n`;
}

function toHtml(conversation: string, entries: readonly HistoryEntry[], exportedAt: Date): string {
  const rows = entries.map((e) => {
    const files = (e.attachments ?? [])
      .filter((a) => a.url !== e.body)
      .map((a) => `<br>${linkable(a.url) ? `<a href="${escapeHtml(a.url)}" rel="noopener noreferrer">${escapeHtml(a.url)}</a>` : escapeHtml(a.url)}`)
      .join('');
    return `<tr class="${e.dir}"><td class="at">${escapeHtml(when(e.at))}</td><td class="from">${escapeHtml(e.from)}</td><td class="body">${escapeHtml(e.body)}${files}</td></tr>`;
  });
  const title = escapeHtml(`Conversation with ${conversation}`);
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; color: #1c2333; }
table { border-collapse: collapse; width: 100%; }
td { padding: 4px 8px; vertical-align: top; border-bottom: 1px solid #e3e7ef; }
.at { white-space: nowrap; color: #667; font-variant-numeric: tabular-nums; }
.from { white-space: nowrap; font-weight: 600; }
.out .from { color: #2a5db0; }
.body { white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>${title}</h1>
<p>Exported ${escapeHtml(when(exportedAt.toISOString()))} UTC, ${entries.length} message(s).</p>
<table>
${rows.join('\n')}
</table>
</body>
</html>
`;
}
