// The central IM log (PRODUCT.md, "Every message passes through the server and is logged
// centrally"): one line per message — 1:1, room, scripted — in <data>/logs/XMPPServer-YYYY-MM-DD.log,
// named by the UTC date of the message, so the file changes at UTC midnight (daily rotation) and
// every line sits in the file of its own day (search picks files by name alone).
//
// Line: ISO time TAB type TAB from TAB to TAB body TAB attachment URLs (space separated). Fields
// are escaped so a line is always exactly one line and safe to `cat` on a terminal: `\\` `\t` `\n`
// `\r`, and `\uXXXX` for other C0/C1 control characters (ESC would drive the admin's terminal)
// and for lone UTF-16 surrogates (UTF-8 cannot encode them; they would silently become U+FFFD).
// parseImLogLine() gives back exactly what was appended. An attachment URL's spaces are written
// %20 (the same URL), since a space separates the URLs.
// An end-to-end encrypted message (xmpp.e2ee allow; xmpp/modules/encrypted-message.ts) has a 7th
// field, its scheme (`omemo`, `omemo:2`, `openpgp`, `pgp`, `otr`, `eme:<namespace>`), and an empty
// body: the log records that it was sent, from whom to whom, never a fallback text as if it were
// the content. Every other line keeps exactly 6 fields, so lines written before stay valid.
//
// FLUSH POLICY. append() returns only after the whole line was handed to the kernel by
// synchronous write(2) calls on an O_APPEND file descriptor — no buffer in this process. So a
// crash or `kill -9` of the gateway after append() returned loses nothing: the data is in the
// page cache and the kernel writes it out. A `kill -9` *during* a write(2) can cut it short (Linux
// stops a write at a page boundary when a fatal signal is pending): the line being written then —
// never one whose append() had returned — is left without its newline. The next process to open
// that file sees the missing newline and starts its first line with one, so only the torn line is
// malformed (search skips and counts it) and nothing is glued onto it. A power cut or kernel panic can lose what the OS had
// not yet written to disk (usually the last few seconds): there is no fsync per message, because
// an fsync costs a disk flush (milliseconds; far more on a busy disk) and the log must keep up
// with ~13,000 messages/s, where a write(2) costs a few microseconds.
//
// CONTRACT FOR CALLERS. Acknowledge, deliver or store a message — anything a client can see —
// only after append() returned. If it throws (ImLogWriteError: disk full, no permission, the
// log folder is a file...), the message was NOT logged: refuse it (XMPP: <resource-constraint/>,
// RFC 6120 §8.3.3.18) rather than let it pass unlogged. A later append() tries again (it reopens
// the file), so the log recovers by itself once the disk does.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HeraldError } from '../protocol/errors.ts';

// `alert`: a mail-to-IM rule's message (im/alerts/), sent by the server from its service address.
export const IM_LOG_TYPES = ['chat', 'groupchat', 'headline', 'normal', 'scripted', 'alert'] as const;
export type ImLogType = (typeof IM_LOG_TYPES)[number];
const TYPES: ReadonlySet<string> = new Set(IM_LOG_TYPES);

export interface ImLogEntry {
  type: ImLogType;
  from: string;
  to: string;
  body: string;
  attachments?: string[];
  /** End-to-end encrypted: the scheme (the body is then empty). */
  encrypted?: string;
}

/** One parsed line: the entry as appended, with the time it was logged. */
export interface ImLogLine extends Required<Omit<ImLogEntry, 'encrypted'>> {
  time: Date;
  encrypted?: string;
}

/** Where the log lives inside the data folder (PRODUCT.md: `logs/`). */
export const imLogDir = (dataDir: string) => path.join(dataDir, 'logs');
export const imLogFileName = (day: string) => `XMPPServer-${day}.log`;
/** Matches a log file's name; group 1 is its UTC day, YYYY-MM-DD. */
export const IM_LOG_FILE = /^XMPPServer-(\d{4}-\d{2}-\d{2})\.log$/;
/** The UTC day of a time, YYYY-MM-DD: the log file it belongs in. */
export const utcDay = (t: Date) => t.toISOString().slice(0, 10);

