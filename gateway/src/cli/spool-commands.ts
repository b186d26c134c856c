// `herald-gateway im send` and `herald-gateway spool status`: scripting IMs from a shell. `im send`
// writes a SEM file into the spool folder by the LCK protocol — the same path as any script's
// file — so it works while `serve` runs (the message goes out within milliseconds) and while it
// does not (the file waits). What the gateway would refuse is refused here already, with the
// same words. `spool status` reads the folder and the journal's state row, so it shows what the
// running server sees.
import { existsSync, readFileSync } from 'node:fs';
import type { Settings } from '../config/schema.ts';
import { parseAddress } from '../directory/address.ts';
import { parseSemFile, SemFormatError, formatSemFile } from '../im/spool/sem-file.ts';
import { writeSemFile } from '../im/spool/sem-writer.ts';
import { ensureSpoolLayout, spoolDirOf, spoolLayout } from '../im/spool/spool-layout.ts';
import { readSpoolStatus, type SpoolStatus } from '../im/spool/spool-status.ts';
import { HeraldError } from '../protocol/errors.ts';
import { createStore } from '../store/index.ts';
import { UsageError, type Flags } from './admin-commands.ts';

const XMPP_OFF = 'the XMPP server is switched off (xmpp.enabled=false): files wait';

/** The message text: the arguments after the address, else standard input when it is not a terminal. */
function messageText(parts: string[]): string {
  if (parts.length) return parts.join(' ');
  if (process.stdin.isTTY) return '';
  return readFileSync(0, 'utf8');
}

export async function runImCommand(settings: Settings, args: string[], flags: Flags, out: (line: string) => void, readText = messageText): Promise<void> {
  const [action, target, ...words] = args;
  if (action !== 'send') throw new UsageError(`unknown command: im ${action ?? ''}`.trim());
  if (!target) throw new UsageError('missing recipient (im send <local@domain> <text>)');
  let to: string;
  try {
    to = parseAddress(target).address;
  } catch {
    throw new UsageError(`"${target}" is not an address (expected local@domain)`);
  }
  if (flags.from !== undefined && (typeof flags.from !== 'string' || !flags.from.trim())) throw new UsageError('--from needs an address');
  const fromInput = typeof flags.from === 'string' ? flags.from : settings.im.serviceAddress.replaceAll('%d', to.slice(to.lastIndexOf('@') + 1));
  let from: string;
  try {
    from = parseAddress(fromInput).address;
  } catch {
    throw flags.from !== undefined ? new UsageError(`--from "${fromInput}" is not an address (expected local@domain)`) : new HeraldError('bad_request', `im.serviceAddress makes "${fromInput}", which is not an address`);
  }
  const text = readText(words);
  if (!text.trim()) throw new UsageError('no message text (im send <local@domain> <text>, or the text on standard input)');
  // Whatever the spool would put in bad/ is refused now, in its words.
  try {
    parseSemFile(formatSemFile({ to, from, text }), { maxBytes: settings.im.spool.maxBytes });
  } catch (e) {
    if (e instanceof SemFormatError) throw new HeraldError('bad_request', `the message would be refused: ${e.message}`);
    throw e;
  }
  const store = createStore(settings.dataDir);
  try {
    const domain = store.domains.get(to.slice(to.lastIndexOf('@') + 1));
    if (!store.accounts.byAddress(to)) throw new HeraldError('not_found', `${to} is not a user here`);
    if (!domain?.imEnabled) throw new HeraldError('forbidden', `instant messaging is switched off for ${domain?.name ?? to}`);
  } finally {
    store.close();
  }
  const dir = ensureSpoolLayout(spoolDirOf(settings.im.spool.dir, settings.dataDir)).root;
  const name = writeSemFile(dir, { to, from, text });
  out(`queued ${name} for ${to} from ${from} in ${dir}`);
  if (!settings.xmpp.enabled) out(`note: ${XMPP_OFF}`);
}

const ago = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '-');

function printStatus(s: SpoolStatus, out: (line: string) => void): void {
  out(`SEM spool ${s.dir}`);
  out(`  pending      ${String(s.pending).padStart(6)}${s.oldestPendingSeconds !== null ? `   oldest waiting ${s.oldestPendingSeconds} s` : ''}`);
  out(`  locked       ${String(s.locked).padStart(6)}   their writer still holds the .LCK${s.lockOnly ? ` (+${s.lockOnly} .LCK without a .SEM)` : ''}`);
  out(`  in progress  ${String(s.inProgress).padStart(6)}`);
  out(`  bad          ${String(s.bad).padStart(6)}   in ${s.dir}/bad, each with a .reason`);
  out(`  delivered    ${String(s.delivered ?? 0).padStart(6)}   last ${ago(s.lastDeliveredAt)}`);
  if (s.problem) out(`  problem: ${s.problem}`);
  if (s.ignored.count) out(`  ignored: ${s.ignored.count} file(s) not named IM-<number>.SEM/.LCK, e.g. ${s.ignored.names.join(', ')}`);
  if (s.lastErrors.length) {
    out('last errors:');
    for (const e of s.lastErrors) out(`  ${ago(e.at)}  ${e.file}  ${e.reason}`);
  }
}

export function runSpoolCommand(settings: Settings, args: string[], flags: Flags, out: (line: string) => void): void {
  const [action, extra] = args;
  if (action !== 'status') throw new UsageError(`unknown command: spool ${action ?? ''}`.trim());
  if (extra !== undefined) throw new UsageError(`spool status takes options only (got "${extra}")`);
  const layout = spoolLayout(spoolDirOf(settings.im.spool.dir, settings.dataDir));
  if (!existsSync(layout.root)) throw new HeraldError('not_found', `the spool folder ${layout.root} does not exist yet (the gateway makes it at start)`);
  const store = createStore(settings.dataDir);
  let status: SpoolStatus;
  try {
    status = readSpoolStatus(layout, { state: store.spoolJournal.state(), ...(settings.xmpp.enabled ? {} : { problem: XMPP_OFF }) });
  } finally {
    store.close();
  }
  if (flags.json) out(JSON.stringify(status));
  else printStatus(status, out);
}
