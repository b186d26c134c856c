// Maildir++ layout (as Dovecot and Courier write it): the user's root is INBOX; every other
// folder is a sibling directory ".Name.Sub" holding cur/ new/ tmp/, its name in modified UTF-7.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeMutf7 } from '../utf7.ts';

export interface MaildirFolder {
  /** Folder path with the configured separator, UTF-8 ("Projects/Herald"). */
  path: string;
  /** Directory holding cur/ and new/. */
  dir: string;
}

/** The user's Maildir root from a template: %d domain, %n local part, %u address, %data% data folder. */
export function maildirRoot(template: string, a: { address: string; local: string; domain: string }, dataDir: string): string {
  const safe = (s: string) => {
    // The address is validated upstream; still, never let it climb out of the root.
    if (s.includes('/') || s.includes('\0') || s === '.' || s === '..') throw new Error(`unsafe path segment "${s}"`);
    return s;
  };
  return path.resolve(
    template
      .replaceAll('%data%', dataDir)
      .replaceAll('%d', safe(a.domain))
      .replaceAll('%n', safe(a.local))
      .replaceAll('%u', safe(a.address)),
  );
}

/** Maps a Maildir++ directory name (".Projects.Herald") to a folder path ("Projects/Herald"). */
export function folderPathOf(dirName: string, separator: string): string {
  return dirName
    .slice(1)
    .split('.')
    .map(decodeMutf7)
    .join(separator);
}

/**
 * Lists INBOX and every Maildir++ subfolder that has a cur/ directory; `incomplete` counts
 * ".Name" directories without cur/ yet (a folder being created). Throws if the root is unreadable.
 */
export async function listFolders(root: string, separator: string): Promise<{ folders: MaildirFolder[]; incomplete: number }> {
  const entries = await readdir(root, { withFileTypes: true });
  const folders: MaildirFolder[] = [{ path: 'INBOX', dir: root }];
  let incomplete = 0;
  await Promise.all(
    entries
      .filter((e) => e.name.startsWith('.') && e.name !== '.' && e.name !== '..' && e.name.length > 1 && (e.isDirectory() || e.isSymbolicLink()))
      .map(async (e) => {
        const dir = path.join(root, e.name);
        const cur = await stat(path.join(dir, 'cur')).catch(() => undefined);
        if (cur?.isDirectory()) folders.push({ path: folderPathOf(e.name, separator), dir });
        else incomplete++;
      }),
  );
  return { folders, incomplete };
}

export interface MessageName {
  /** The unique part of the file name, stable when the flags change or the file moves new/ → cur/. */
  key: string;
  seen: boolean;
}

/** Parses a message file name: "<unique>[:2,<flags>]" (flags only count in cur/). */
export function parseMessageName(name: string, inNew: boolean): MessageName | undefined {
  if (name.startsWith('.')) return undefined; // editors' and tools' temporary files
  const colon = name.indexOf(':');
  const key = colon === -1 ? name : name.slice(0, colon);
  if (!key) return undefined;
  if (inNew || colon === -1) return { key, seen: false };
  const info = name.slice(colon + 1);
  const flags = info.startsWith('2,') ? info.slice(2) : '';
  return { key, seen: flags.includes('S') };
}

export interface FolderScan {
  /** key → seen */
  messages: Map<string, boolean>;
  /** key → file path, for the messages found in new/ (candidates for an alert). */
  newFiles: Map<string, string>;
  /** key → file path in cur/ */
  curFiles: Map<string, string>;
}

/** Reads new/ and cur/ of one folder. A message seen in both (mid-move) counts once, from cur/. */
export async function scanFolder(dir: string): Promise<FolderScan> {
  const [inNew, inCur] = await Promise.all([readdir(path.join(dir, 'new')).catch(missingOk), readdir(path.join(dir, 'cur')).catch(missingOk)]);
  const messages = new Map<string, boolean>();
  const newFiles = new Map<string, string>();
  const curFiles = new Map<string, string>();
  for (const name of inNew) {
    const m = parseMessageName(name, true);
    if (!m) continue;
    messages.set(m.key, false);
    newFiles.set(m.key, path.join(dir, 'new', name));
  }
  for (const name of inCur) {
    const m = parseMessageName(name, false);
    if (!m) continue;
    messages.set(m.key, m.seen);
    newFiles.delete(m.key);
    curFiles.set(m.key, path.join(dir, 'cur', name));
  }
  return { messages, newFiles, curFiles };
}

function missingOk(e: NodeJS.ErrnoException): string[] {
  if (e.code === 'ENOENT') return [];
  throw e;
}
