// xmpp.mode=external with the archive on PostgreSQL (xmpp.external.archiveUrl; pg-archive.ts): the
// same feed as archive-tail.ts's for SQLite — every new archive row, in id order, to the central IM
// log's sink (im/im-log-feed.ts: cursor, exactly once across crashes) — for a cluster whose nodes
// all write one archive. Ids can become visible out of order there: archive-gaps.ts decides which
// rows may be taken (up to the first gap that may still fill, for at most gapGraceMs).
//
// Wake-up: every pollMs (one indexed query on `id`); right away again while a batch was full. No
// LISTEN/NOTIFY: that would need a trigger in ejabberd's schema.
import type { TailRow, TailSink, Log } from './archive-tail.ts';
import { BATCH, tailRowsOf, type ServerImCheck } from './archive-tail.ts';
import { createGapTracker } from './archive-gaps.ts';
import { openPgArchive, redactUrl, type PgArchiveReader } from './pg-archive.ts';

export function startPgArchiveTail(o: { url: string; pollMs: number; gapGraceMs: number; served: (domain: string) => boolean; serverIm?: ServerImCheck; sink: TailSink; log: Log }) {
  const { sink, log } = o;
  const where = redactUrl(o.url);
  const gaps = createGapTracker({ graceMs: o.gapGraceMs });
  let reader: PgArchiveReader | undefined;
  let closed = false;
  let running = false;
  let again = false;
  let failing = false;
  let warnedBehind = false;
  let waitingFrom: number | null = null;
  let logged = 0;
  let idle: (() => void)[] = [];

  const open = (): PgArchiveReader => {
    if (reader) return reader;
    reader = openPgArchive(o.url);
    log.info({ archive: where, after: sink.lastId() }, 'feeding the central IM log from the ejabberd archive (PostgreSQL)');
    return reader;
  };

  const write = (rows: TailRow[], upto?: number) => {
    sink.write(rows, upto);
    logged += rows.filter((x) => x.entry).length;
  };

  /** One batch; true when there may be more right away. */
  const step = async (): Promise<boolean> => {
    const r = open();
    const after = sink.lastId();
    const pending = sink.pendingUpto();
    if (pending !== null) {
      // A batch interrupted by a crash: its rows were decided on (gaps filled or given up) before.
      const rows = await r.between(after, pending);
      if (closed) return false;
      write(tailRowsOf(rows, o.served, log, o.serverIm), pending);
      return true;
    }
    const rows = await r.after(after, BATCH);
    if (closed) return false;
    if (!rows.length) {
      if (!warnedBehind && after > (await r.maxId())) {
        warnedBehind = true;
        log.warn({ archive: where, cursor: after }, 'the ejabberd archive ends before the IM log cursor: was the archive database replaced? Nothing is logged until its ids pass the cursor');
      }
      return false;
    }
    const take = gaps.take(after, rows);
    for (const g of take.gaveUp) log.warn({ archive: where, fromId: g.from, toId: g.to, graceMs: o.gapGraceMs }, 'ejabberd archive ids never became visible (a rolled-back insert): passed');
    if (take.waiting && waitingFrom !== take.waiting.from) log.info({ fromId: take.waiting.from, toId: take.waiting.to }, 'waiting for archive ids not committed yet before logging later ones');
    waitingFrom = take.waiting?.from ?? null;
    if (take.upto > after) write(tailRowsOf(take.rows, o.served, log, o.serverIm), take.upto);
    return !take.waiting && rows.length === BATCH;
  };

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (closed) break;
        try {
          again = await step();
          if (failing) log.info({ archive: where }, 'the central IM log is fed from the ejabberd archive again');
          failing = false;
        } catch (e) {
          // The archive cannot be read (PostgreSQL down) or the log cannot be written (disk full): the
          // cursor stays, so the same rows are tried again at the next poll.
          if (!failing) log.error({ err: (e as Error).message, archive: where }, 'the central IM log cannot be fed from the ejabberd archive; retrying');
          failing = true;
          const old = reader;
          reader = undefined;
          await old?.close().catch(() => undefined);
        }
      } while (again && !closed);
    } finally {
      running = false;
      const waiters = idle;
      idle = [];
      for (const w of waiters) w();
    }
  };
  const wake = () => void run();
  const timer = setInterval(wake, o.pollMs);
  timer.unref();
  wake();

  return {
    /** Lines written since start. */
    logged: () => logged,
    async close() {
      closed = true;
      clearInterval(timer);
      if (running) await new Promise<void>((r) => idle.push(r));
      await reader?.close().catch(() => undefined);
      reader = undefined;
    },
  };
}
export type PgArchiveTail = ReturnType<typeof startPgArchiveTail>;
