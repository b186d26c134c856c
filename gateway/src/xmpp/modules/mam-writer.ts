// XEP-0313: Message Archive Management — the write path shared by every archive (users' 1:1
// messages, mam.ts; rooms' messages, muc/archive.ts). A message gets its archive id at once (it is
// delivered with it as an XEP-0359 stanza-id), but its row waits up to FLUSH_MS: what arrives in
// that window is written together, so under load rows share their index pages — in transactions
// of CHUNK_ROWS, a few per turn of the event loop, so a burst never holds it for long. Whoever reads an archive flushes first, so nothing waiting is
// ever missing from an answer; so does the server's shutdown (stop()), after which rows are
// written at once; and so does a stream-management ack (XEP-0198 <a/>, host.beforeAck), so a
// message a client saw acknowledged is in the archive. A crash can lose the last 50 ms of rows
// of messages not acknowledged that way, never from the central IM log, which is written before
// delivery.
import type { Logger } from '../../config/logger.ts';
import type { ArchiveRow, ArchiveStore } from '../../store/archive.ts';

/** How long archived rows may wait to be written together. */
const FLUSH_MS = 50;
/**
 * Rows per transaction when the writer drains on its own, and how long it may hold the event loop
 * in one turn before it lets the sockets in (issue 12: no event-loop stall over 20 ms while people
 * chat). A row costs 20-90 us (bench rows, a busy 2-core machine): 2,000 rows in one transaction
 * held the loop for 47-98 ms, 100 rows for under 30 ms at worst (the writes of a closed-loop chat
 * at 15,000 msgs/s are ~750 rows per 50 ms).
 */
export const CHUNK_ROWS = 100;
const TURN_MS = 5;
/** Past this many rows waiting the drain keeps writing in its turn: the backlog must not grow for ever. */
const BACKLOG_ROWS = 2000;

export class ArchiveWriter {
  private pending: ArchiveRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
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
    if (this.stopped) this.flush();
    else if (this.pending.length >= CHUNK_ROWS) this.drainSoon();
    else this.timer ??= setTimeout(() => this.drain(), FLUSH_MS).unref();
    return id;
  }

  /** Writes everything that waits, now, in one transaction (readers, acks, shutdown). */
  flush(): void {
    this.cancel();
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    this.write(rows);
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** Drains at the next turn of the event loop (after the I/O that is ready now). */
  private drainSoon(): void {
    if (this.immediate) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = setImmediate(() => this.drain()).unref();
  }

  /** Writes CHUNK_ROWS at a time for up to TURN_MS (longer while past BACKLOG_ROWS), then yields. */
  private drain(): void {
    this.cancel();
    const started = performance.now();
    while (this.pending.length) {
      this.write(this.pending.splice(0, CHUNK_ROWS));
      if (this.pending.length && this.pending.length <= BACKLOG_ROWS && performance.now() - started >= TURN_MS) return this.drainSoon();
    }
  }

  /**
   * Writes rows in one transaction. When that fails, row by row, so one row the database refuses
   * does not take the others with it; what cannot be written is logged and dropped (the central IM
   * log has every message).
   */
  private write(rows: ArchiveRow[]): void {
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