/** The log could not be written, so the message was not logged: the caller must refuse it. */
export class ImLogWriteError extends HeraldError {
  override name = 'ImLogWriteError';
  /** The system error code (ENOSPC, EACCES, ENOTDIR...), when there is one. */
  readonly errno: string | undefined;
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    super('internal', `the central IM log ${file} cannot be written: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.errno = errno;
  }
}

/** A line that is not a log line (hand-edited, or the remains of a failed write). */
export class ImLogLineError extends Error {
  override name = 'ImLogLineError';
}

// Without the `u` flag a regex sees UTF-16 code units, so a lone surrogate is a high one not
// followed by a low one, or a low one not preceded by a high one.
const SPECIAL = /[\\\x00-\x1f\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeChar = (c: string) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A field as written in the log: one line, no tab, no control character, valid UTF-16. */
export const escapeImLogField = (s: string) => s.replace(SPECIAL, escapeChar);

const ESCAPED = /\\(u[0-9a-f]{4}|[\\tnr]|)/g;
const UNSHORT: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };
function unescapeField(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(ESCAPED, (_all, e: string, at: number) => {
    if (!e) throw new ImLogLineError(`bad escape "\\${s.charAt(at + 1)}"`);
    return e.length === 5 ? String.fromCharCode(parseInt(e.slice(1), 16)) : UNSHORT[e]!;
  });
}

/** `iso`: time.toISOString(), when the caller has it already (append(): once per message). */
export function formatImLogLine(entry: ImLogEntry, time: Date, iso = time.toISOString()): string {
  const urls = (entry.attachments ?? [])
    .filter(Boolean)
    .map((u) => escapeImLogField(u.replaceAll(' ', '%20')))
    .join(' ');
  const encrypted = entry.encrypted ? `\t${escapeImLogField(entry.encrypted)}` : '';
  return `${iso}\t${entry.type}\t${escapeImLogField(entry.from)}\t${escapeImLogField(entry.to)}\t${escapeImLogField(entry.body)}\t${urls}${encrypted}\n`;
}

/** The 7th field: an encryption scheme (xmpp/modules/encrypted-message.ts). */
const ENCRYPTION = /^(omemo|omemo:2|openpgp|pgp|otr|eme:[\x21-\x7e]{1,100})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Parses one line (with or without its newline); throws ImLogLineError when it is not a log line. */
export function parseImLogLine(line: string): ImLogLine {
  const fields = (line.endsWith('\n') ? line.slice(0, -1) : line).split('\t');
  if (fields.length !== 6 && fields.length !== 7) throw new ImLogLineError(`expected 6 tab-separated fields, found ${fields.length}`);
  const [iso, type, from, to, body, urls, encrypted] = fields as [string, string, string, string, string, string, string | undefined];
  if (encrypted !== undefined && !ENCRYPTION.test(encrypted)) throw new ImLogLineError(`unknown encryption "${encrypted.slice(0, 40)}"`);
  const time = new Date(iso);
  if (!ISO_TIME.test(iso) || Number.isNaN(time.getTime())) throw new ImLogLineError(`bad time "${iso.slice(0, 40)}"`);
  if (!TYPES.has(type)) throw new ImLogLineError(`unknown message type "${type.slice(0, 40)}"`);
  return {
    time,
    type: type as ImLogType,
    from: unescapeField(from),
    to: unescapeField(to),
    body: unescapeField(body),
    attachments: urls ? urls.split(' ').filter(Boolean).map(unescapeField) : [],
    ...(encrypted !== undefined && { encrypted }),
  };
}

export interface ImLog {
  /** Logs one message; returns once it is in the kernel's hands, throws ImLogWriteError when it is not. */
  append(entry: ImLogEntry): void;
  close(): void;
}

export function createImLog({ dir, now = () => new Date() }: { dir: string; now?: () => Date }): ImLog {
  let day: string | undefined;
  let fd: number | undefined;
  let closed = false;
  let dayOfFile = '';
  let fileOfDay = '';
  // A write that failed half-way (ENOSPC after some bytes) leaves part of a line without its
  // newline; the next line written to that file starts with one, so only the torn line is
  // malformed (search skips and counts it) and the next message is not glued onto it.
  let tornFile: string | undefined;

  const drop = () => {
    const old = fd;
    fd = undefined;
    day = undefined;
    if (old !== undefined) closeSync(old);
  };

  return {
    append(entry) {
      if (!TYPES.has(entry.type)) throw new TypeError(`unknown IM log message type "${entry.type}"`);
      const time = now();
      // One toISOString() and one path.join() a day, not per message (the hot path of every chat message).
      const iso = time.toISOString();
      const d = iso.slice(0, 10);
      if (d !== dayOfFile) {
        dayOfFile = d;
        fileOfDay = path.join(dir, imLogFileName(d));
      }
      const file = fileOfDay;
      if (closed) throw new ImLogWriteError(file, new Error('the log is closed'));
      const line = formatImLogLine(entry, time, iso);
      let written = 0;
      try {
        if (d !== day || fd === undefined) {
          // A new UTC day (or the first message, or a retry after a failure): switch files.
          drop();
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          // O_RDWR|O_CREAT|O_APPEND (writes always go to the end); the log holds private messages.
          fd = openSync(file, 'a+', 0o600);
          day = d;
          if (endsTorn(fd)) tornFile = file;
        }
        const buf = Buffer.from(tornFile === file ? `\n${line}` : line, 'utf8');
        // write(2) may write less than asked (a full disk); the rest follows, or the error does.
        while (written < buf.length) {
          const n = writeSync(fd, buf, written, buf.length - written);
          if (n <= 0) throw new Error(`write(2) wrote ${n} bytes`);
          written += n;
        }
        if (tornFile === file) tornFile = undefined;
      } catch (e) {
        if (written > 0) tornFile = file;
        // Reopen on the next append: a bad descriptor (EIO, a remounted disk) is not reused.
        try {
          drop();
        } catch {
          // Closing a broken descriptor can fail too; the write error is the one to report.
        }
        throw new ImLogWriteError(file, e);
      }
    },
    close() {
      closed = true;
      drop();
    },
  };
}

/** Whether a log file ends in the middle of a line: a write cut short by a crash or a full disk. */
function endsTorn(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
}
