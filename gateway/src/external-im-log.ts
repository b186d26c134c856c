// xmpp.mode=external: the central IM log fed from ejabberd's message archive — an SQLite file
// (one node: xmpp/external/archive-tail.ts) or a cluster's PostgreSQL (xmpp/external/pg-archive-tail.ts)
// — through one feed and cursor (im/im-log-feed.ts). Wired here, beside main.ts, because it joins
// two services (xmpp's archive readers, im's log) that may not import each other.
import type { Logger } from './config/logger.ts';
import type { Settings } from './config/schema.ts';
import { imLogDir } from './im/im-log.ts';
import { createImLogFeed, type ImLogFeed } from './im/im-log-feed.ts';
import type { Store } from './store/index.ts';
import { startArchiveTail, type ServerImCheck, type TailSink } from './xmpp/external/archive-tail.ts';
import { archiveDbPath, createArchiveDb } from './xmpp/external/ejabberd-archive.ts';
import { startPgArchiveTail } from './xmpp/external/pg-archive-tail.ts';
import { createPgArchiveSchema, redactUrl } from './xmpp/external/pg-archive.ts';

export interface ExternalImLog {
  feed: ImLogFeed;
  tail: { close(): unknown };
}

/** Undefined when the settings name no archive (a warning says the log is not fed then). */
export async function startExternalImLog(o: {
  settings: Settings;
  store: Store;
  /** Counted once per line written (messages per minute in `status`). */
  countMessage: () => void;
  serverIm: ServerImCheck;
  log: Logger;
}): Promise<ExternalImLog | undefined> {
  const { settings, store, log } = o;
  const ext = settings.xmpp.external;
  if (!ext.archiveDb && !ext.archiveUrl) {
    log.warn('xmpp.external.archiveDb is not set: messages carried by ejabberd are NOT in the central IM log (README "Running IM on an ejabberd cluster")');
    return undefined;
  }
  const feed = createImLogFeed({ dir: imLogDir(settings.dataDir), store: store.imLogFeed, source: 'ejabberd-mam' });
  const sink: TailSink = {
    lastId: feed.lastId,
    pendingUpto: feed.pendingUpto,
    write: (rows, upto) => {
      feed.write(rows, upto);
      for (const r of rows) if (r.entry) o.countMessage();
    },
  };
  const common = { pollMs: ext.archivePollMs, served: (d: string) => store.domains.has(d), serverIm: o.serverIm, sink, log: log.child({ imLogFeed: true }) };
  if (ext.archiveDb) {
    const file = archiveDbPath(ext.archiveDb, settings.dataDir);
    try {
      createArchiveDb(file);
    } catch (e) {
      log.error({ err: (e as Error).message, file }, 'cannot create the ejabberd archive database (ejabberd makes it otherwise, but not in WAL mode)');
    }
    return { feed, tail: startArchiveTail({ file, ...common }) };
  }
  // A cluster's archive on PostgreSQL: ids can become visible out of order (pg-archive-tail.ts).
  const url = ext.archiveUrl!;
  await createPgArchiveSchema(url).catch((e: unknown) => log.error({ err: (e as Error).message, archive: redactUrl(url) }, 'cannot create the ejabberd archive tables on PostgreSQL (herald-gateway ejabberd config makes them too)'));
  return { feed, tail: startPgArchiveTail({ url, gapGraceMs: ext.archiveGapGraceMs, ...common }) };
}
