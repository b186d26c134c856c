// The SEM file format (PRODUCT.md, "Scripting with SEM files"): `IM-<number>.SEM` holds
//   line 1: the recipient's address
//   line 2: the sender's address
//   line 3: empty
//   then:   the message text, any number of lines
// in UTF-8 (a BOM is dropped), with LF, CRLF (or lone CR) line ends — the text gets LF. Trailing
// line ends of the text are dropped; anything else of it is kept as written. A writer creates
// `IM-<number>.LCK` first and deletes it when the SEM file is complete.
// parseSemFile() says exactly what is wrong with a file (SemFormatError): that text becomes the
// `.reason` file beside it in bad/.
import { AddressSchema } from '../../protocol/api.ts';

/** A SEM file's name; group 1 is its number. */
export const SEM_NAME = /^IM-(\d{1,30})\.SEM$/;
/** A lock file's name; group 1 is its number. */
export const LCK_NAME = /^IM-(\d{1,30})\.LCK$/;

/** The lock file that guards a SEM file (IM-7.SEM → IM-7.LCK). */
export const lockNameOf = (semName: string) => `${semName.slice(0, -4)}.LCK`;
/** The SEM file a lock file guards. */
export const semNameOf = (lckName: string) => `${lckName.slice(0, -4)}.SEM`;

export interface SemMessage {
  /** Recipient (lower-cased address). */
  to: string;
  /** Sender (lower-cased address). */
  from: string;
  /** The text, LF line ends, no trailing line end. */
  text: string;
}

/** What is wrong with a SEM file, in words for the admin (the `.reason` file). */
export class SemFormatError extends Error {
  override name = 'SemFormatError';
}

// XML 1.0 (§2.2) has no place for these, so XMPP cannot carry them (RFC 6120 §11.1); the text
// is not silently changed either: the file goes to bad/ saying which character and where.
const NOT_IN_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/** Offset of the first byte that does not belong to a valid UTF-8 sequence (RFC 3629 §4), or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let n: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(buf: Uint8Array): string {
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    throw new SemFormatError('the file is UTF-16 (it starts with a UTF-16 byte order mark); SEM files are UTF-8');
  }
  try {
    return decoder.decode(buf);
  } catch {
    const at = firstInvalidUtf8(buf);
    throw new SemFormatError(`the file is not UTF-8: byte 0x${(buf[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at} is not valid UTF-8`);
  }
}

function address(line: string | undefined, n: number, what: string): string {
  const s = (line ?? '').trim();
  if (line === undefined) throw new SemFormatError(`line ${n} (the ${what}'s address) is missing`);
  if (!s) throw new SemFormatError(`line ${n} (the ${what}'s address) is empty`);
  const r = AddressSchema.safeParse(s);
  if (!r.success) throw new SemFormatError(`line ${n}: "${s.slice(0, 200)}" is not a valid ${what} address (expected local@domain)`);
  return r.data;
}

/**
 * Reads a SEM file's bytes; throws SemFormatError naming the problem: too large, not UTF-8,
 * a missing or bad address, no blank third line, empty text, a character XMPP cannot carry.
 */
export function parseSemFile(buf: Uint8Array, opts: { maxBytes: number }): SemMessage {
  if (buf.length > opts.maxBytes) throw new SemFormatError(`the file is too large: ${buf.length} bytes, more than im.spool.maxBytes (${opts.maxBytes})`);
  if (buf.length === 0) throw new SemFormatError('the file is empty');
  const lines = decode(buf).replace(/\r\n?/g, '\n').split('\n');
  const to = address(lines[0], 1, 'recipient');
  const from = address(lines[1], 2, 'sender');
  if (lines.length < 3) throw new SemFormatError('line 3 is missing: a blank line must separate the addresses from the text');
  if (lines[2]!.trim() !== '') throw new SemFormatError(`line 3 must be blank (it separates the addresses from the text), but it is "${lines[2]!.slice(0, 200)}"`);
  const text = lines.slice(3).join('\n').replace(/\n+$/, '');
  if (!text.trim()) throw new SemFormatError('the message text is empty');
  const bad = NOT_IN_XML.exec(text);
  if (bad) {
    const line = 4 + (text.slice(0, bad.index).match(/\n/g)?.length ?? 0);
    throw new SemFormatError(`the text contains the control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (line ${line}), which XMPP cannot carry`);
  }
  return { to, from, text };
}

/** A SEM file's bytes for a message (what `im send` and tests write). */
export function formatSemFile(m: SemMessage): Buffer {
  return Buffer.from(`${m.to}\n${m.from}\n\n${m.text}\n`, 'utf8');
}
