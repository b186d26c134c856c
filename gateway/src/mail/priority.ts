// A message's priority, normalised to high / normal / low from the headers mail programs set:
// X-Priority (1–5, Outlook and Thunderbird: "1 (Highest)"), Importance (RFC 2156 §5.3: high,
// normal, low), Priority (RFC 2156: urgent, normal, non-urgent) and X-MSMail-Priority (High,
// Normal, Low). The first of them that says something understandable wins, in that order;
// anything else — absent, empty, garbage — is normal.
import type { MailPriority } from './source.ts';

/** The header names read, lower-case, in the order they are consulted. */
export const PRIORITY_HEADERS = ['x-priority', 'importance', 'priority', 'x-msmail-priority'] as const;

function fromXPriority(v: string): MailPriority | undefined {
  const n = /^\s*(\d)/.exec(v)?.[1];
  if (n !== undefined) {
    const d = Number(n);
    if (d >= 1 && d <= 2) return 'high';
    if (d === 3) return 'normal';
    if (d >= 4 && d <= 5) return 'low';
    return undefined;
  }
  return fromWord(v);
}

function fromWord(v: string): MailPriority | undefined {
  const w = v.trim().toLowerCase().split(/[\s(;]/, 1)[0] ?? '';
  if (['high', 'highest', 'urgent'].includes(w)) return 'high';
  if (['normal', 'medium'].includes(w)) return 'normal';
  if (['low', 'lowest', 'non-urgent'].includes(w)) return 'low';
  return undefined;
}

/** `get(name)` gives a header's (first) value by lower-case name, undefined when absent. */
export function priorityOf(get: (name: (typeof PRIORITY_HEADERS)[number]) => string | undefined): MailPriority {
  for (const name of PRIORITY_HEADERS) {
    const v = get(name);
    if (v === undefined) continue;
    const p = name === 'x-priority' ? fromXPriority(v) : fromWord(v);
    if (p) return p;
  }
  return 'normal';
}
