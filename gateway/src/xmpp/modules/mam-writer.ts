// XEP-0313: Message Archive Management — the write path shared by every archive (users' 1:1
// messages, mam.ts; rooms' messages, muc/archive.ts). A message gets its archive id at once (it is
// delivered with it as an XEP-0359 stanza-id), but its row waits up to FLUSH_MS: what arrives in
// that window is one SQLite transaction, so under load rows share their index pages (about half
// the cost per row at 2,000 rows). Whoever reads an archive flushes first, so nothing waiting is
// ever missing from an answer; so does the server's shutdown (stop()), after which rows are
// written at once; and so does a stream-management ack (XEP-0198 <a/>, host.beforeAck), so a
// message a client saw acknowledged is in the archive. A crash can lose the last 50 ms of rows
// of messages not acknowledged that way, never from the central IM log, which is written before
// delivery.
import type { Logger } from '../../config/logger.ts';
import type { ArchiveRow, ArchiveStore } from '../../store/archive.ts';

/** How long archived rows may wait to be written together, and how many may wait. */
const FLUSH_MS = 50;
const BATCH_ROWS = 2000;

export class ArchiveWriter {
  private pending: ArchiveRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly store: ArchiveStore,
    private readonly log: Logger,
  ) {}

  /**
   * Queues a message for the archive `owner` (a user's bare JID for 1:1 messages — the row is in
   * the peer's archive too — or a room's JID) and returns its archive id.
   */
  add(owner: string, peer: string, stanza: string): number {
    const id = this.store.nextId();
    this.pending.push({ id, owner, peer, stanza });
    if (this.stopped || this.pending.length >= BATCH_ROWS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
    return id;
  }

  /**
   * Writes what waits, in one transaction. When that fails, row by row, so one row the database
   * refuses does not take the others with it; what cannot be written is logged and dropped (the
   * central IM log has every message).
   */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    try {
      this.store.add(rows);
      return;
    } catch {
      // one by one below
    }
    let lost = 0;
    let err = '';
    for (const row of rows) {
      try {
        this.store.add([row]);
      } catch (e) {
        lost++;
        err = (e as Error).message;
      }
    }
    if (lost) this.log.error({ err, count: lost, of: rows.length }, 'messages could not be archived');
  }

  /** Deletes an archive (a room's that was destroyed), rows still waiting included; returns how many. */
  clear(owner: string): number {
    this.flush();
    return this.store.clear(owner);
  }

  /** The server is closing: writes what waits, and from now on every row at once. */
  stop(): void {
    this.stopped = true;
    this.flush();
  }
}
