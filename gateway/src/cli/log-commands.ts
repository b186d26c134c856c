// `herald-gateway log search`: the central IM log as an admin reads it.
import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import { searchImLog } from '../im/im-log-search.ts';
import { UsageError, type Flags } from './admin-commands.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function runLogCommand(settings: Settings, args: string[], flags: Flags, out: (line: string) => void): Promise<void> {
  if (args[0] !== 'search') throw new UsageError(`unknown command: log ${args[0] ?? ''}`);
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  for (const k of ['since', 'until']) {
    const v = str(k);
    if (v !== undefined && (!DAY.test(v) || Number.isNaN(Date.parse(v)))) throw new UsageError(`--${k} takes a date as YYYY-MM-DD (got "${v}")`);
  }
  const stats = { malformed: 0 };
  let n = 0;
  for await (const e of searchImLog({ dir: path.join(settings.dataDir, 'logs'), user: str('user'), since: str('since'), until: str('until'), text: str('text') }, stats)) {
    const when = e.time.toISOString().replace('T', ' ').slice(0, 19);
    const files = e.attachments.length ? ` (${e.attachments.join(' ')})` : '';
    out(`${when}  ${e.type.padEnd(9)} ${e.from} → ${e.to}: ${e.body.replace(/\n/g, '\n' + ' '.repeat(22))}${files}`);
    n++;
  }
  process.stderr.write(`${n} message(s)${stats.malformed ? `, ${stats.malformed} unreadable line(s) skipped` : ''}\n`);
}
