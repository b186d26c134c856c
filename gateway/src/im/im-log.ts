// The central IM log: one line per routed message in <logs>/XMPPServer-YYYY-MM-DD.log (UTC
// date of the message), a new file each UTC day.
//
// Line: ISO time TAB type TAB from TAB to TAB body TAB attachment URLs (space separated), with
// backslash, tab, CR and LF escaped as \\ \t \r \n so every message is exactly one line.
//
// Flush policy: append() returns only after the line was handed to the kernel by a synchronous
// write(2) on an O_APPEND file descriptor. Callers deliver (and so let a client see a message
// acknowledged) only after append() returned: a crash or `kill -9` of the gateway after that
// loses nothing. Power loss can lose what the OS had not written to disk yet — no fsync per
// message, which would cost a disk flush (milliseconds) per message.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HeraldError } from '../protocol/errors.ts';

export type ImLogType = 'chat' | 'groupchat' | 'headline' | 'normal' | 'scripted';

export interface ImLogEntry {
  type: ImLogType;
  from: string;
  to: string;
  body: string;
  attachments?: string[];
}

export interface ImLogLine extends Required<ImLogEntry> {
  time: Date;
}

export const imLogFileName = (day: string) => `XMPPServer-${day}.log`;

const escape = (s: string) => s.replace(/[\\\t\r\n]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\r': '\\r', '\n': '\\n' })[c]!);
const unescape = (s: string) => s.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', r: '\r', n: '\n' })[c] ?? c);

export function formatImLogLine(e: ImLogEntry, time: Date): string {
  const urls = (e.attachments ?? []).map((u) => escape(u).replace(/ /g, '%20')).join(' ');
  return `${time.toISOString()}\t${e.type}\t${escape(e.from)}\t${escape(e.to)}\t${escape(e.body)}\t${urls}\n`;
}

/** Parses one line; undefined when it is not a log line. */
export function parseImLogLine(line: string): ImLogLine | undefined {
  const f = line.replace(/\n$/, '').split('\t');
  if (f.length !== 6) return undefined;
  const time = new Date(f[0]!);
  if (Number.isNaN(time.getTime())) return undefined;
  return {
    time,
    type: f[1] as ImLogType,
    from: unescape(f[2]!),
    to: unescape(f[3]!),
    body: unescape(f[4]!),
    attachments: f[5] ? f[5].split(' ').map(unescape) : [],
  };
}

export function createImLog({ dir, now = () => new Date() }: { dir: string; now?: () => Date }) {
  let day = '';
  let fd: number | undefined;
  const open = (d: string) => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    mkdirSync(dir, { recursive: true });
    fd = openSync(path.join(dir, imLogFileName(d)), 'a', 0o640);
    day = d;
  };
  return {
    /** Appends one message; throws HeraldError when the log cannot be written (the caller refuses the message). */
    append(entry: ImLogEntry): void {
      const time = now();
      const d = time.toISOString().slice(0, 10);
      try {
        if (d !== day || fd === undefined) open(d);
        writeSync(fd!, formatImLogLine(entry, time));
      } catch (e) {
        throw new HeraldError('internal', `the central IM log in ${dir} cannot be written: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    },
    close(): void {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      day = '';
    },
  };
}
export type ImLog = ReturnType<typeof createImLog>;
