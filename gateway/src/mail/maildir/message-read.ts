// Reading one message file of a watched Maildir folder: the head of a new message for its alert
// (From, Subject, Date, To, Cc, priority, arrival time) and the raw source with a size cap
// (MailboxWatch.fetchRaw). A message is named by its key (the unique part of the file name), so
// it is found again after a mail client moved it new/ → cur/ or changed its flags meanwhile.
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../config/logger.ts';
import { parseAlertHeaders } from '../headers.ts';
import type { NewMail, RawMessage } from '../source.ts';
import { parseMessageName } from './layout.ts';

/** The head of a message read for an alert: headers are rarely longer. */
const HEAD_BYTES = 64 * 1024;
/** A file written less than this long ago with an incomplete header block may still be growing. */
const GROWING_MS = 2000;
const GROWING_RETRY_MS = 25;
const GROWING_RETRIES = 40;

/** The file holding message `key` in the folder at `dir` (new/ first, then cur/), or undefined. */
export async function findMessageFile(dir: string, key: string): Promise<string | undefined> {
  for (const sub of ['new', 'cur']) {
    const names = await readdir(path.join(dir, sub)).catch(() => [] as string[]);
    const name = names.find((n) => parseMessageName(n, sub === 'new')?.key === key);
    if (name) return path.join(dir, sub, name);
  }
  return undefined;
}

interface Head {
  file: string | undefined;
  bytes: Buffer;
  mtimeMs: number;
  size: number;
}

/** Reads up to `max` bytes from the start of `file`; a file that moved meanwhile is looked up again by key. */
async function readStart(dir: string, key: string, file: string | undefined, max: number, log: Logger): Promise<Head> {
  for (let attempt = 0; attempt < 2 && file; attempt++) {
    try {
      const fh = await open(file, 'r');
      try {
        const st = await fh.stat();
        const want = Math.min(max, st.size);
        const buf = Buffer.alloc(want);
        let got = 0;
        while (got < want) {
          const { bytesRead } = await fh.read(buf, got, want - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return { file, bytes: buf.subarray(0, got), mtimeMs: st.mtimeMs, size: st.size };
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn({ file, err: (e as Error).message }, 'cannot read message file');
        break;
      }
      // Moved meanwhile (a mail client read it: new/ → cur/, flags in the name). Find it again.
      file = await findMessageFile(dir, key);
    }
  }
  return { file: undefined, bytes: Buffer.alloc(0), mtimeMs: 0, size: 0 };
}

/**
 * Reads the head of a new message for its alert. A file copied straight into new/ (not via
 * tmp/ and rename, as MTAs do) may still be growing: while its header block is incomplete and
 * the file was written just now, read again a little later.
 */
export async function readNewMail(o: { dir: string; folder: string; key: string; uid: number; file: string | undefined; log: Logger }): Promise<NewMail> {
  const { dir, folder, key, uid, log } = o;
  let head = await readStart(dir, key, o.file, HEAD_BYTES, log);
  for (let i = 0; i < GROWING_RETRIES && head.file && !parseAlertHeaders(head.bytes).complete && Date.now() - head.mtimeMs < GROWING_MS; i++) {
    await new Promise((r) => setTimeout(r, GROWING_RETRY_MS));
    head = await readStart(dir, key, head.file, HEAD_BYTES, log);
  }
  const h = parseAlertHeaders(head.bytes);
  if (h.problem) log.warn({ folder, uid, file: head.file }, `new message with broken headers: ${h.problem}`);
  // The file's mtime is when the MDA wrote it (rename into new/ keeps it): the arrival time.
  const received = head.mtimeMs ? new Date(head.mtimeMs) : new Date();
  const date = h.date ?? received;
  return {
    folder,
    from: h.from,
    subject: h.subject,
    date: date.toISOString(),
    uid,
    sender: h.sender,
    to: h.to,
    cc: h.cc,
    priority: h.priority,
    received: received.toISOString(),
  };
}

/** The first `maxBytes` of message `key`'s file; undefined when it is gone. */
export async function readRawMessage(dir: string, key: string, maxBytes: number, log: Logger): Promise<RawMessage | undefined> {
  const head = await readStart(dir, key, await findMessageFile(dir, key), maxBytes, log);
  if (!head.file) return undefined;
  return { bytes: head.bytes, size: head.size, truncated: head.size > head.bytes.length };
}
