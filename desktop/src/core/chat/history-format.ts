// One line of the local history folder: readable by a person (`less`, `grep`), cheap to parse.
//
//   2026-11-27T18:10:13.123Z<TAB>bob@example.com<TAB>Hello Alice<TAB>id=m1 dir=in kind=chat sid=1732…
//
// Time (ISO 8601, UTC), sender (a bare address, or room@service/nick in rooms), the text, then
// what the app needs to show and deduplicate it again as key=value words: message id, direction,
// kind, the server's archive id (sid), the sanitised XHTML (html), shared files (url, repeated) and
// by=server for what the server itself sent (scripts, alerts, reminders).
// Text and values escape backslash, tab, CR and LF as \\ \t \r \n (values also space as \s), so a
// message is always exactly one line and a line never holds a raw control character of those.
import type { Attachment } from '../../shared/chat.ts';

export interface HistoryEntry {
  at: string;
  from: string;
  body: string;
  id: string;
  dir: 'in' | 'out';
  kind: 'chat' | 'groupchat';
  /** The archive's id (XEP-0359 stanza-id) when the server gave one. */
  sid?: string;
  html?: string;
  attachments?: Attachment[];
  /** Sent by the server itself (a bare sender address: scripts, alerts, reminders). */
  server?: true;
}

const esc = (s: string): string => (/[\\\t\r\n]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n') : s);
const escValue = (s: string): string => esc(s).replace(/ /g, '\\s');
const UNESC: Record<string, string> = { '\\': '\\', t: '\t', r: '\r', n: '\n', s: ' ' };
const unesc = (s: string): string => (s.includes('\\') ? s.replace(/\\([\\trns])/g, (_m, c: string) => UNESC[c]!) : s);
// Control characters other than tab/CR/LF, and lone surrogates, are replaced (a file of ours
// must never carry what a terminal would interpret).
const clean = (s: string): string =>
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

export function formatLine(e: HistoryEntry): string {
  let meta = `id=${escValue(clean(e.id))} dir=${e.dir} kind=${e.kind}`;
  if (e.sid) meta += ` sid=${escValue(clean(e.sid))}`;
  if (e.html) meta += ` html=${escValue(clean(e.html))}`;
  for (const a of e.attachments ?? []) meta += ` url=${escValue(clean(a.url))}`;
  if (e.server) meta += ' by=server';
  return `${e.at}\t${esc(clean(e.from))}\t${esc(clean(e.body))}\t${meta}\n`;
}

/** Parses one line; undefined for a line that is not one of ours (a person may have edited the file). */
export function parseLine(line: string): HistoryEntry | undefined {
  const t1 = line.indexOf('\t');
  const t2 = line.indexOf('\t', t1 + 1);
  const t3 = line.lastIndexOf('\t');
  if (t1 <= 0 || t2 === -1 || t3 <= t2) return undefined;
  const at = line.slice(0, t1);
  const e: HistoryEntry = { at, from: unesc(line.slice(t1 + 1, t2)), body: unesc(line.slice(t2 + 1, t3)), id: '', dir: 'in', kind: 'chat' };
  for (const word of line.slice(t3 + 1).split(' ')) {
    const eq = word.indexOf('=');
    if (eq <= 0) continue;
    const v = unesc(word.slice(eq + 1));
    switch (word.slice(0, eq)) {
      case 'id':
        e.id = v;
        break;
      case 'dir':
        if (v === 'out') e.dir = 'out';
        break;
      case 'kind':
        if (v === 'groupchat') e.kind = 'groupchat';
        break;
      case 'sid':
        e.sid = v;
        break;
      case 'html':
        e.html = v;
        break;
      case 'url':
        (e.attachments ??= []).push({ url: v });
        break;
      case 'by':
        if (v === 'server') e.server = true;
        break;
    }
  }
  return e.id && at.length >= 20 ? e : undefined;
}

/** The UTC day of an ISO time: the history file it goes in. */
export const dayOf = (iso: string): string => iso.slice(0, 10);
