// The central IM log as the console's Message log page reads it: the same search as `herald-gateway
// log search` (im/im-log-search.ts: same files, same matching), by user and/or room, a UTC day
// range and text; one page of results with the total, or every result for the CSV export; and the
// days on disk with their file sizes.
import { statSync } from 'node:fs';
import path from 'node:path';
import { imLogDir, IM_LOG_FILE, type ImLogLine } from '../im/im-log.ts';
import { imLogFiles, searchImLog } from '../im/im-log-search.ts';
import type { LogQuery } from '../protocol/admin-rooms.ts';
import { HeraldError } from '../protocol/errors.ts';

const DAY_MS = 86_400_000;
export const LOG_PAGE_SIZE = 50;

const dayOf = (v: string | undefined, name: string): Date | undefined => {
  if (!v) return undefined;
  const t = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== v) throw new HeraldError('bad_request', `${name} takes a date as YYYY-MM-DD (got "${v}")`);
  return t;
};
const bareOf = (jid: string) => (jid.includes('/') ? jid.slice(0, jid.indexOf('/')) : jid).toLowerCase();

export function createAdminImLog({ dataDir }: { dataDir: string }) {
  const dir = imLogDir(dataDir);

  /** Every match in time order; `user` with `room`: that user's messages in that room. */
  async function* search(q: LogQuery): AsyncGenerator<ImLogLine> {
    const since = dayOf(q.since, 'since');
    const untilDay = dayOf(q.until, 'until');
    if (since && untilDay && since > untilDay) throw new HeraldError('bad_request', `since ${q.since} is after until ${q.until}`);
    // `until` names the last day to include, as in `log search --until`.
    const until = untilDay && new Date(untilDay.getTime() + DAY_MS);
    const user = q.user?.trim() || undefined;
    const room = q.room?.trim() || undefined;
    for (const who of [user, room]) if (who !== undefined && !who.includes('@')) throw new HeraldError('bad_request', `an address like alice@example.com is needed (got "${who}")`);
    const text = q.text?.trim() || undefined;
    for await (const e of searchImLog({ dir, user: room ?? user, since, until, text })) {
      if (room && user && bareOf(e.from) !== user.toLowerCase() && bareOf(e.to) !== user.toLowerCase()) continue;
      yield e;
    }
  }

  return {
    dir,
    search,
    /** One page of matches and how many there are in all. */
    async page(q: LogQuery, size = LOG_PAGE_SIZE): Promise<{ total: number; page: number; pages: number; lines: ImLogLine[] }> {
      const page = q.page ?? 1;
      const from = (page - 1) * size;
      const lines: ImLogLine[] = [];
      let total = 0;
      for await (const e of search(q)) {
        if (total >= from && lines.length < size) lines.push(e);
        total++;
      }
      return { total, page, pages: Math.max(1, Math.ceil(total / size)), lines };
    },
    /** The log files on disk, newest day first, with their sizes. */
    days(): { day: string; bytes: number }[] {
      return imLogFiles({ dir })
        .map((f) => {
          let bytes = 0;
          try {
            bytes = statSync(f).size;
          } catch {
            // deleted meanwhile
          }
          return { day: IM_LOG_FILE.exec(path.basename(f))![1]!, bytes };
        })
        .reverse();
    },
  };
}
export type AdminImLog = ReturnType<typeof createAdminImLog>;
