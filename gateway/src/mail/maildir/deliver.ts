// Maildir delivery as MTAs do it (write to tmp/, then rename into new/ — atomic, so a reader
// never sees half a message). Used by the demo seed, tests and benchmarks.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { encodeMutf7 } from '../utf7.ts';

let counter = 0;

/** Creates a Maildir++ folder (INBOX when `folder` is empty or INBOX) and returns its directory. */
export async function ensureMaildirFolder(root: string, folder = 'INBOX', separator = '/'): Promise<string> {
  const dir = !folder || folder === 'INBOX' ? root : path.join(root, `.${folder.split(separator).map(encodeMutf7).join('.')}`);
  await Promise.all(['cur', 'new', 'tmp'].map((d) => mkdir(path.join(dir, d), { recursive: true })));
  if (dir !== root) await writeFile(path.join(dir, 'maildirfolder'), '');
  return dir;
}

/** Delivers one message; `seen` files it straight into cur/ with the S flag (as a sent copy). Returns the file path. */
export async function deliverToMaildir(
  root: string,
  message: string | Buffer,
  opts: { folder?: string; seen?: boolean; separator?: string } = {},
): Promise<string> {
  const dir = await ensureMaildirFolder(root, opts.folder, opts.separator);
  const now = Date.now();
  const unique = `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++counter}R${randomBytes(4).toString('hex')}.${hostname().replace(/[/:]/g, '_')}`;
  const tmp = path.join(dir, 'tmp', unique);
  await writeFile(tmp, message);
  const target = opts.seen ? path.join(dir, 'cur', `${unique}:2,S`) : path.join(dir, 'new', unique);
  await rename(tmp, target);
  return target;
}

/** A plain RFC 5322 message for demos and tests. */
export function composeMessage(m: { from: string; to: string; subject: string; body?: string; date?: Date }): string {
  const encode = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`);
  return [
    `From: ${encode(m.from)}`,
    `To: ${m.to}`,
    `Subject: ${encode(m.subject)}`,
    `Date: ${(m.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@herald.invalid>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    m.body ?? '',
    '',
  ].join('\r\n');
}
