// xmpp.mode=external: `serve` follows ejabberd's message archive (ejabberd-archive.ts) and hands
// every new row, in id order, to the central IM log's feed (main.ts wires im/im-log-feed.ts, which
// keeps the cursor and makes it exactly once across crashes). A row that is not a message Herald can
// read (unparsable XML, an unknown type) is skipped with a warning naming its archive id; the
// cursor moves past it, so one bad row never holds the log back.
//
// Wake-up: a change in the archive's folder (fs.watch: ejabberd's commits write the -wal file), and
// every archivePollMs in case an event is missed (network file systems, a replaced file). A
// look costs one indexed query on the primary key.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Element } from 'ltx';
import type { LoggedMessage } from '../modules/message.ts';
import { openArchive, type ArchiveReader } from './ejabberd-archive.ts';
import { mamRowToLogLine, type MamRow } from './mam-row.ts';

export interface TailRow {
  id: number;
  time: Date;
  entry: LoggedMessage | null;
}

/** The log's side (im/im-log-feed.ts). */
export interface TailSink {
  lastId(): number;
  pendingUpto(): number | null;
  write(rows: TailRow[], upto?: number): void;
}

export interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** Whether an archived message is one of the gateway's own IMs, logged when it was sent (mam-row.ts). */
export type ServerImCheck = (stanza: Element, from: string, to: string) => boolean;

/** Rows per batch: one begin/commit pair in Herald's store per batch. */
export const BATCH = 500;

/** Archive rows as the sink's rows: a row Herald cannot read is warned about by id and has no line. */
export function tailRowsOf(rows: readonly MamRow[], served: (domain: string) => boolean, log: Pick<Log, 'warn'>, serverIm?: ServerImCheck): TailRow[] {
  return rows.map((row): TailRow => {
    const time = new Date(Math.floor(Number(row.timestamp) / 1000));
    const line = mamRowToLogLine(row, served, serverIm);
    if ('bad' in line) log.warn({ archiveId: row.id, reason: line.bad }, 'ejabberd archive row skipped: not a message the central IM log can record');
    return { id: row.id, time, entry: 'log' in line ? line.log : null };
  });
}

export function startArchiveTail(o: { file: string; pollMs: number; served: (domain: string) => boolean; serverIm?: ServerImCheck; sink: TailSink; log: Log }) {
  const { file, sink, log } = o;
  let reader: ArchiveReader | undefined;
  let closed = false;
  let scheduled = false;
  let warnedMissing = false;
  let warnedBehind = false;
  let failing = false;
  let logged = 0;

  const open = (): ArchiveReader | undefined => {
    if (reader) return reader;
    if (!existsSync(file)) {
      if (!warnedMissing) log.warn({ file }, 'the ejabberd archive database does not exist yet: the central IM log is fed once ejabberd (or `herald-gateway ejabberd config`) has made it');
      warnedMissing = true;
      return undefined;
    }
    reader = openArchive(file);
    log.info({ file, after: sink.lastId() }, 'feeding the central IM log from the ejabberd archive');
    const mode = reader.journalMode();
    if (mode !== 'wal') {
      log.warn(
        { file, journalMode: mode },
        'the ejabberd archive is not in WAL mode, so reading it can make ejabberd fail to archive (and the log miss) a message: stop ejabberd, run sqlite3 on the file with "PRAGMA journal_mode=WAL;", start it again',
      );
    }
    return reader;
  };

  /** One batch; true when there may be more right away. */
  const step = (): boolean => {
    const r = open();
    if (!r) return false;
    const after = sink.lastId();
    const pending = sink.pendingUpto();
    const rows = pending !== null ? r.between(after, pending) : r.after(after, BATCH);
    if (!rows.length) {
      if (pending !== null) sink.write([], pending); // the interrupted batch's rows were deleted meanwhile
      else if (!warnedBehind && after > r.maxId()) {
        warnedBehind = true;
        log.warn({ file, cursor: after, archiveMax: r.maxId() }, 'the ejabberd archive ends before the IM log cursor: was the archive database replaced? Nothing is logged until its ids pass the cursor');
      }
      return false;
    }
    const out = tailRowsOf(rows, o.served, log, o.serverIm);
    sink.write(out, pending ?? undefined);
    logged += out.filter((x) => x.entry).length;
    return pending !== null || rows.length === BATCH;
  };

  const run = () => {
    scheduled = false;
    if (closed) return;
    let more = false;
    try {
      more = step();
      if (failing) log.info({ file }, 'the central IM log is fed from the ejabberd archive again');
      failing = false;
    } catch (e) {
      // The log cannot be written (disk full) or the archive cannot be read: the cursor stays, so
      // the same rows are tried again at the next wake-up.
      if (!failing) log.error({ err: (e as Error).message, file }, 'the central IM log cannot be fed from the ejabberd archive; retrying');
      failing = true;
      try {
        reader?.close();
      } catch {
        // already broken
      }
      reader = undefined;
    }
    if (more) wake();
  };
  const wake = () => {
    if (scheduled || closed) return;
    scheduled = true;
    setImmediate(run);
  };

  const base = path.basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), (_event, name) => {
      if (!name || name.startsWith(base)) wake();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No folder yet, or no inotify: the poll alone.
  }
  const timer = setInterval(wake, o.pollMs);
  timer.unref();
  wake();

  return {
    /** Lines written since start. */
    logged: () => logged,
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      reader?.close();
      reader = undefined;
    },
  };
}
export type ArchiveTail = ReturnType<typeof startArchiveTail>;
