// Whether a new message satisfies a rule's conditions: every condition given must hold (AND).
// Text comparisons are case-insensitive (Unicode NFC, lower case) on at most MAX_TEXT characters
// of the mail's text: `contains`, `equals`, and `glob` (`*` any run, `?` one character, `\`
// escapes the next) decided by a loop that never backtracks further than the last `*` — time
// bounded by pattern × text length, so no pattern can stall the server (no regular expressions).
import type { AlertConditions, TextMatch } from '../../protocol/api.ts';
import type { IncomingMail, MailParty } from './types.ts';

/** Mail text beyond this many characters is not looked at (a subject is rarely longer than a line). */
export const MAX_TEXT = 1000;

const fold = (s: string) => s.normalize('NFC').toLowerCase();

type GlobToken = { star: true } | { star: false; any: boolean; ch: string };

function tokenize(pattern: string): GlobToken[] {
  const chars = Array.from(fold(pattern));
  const out: GlobToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) out.push({ star: false, any: false, ch: chars[++i]! });
    else if (c === '*') {
      if (!out.at(-1)?.star) out.push({ star: true }); // "**" is "*"
    } else out.push({ star: false, any: c === '?', ch: c });
  }
  return out;
}

/** Whole-text wildcard match, iterative with one resume point: O(pattern × text) at worst. */
export function globMatch(pattern: string, text: string): boolean {
  const p = tokenize(pattern);
  const s = Array.from(fold(text));
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const t = p[pi];
    if (t && !t.star && (t.any || t.ch === s[si])) {
      pi++;
      si++;
    } else if (t?.star) {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (p[pi]?.star) pi++;
  return pi === p.length;
}

export function textMatches(m: TextMatch, text: string): boolean {
  const t = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  switch (m.match) {
    case 'contains':
      return fold(t).includes(fold(m.value));
    case 'equals':
      return fold(t) === fold(m.value);
    case 'glob':
      return globMatch(m.value, t);
  }
}

/** The texts a person condition is tried on: the address, the name, and "Name <address>". */
function partyTexts(p: MailParty): string[] {
  const out = [p.address, p.name];
  if (p.name && p.address) out.push(`${p.name} <${p.address}>`);
  return out.filter(Boolean);
}

const anyMatches = (m: TextMatch, texts: string[]) => texts.some((t) => textMatches(m, t));

export function conditionsMatch(c: AlertConditions, mail: IncomingMail): boolean {
  if (c.folder && !textMatches(c.folder, mail.folder)) return false;
  if (c.subject && !textMatches(c.subject, mail.subject)) return false;
  if (c.sender && !anyMatches(c.sender, [...partyTexts(mail.sender), mail.from])) return false;
  if (c.recipient && ![...mail.to, ...mail.cc].some((p) => anyMatches(c.recipient!, partyTexts(p)))) return false;
  if (c.priority !== undefined) {
    const wanted = Array.isArray(c.priority) ? c.priority : [c.priority];
    if (!wanted.includes(mail.priority)) return false;
  }
  return true;
}
