// Finds the iCalendar data in a mail (RFC 2045/2046 MIME, as iMIP mails are built, RFC 6047
// §2.4): the first text/calendar part — Outlook puts it in multipart/alternative beside text and
// HTML, Google adds the same data again as an application/ics attachment, Thunderbird sends
// text/calendar alone — else an application/ics (or *.ics) attachment. Transfer encodings base64,
// quoted-printable, 7bit, 8bit, binary; the part's charset (default UTF-8) converted by libmime.
// Also the message's Subject/From, for the summary's context. Bounded: nesting depth and part
// count, so a hostile mail costs little.
import { createRequire } from 'node:module';
import type Libmime from 'libmime';
import type * as Charset from 'libmime/lib/charset.js';

// libmime, and the charset tables it brings (iconv-lite, encoding-japanese), on first use: not
// resident in a gateway that has not read an invitation yet (issue 12: RSS at rest). Its CommonJS
// build, so the functions here stay synchronous (libmime keeps no state: either build gives the same answers).
const requireHere = createRequire(import.meta.url);
let loaded: typeof Libmime | undefined;
const libmime = () => (loaded ??= requireHere('libmime') as typeof Libmime);
let charset: typeof Charset | undefined;
const decodeCharset = (bytes: Buffer, name: string) => (charset ??= requireHere('libmime/lib/charset.js') as typeof Charset).decode(bytes, name);

export interface CalendarPart {
  /** The decoded iCalendar text. */
  text: string;
  /** The Content-Type's `method` parameter (iMIP REQUEST, CANCEL, REPLY...), upper-cased. */
  method: string | undefined;
  contentType: string;
}

export interface MailCalendar {
  part: CalendarPart | undefined;
  subject: string | undefined;
  from: string | undefined;
}

const MAX_DEPTH = 8;
const MAX_PARTS = 200;

interface Entity {
  headers: Map<string, string>;
  /** The body, as latin1 (one char per byte: nothing lost before decoding). */
  body: string;
}

function splitEntity(raw: string): Entity {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers = new Map<string, string>();
  let current: string | undefined;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      headers.set(current, `${headers.get(current)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      current = undefined;
      continue;
    }
    current = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(current)) current = undefined; // the first one counts
    else headers.set(current, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

const header = (e: Entity, name: string) => e.headers.get(name);

function decodeQuotedPrintable(s: string): Buffer {
  const text = s.replace(/[ \t]+(?=\r?\n|$)/g, '').replace(/=\r?\n/g, '');
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[n++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = text.charCodeAt(i) & 0xff;
  }
  return out.subarray(0, n);
}

function bodyBytes(e: Entity): Buffer {
  const cte = (header(e, 'content-transfer-encoding') ?? '7bit').toLowerCase().trim();
  if (cte === 'base64') return Buffer.from(e.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(e.body);
  return Buffer.from(e.body, 'latin1');
}

function decodeWords(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const utf8 = Buffer.from(v, 'latin1').toString('utf8');
  try {
    return libmime().decodeWords(utf8).replace(/\s+/g, ' ').trim();
  } catch {
    return utf8.trim();
  }
}

/** Reads the calendar part (if any) of a raw RFC 5322 message. Never throws for odd input. */
export function findCalendarPart(raw: Buffer): MailCalendar {
  const top = splitEntity(raw.toString('latin1'));
  let parts = 0;
  let attachment: CalendarPart | undefined;

  const walk = (e: Entity, depth: number): CalendarPart | undefined => {
    if (++parts > MAX_PARTS || depth > MAX_DEPTH) return undefined;
    const ct = libmime().parseHeaderValue(header(e, 'content-type') ?? 'text/plain');
    const type = ct.value.toLowerCase();
    if (type.startsWith('multipart/')) {
      const boundary = ct.params.boundary;
      if (!boundary) return undefined;
      for (const chunk of splitMultipart(e.body, boundary)) {
        const found = walk(splitEntity(chunk), depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    const disposition = libmime().parseHeaderValue(header(e, 'content-disposition') ?? '');
    const filename = (disposition.params.filename ?? ct.params.name ?? '').toLowerCase();
    const isCalendar = type === 'text/calendar';
    const isIcs = type === 'application/ics' || (filename.endsWith('.ics') && (type === 'application/octet-stream' || type === 'text/plain'));
    if (!isCalendar && !isIcs) return undefined;
    const text = decodeCharset(bodyBytes(e), ct.params.charset || 'utf-8').replace(/^\ufeff/, '');
    const part = { text, method: ct.params.method?.toUpperCase(), contentType: type };
    if (isCalendar) return part;
    attachment ??= part;
    return undefined;
  };

  return { part: walk(top, 0) ?? attachment, subject: decodeWords(header(top, 'subject')), from: decodeWords(header(top, 'from')) };
}

/** The body parts between `--boundary` lines (RFC 2046 §5.1.1); preamble and epilogue dropped. */
function splitMultipart(body: string, boundary: string): string[] {
  const lines = body.split(/\r?\n/);
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const t = line.trimEnd();
    if (t === `--${boundary}--`) {
      if (current) parts.push(current.join('\r\n'));
      return parts;
    }
    if (t === `--${boundary}`) {
      if (current) parts.push(current.join('\r\n'));
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join('\r\n'));
  return parts;
}
