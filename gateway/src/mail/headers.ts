// Reads what a new-mail alert shows (From, Subject, Date) from the head of an RFC 5322
// message, decoding RFC 2047 encoded words, plus what mail-to-IM rules match on (To, Cc, the
// priority headers). Broken headers never throw: they become "(no subject)" /
// "(unknown sender)" and a reason the caller logs.
import { createRequire } from 'node:module';
import type Libmime from 'libmime';
import { NO_SUBJECT, UNKNOWN_SENDER } from '../protocol/api.ts';
import { parseAddressList } from './addresses.ts';
import { priorityOf } from './priority.ts';
import type { MailAddress, MailPriority } from './source.ts';

// libmime, and the charset tables it brings (iconv-lite, encoding-japanese), on first use: not
// resident in a gateway that has not read a mail yet (issue 12: RSS at rest). Its CommonJS build, so
// the functions here stay synchronous (libmime keeps no state: either build gives the same answers).
const requireHere = createRequire(import.meta.url);
let loaded: typeof Libmime | undefined;
const libmime = () => (loaded ??= requireHere('libmime') as typeof Libmime);

export interface AlertHeaders {
  from: string;
  subject: string;
  date: Date | undefined;
  /** Why the headers were not as expected, for the log; undefined when all was well. */
  problem: string | undefined;
  /** The blank line ending the header block was found (false: cut short, or still being written). */
  complete: boolean;
  /** The first From address, parsed. */
  sender: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  priority: MailPriority;
}

// The placeholders are part of the wire contract (the desktop shows them in the user's language).
export { NO_SUBJECT, UNKNOWN_SENDER } from '../protocol/api.ts';

export interface HeaderFields {
  /** Lower-case name → the first occurrence's value, unfolded, as latin1 text of the raw bytes. */
  fields: Map<string, string>;
  problems: string[];
  /** Offset of the blank line ending the header block, -1 when there is none. */
  end: number;
}

/** The header fields of `head` (a message's first bytes, or a FETCH of some header fields). */
export function readHeaderFields(head: Buffer): HeaderFields {
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end === -1 ? text : text.slice(0, end);
  const problems: string[] = [];
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      fields.set(current, `${fields.get(current)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon))) {
      if (line.trim()) problems.push(`malformed header line "${line.slice(0, 40)}"`);
      current = undefined;
      continue;
    }
    current = line.slice(0, colon).toLowerCase();
    if (!fields.has(current)) fields.set(current, line.slice(colon + 1).trim());
    else current = undefined; // keep the first occurrence only
  }
  return { fields, problems, end };
}

/** Header bytes are usually ASCII with encoded words; raw 8-bit is most likely UTF-8 (RFC 6532). */
export const headerText = (raw: string): string => Buffer.from(raw, 'latin1').toString('utf8');

/** The normalised priority of a message whose header fields these are. */
export const priorityOfFields = (fields: Map<string, string>): MailPriority => priorityOf((name) => fields.get(name));

/** Parses the header block of `head` (the first bytes of a message; it may be cut short). */
export function parseAlertHeaders(head: Buffer): AlertHeaders {
  const { fields, problems, end } = readHeaderFields(head);
  const decode = (name: string): string | undefined => {
    const raw = fields.get(name);
    if (raw === undefined) return undefined;
    const utf8 = headerText(raw);
    try {
      return libmime().decodeWords(utf8).replace(/\s+/g, ' ').trim();
    } catch {
      problems.push(`undecodable ${name} header`);
      return utf8.trim();
    }
  };
  let subject = decode('subject');
  if (!subject) {
    problems.push(subject === undefined ? 'no Subject header' : 'empty Subject header');
    subject = NO_SUBJECT;
  }
  let from = decode('from');
  if (!from) {
    problems.push('no From header');
    from = UNKNOWN_SENDER;
  }
  const dateRaw = fields.get('date');
  let date: Date | undefined;
  if (dateRaw) {
    const d = new Date(dateRaw.replace(/\([^)]*\)/g, '').trim());
    if (Number.isNaN(d.getTime())) problems.push(`unparseable Date "${dateRaw.slice(0, 60)}"`);
    else date = d;
  }
  if (head.length === 0) problems.push('empty message file');
  else if (end === -1 && fields.size === 0) problems.push('no header block');
  const addresses = (name: string) => {
    const raw = fields.get(name);
    return raw === undefined ? [] : parseAddressList(headerText(raw));
  };
  return {
    from,
    subject,
    date,
    problem: problems.length ? problems.join('; ') : undefined,
    complete: end !== -1,
    sender: addresses('from')[0] ?? { name: '', address: '' },
    to: addresses('to'),
    cc: addresses('cc'),
    priority: priorityOfFields(fields),
  };
}
