// Shared by the sem-spool*.test.ts files: writing SEM files the way scripts do, reading what
// came out (the central IM log, bad/), and raw XMPP clients that are online to receive.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Element } from 'ltx';
import { IM_LOG_FILE, imLogDir, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';
import { sleep } from '../fixtures/peer-utils.ts';

export const PW = 'correct horse battery';

/** A SEM file's text. */
export const sem = (to: string, from: string, text: string, eol = '\n') => `${to}${eol}${from}${eol}${eol}${text}${eol}`;

/** Writes IM-<name>.SEM by the LCK protocol (LCK, SEM, LCK removed); returns when the LCK went (ms). */
export function drop(dir: string, name: string, content: string | Buffer): number {
  const lck = path.join(dir, `${name}.LCK`);
  closeSync(openSync(lck, 'wx'));
  writeFileSync(path.join(dir, `${name}.SEM`), content);
  unlinkSync(lck);
  return performance.now();
}

/** Appends to a file (a writer still at work). */
export function append(file: string, content: string | Buffer): void {
  const fd = openSync(file, 'a');
  writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
  closeSync(fd);
}

/** Every scripted line of the central IM log, all days. */
export function scriptedLines(dataDir: string): ImLogLine[] {
  const dir = imLogDir(dataDir);
  if (!existsSync(dir)) return [];
  const out: ImLogLine[] = [];
  for (const f of readdirSync(dir).filter((n) => IM_LOG_FILE.test(n)).sort()) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const l = parseImLogLine(line);
      if (l.type === 'scripted') out.push(l);
    }
  }
  return out;
}

/** The reason beside a file in bad/ (undefined: no such file there). */
export function badReason(spoolDir: string, name: string): string | undefined {
  const f = path.join(spoolDir, 'bad', name);
  if (!existsSync(f)) return undefined;
  return readFileSync(`${f}.reason`, 'utf8');
}

export async function waitFor<T>(fn: () => T | undefined | false | null, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Chat messages a client received, in order. */
export const chats = (c: RawClient): Element[] => c.received.filter((e) => e.name === 'message' && e.getChild('body'));
export const bodyOf = (e: Element) => e.getChildText('body') ?? '';

/** Logs in with PLAIN (no TLS) and sends initial presence: the client is available and receives. */
export async function online(port: number, address: string, resource = 'desk'): Promise<RawClient & { jid: string }> {
  const c = await login(port, address, PW, resource);
  c.send('<presence/>');
  // Our own presence comes back (RFC 6121 §4.2.2): from here on messages go to this client.
  await c.next((e) => e.name === 'presence' && e.attrs.from === c.jid);
  return c;
}
