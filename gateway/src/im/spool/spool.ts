// The SEM spool (PRODUCT.md, "Scripting with SEM files"; issue 4): scripts drop IM-<n>.SEM
// files (sem-file.ts) into a folder, guarded by IM-<n>.LCK while they write; each becomes one chat
// message from the file's sender to its recipient, logged centrally, and the file is removed.
// Files present at start are processed; new ones are noticed by fs.watch within milliseconds of
// their LCK going away, with a periodic full listing as the safety net (spool-watcher.ts). A
// SEM file that appears without an LCK is taken once it has not changed for SETTLE_MS (a writer
// that ignores the protocol may still be writing it). Malformed and undeliverable files go to
// bad/ with a reason (quarantine.ts) and never hold up the files behind them.
//
// EXACTLY ONCE, ALSO ACROSS kill -9. A file goes through these steps, one file at a time:
//   1. claim: rename(2) IM-<n>.SEM → work/<claim> (claim names are unique: spool-layout.ts).
//      Atomic: the file is in the spool folder or in work/, never both, never neither. A writer
//      reusing the number later makes a new file; the claimed one cannot change under us.
//   2. read and check it; a bad file is quarantined (reason written, then renamed into bad/).
//   3. deliver through the XMPP server (xmpp/modules/system-message.ts), which
//      a. appends the line to the central IM log (synchronous write(2): survives kill -9), then
//      b. in ONE SQLite transaction stores the effect — the archive row, the offline row when
//         the recipient is offline — and our journal row (file name + SHA-256 of its bytes,
//         store/spool-journal.ts) together with the log's size at that moment (the "mark"),
//      c. after the commit, writes the stanza to the recipient's live sessions.
//   4. unlink work/<claim>; a later commit forgets the journal row.
// At start, before anything new is taken, every file left in work/ is decided:
//   - a journal row with the same hash: it was delivered (crash after 3b) → just unlink it;
//   - no row: not delivered. If its log line is in the log after the mark (log-mark.ts) it was
//     cut between 3a and 3b → delivered now WITHOUT a second log line; else delivered normally.
//     Deliveries run one after another, so at most one file can be in that state (or one whose
//     delivery failed after logging and waits for a retry: the mark is not moved past it then).
// A crash at any other point repeats a step that left no trace (1, 2, 4 are idempotent renames
// and unlinks; 3b is all or nothing). So for offline recipients — the offline row — delivery is
// exactly once, and the log has exactly one line per delivered file.
// THE WINDOW THAT STAYS OPEN: live delivery writes to an in-memory socket, after the commit
// (3b before 3c). A kill -9 after the commit and before the bytes reach the kernel loses that
// live push — the journal says delivered, so it is not sent again. When the client keeps up,
// that is a few microseconds of JavaScript in the same tick, no I/O waited for; when the client
// reads slower than messages arrive, Node keeps what the kernel does not take yet in the socket's
// own buffer, and a kill loses all of that (as it does for every chat message a client sends
// through the server). Such a message is not gone: it is in the central IM log and, with archives
// on (the default), in the recipient's archive, committed in 3b, where a MAM-syncing client (the
// tray app, Gajim, Conversations) finds it. Sending first and committing after would turn the
// loss into duplicates (same stanza id, but twice); we chose never-twice. Closing the window for
// good needs the client's acknowledgement (XEP-0198 stream management acks), which this does not
// use. The kill -9 test counts such misses separately (test/integration/sem-spool-crash.test.ts).
// xmpp.mode=external (ejabberd carries the chat): step 3 is asynchronous — log, then ejabberd's HTTP
// API takes the message, then the journal row is committed (xmpp/external/ejabberd-server-im.ts,
// main.ts). The file stays in work/ until then and nothing else is taken meanwhile, so the recovery
// above holds; but there is no shared transaction with ejabberd, so a crash after ejabberd took the
// message and before the commit sends it once more at the next start (same stanza id, no second log
// line when the log line was written): at least once there, never lost.
import { existsSync, lstatSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../config/logger.ts';
import type { SpoolJournal, SpoolOutcome } from '../../store/index.ts';
import { currentLogMark } from './log-mark.ts';
import { quarantine, sweepOrphanReasons, tighten } from './quarantine.ts';
import { lockNameOf, parseSemFile, SemFormatError, type SemMessage } from './sem-file.ts';
import { recoverClaims, sha256 } from './recovery.ts';
import { createClaimNamer, ensureSpoolLayout, messageIdOf } from './spool-layout.ts';
import { readSpoolStatus, type SpoolStatus } from './spool-status.ts';
import { watchSpool, type SpoolWatcher } from './spool-watcher.ts';

/** A SEM file without an LCK is taken once it has not changed for this long. */
export const SETTLE_MS = 40;
/** Longest stretch of work before the event loop gets a turn (XMPP traffic goes on meanwhile). */
const SLICE_MS = 15;
/** After this many files in a row, the folder is listed again (notifications may have been lost). */
const BURST = 256;
/** Journal rows of removed files are forgotten with the next commit, or after this idle time. */
const FORGET_MS = 1000;
/** The log mark is moved forward when it is older than this (keeps the scan after a crash short). */
const MARK_REFRESH_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/**
 * The WAL is checkpointed after this many deliveries, before the next one (about 9 pages each:
 * well under SQLite's 1,000-page automatic checkpoint), so that checkpoint — fsyncs, milliseconds
 * — does not run inside a delivery's COMMIT, between the commit and the socket write.
 */
const CHECKPOINT_EVERY = 50;

export interface ScriptedMessage {
  from: string;
  to: string;
  body: string;
  /** Stanza id, the same on every attempt for the file. */
  id: string;
}

export interface DeliverOptions {
  /** The message is in the central IM log already (found there after a crash). */
  logged: boolean;
  /** Called inside the transaction that stores the delivery's effect (the journal row goes there). */
  commit(outcome: SpoolOutcome): void;
}

/**
 * Delivers one message (main.ts wires the XMPP server's entry point in); throws SpoolDeliveryError.
 * An asynchronous delivery (xmpp.mode=external: ejabberd's HTTP API) returns a promise instead, calls
 * `commit` itself once the server took the message and rejects with SpoolDeliveryError; the spool
 * takes nothing else until it settled (one delivery at a time, as the recovery needs: see the header).
 */
export type DeliverScripted = (m: ScriptedMessage, o: DeliverOptions) => SpoolOutcome | Promise<void>;

/** A refused delivery: `permanent` → the file goes to bad/; otherwise it is tried again later. */
export class SpoolDeliveryError extends Error {
  override name = 'SpoolDeliveryError';
  constructor(
    message: string,
    readonly permanent: boolean,
    /** Its log line was written (a retry must not write another). */
    readonly logged = false,
  ) {
    super(message);
  }
}

export interface SemSpoolDeps {
  /** The spool folder (created with work/ and bad/ if missing). */
  dir: string;
  maxBytes: number;
  rescanMs: number;
  journal: SpoolJournal;
  /** The central IM log's folder (the witness after a crash). */
  logDir: string;
  /** Undefined: nothing can deliver (XMPP switched off) — files wait, `offReason` says why. */
  deliver: DeliverScripted | undefined;
  offReason?: string;
  log: Logger;
}

export interface SemSpool {
  readonly dir: string;
  status(): SpoolStatus;
  /** Stops taking files; an asynchronous delivery under way is waited for. */
  close(): void | Promise<void>;
}

interface Claim {
  claim: string;
  original: string;
  logged: boolean;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function startSemSpool(deps: SemSpoolDeps): SemSpool {
  const { journal, log, logDir, maxBytes } = deps;
  const layout = ensureSpoolLayout(deps.dir);
  const deliver = deps.deliver;
  const status = (problem: string | null) => readSpoolStatus(layout, { state: journal.state(), problem });

  if (!deliver) {
    const why = deps.offReason ?? 'nothing delivers messages';
    journal.setProblem(why);
    const s = readSpoolStatus(layout);
    log.warn({ dir: layout.root, pending: s.pending, inProgress: s.inProgress }, `SEM spool: files wait, ${why}`);
    return { dir: layout.root, status: () => status(why), close() {} };
  }

  const startedAt = Date.now();
  const claimName = createClaimNamer(startedAt);
  const queue = new Set<string>();
  /** SEM files whose writer follows the LCK protocol (an LCK was seen): complete once it is gone. */
  const lockSeen = new Set<string>();
  const settling = new Map<string, NodeJS.Timeout>();
  /** Claimed files waiting for a passing problem (the log or database failing), oldest first. */
  const retry: Claim[] = [];
  let forget: string[] = [];
  let forgetTimer: NodeJS.Timeout | undefined;
  let pauseTimer: NodeJS.Timeout | undefined;
  let pausedUntil = 0;
  let backoffMs = 0;
  let problem: string | null = null;
  let markAt = 0;
  let sinceScan = 0;
  let sinceCheckpoint = 0;
  let scheduled = false;
  let closed = false;
  /** An asynchronous delivery under way: nothing else is taken until it settled. */
  let inFlight: Promise<void> | undefined;

  const setProblem = (p: string | null) => {
    if (p === problem) return;
    problem = p;
    if (p) log.warn({ dir: layout.root }, `SEM spool: delivery paused: ${p}`);
    else log.info({ dir: layout.root }, 'SEM spool: delivering again');
    try {
      journal.setProblem(p);
    } catch {
      // The database is what fails, maybe: the log line above says it.
    }
  };

  const schedule = () => {
    if (scheduled || closed) return;
    scheduled = true;
    setImmediate(pump);
  };
  const enqueue = (name: string) => {
    if (closed) return;
    queue.add(name);
    schedule();
  };
  const flushForget = () => {
    clearTimeout(forgetTimer);
    forgetTimer = undefined;
    if (!forget.length) return;
    const names = forget;
    forget = [];
    try {
      journal.forget(names);
    } catch (e) {
      forget.push(...names);
      log.warn({ err: errText(e) }, 'SEM spool: journal rows could not be forgotten yet');
    }
  };
  /** Moves the log mark up to now, unless a logged-but-undelivered file depends on the old one. */
  const refreshMark = () => {
    if (retry.some((c) => c.logged)) return;
    journal.setMark(currentLogMark(logDir));
    markAt = Date.now();
  };

  const bad = (c: Claim, reason: string): boolean => {
    try {
      const name = quarantine(layout.bad, path.join(layout.work, c.claim), c.original, reason);
      log.warn({ file: c.original, bad: name, reason }, `SEM file ${c.original} moved to bad/: ${reason}`);
      return true;
    } catch (e) {
      setProblem(`cannot move ${c.original} to ${layout.bad}: ${errText(e)}`);
      return false;
    }
  };

  /** Reads, checks and delivers a claimed file. False: a passing problem, try again later; 'pending': see settled(). */
  const attempt = (c: Claim): boolean | 'pending' => {
    const file = path.join(layout.work, c.claim);
    let buf: Buffer;
    try {
      const st = lstatSync(file);
      if (st.isSymbolicLink()) return bad(c, 'the file is a symbolic link; only regular files are read');
      if (!st.isFile()) return bad(c, 'not a regular file');
      if (st.size > maxBytes) return bad(c, `the file is too large: ${st.size} bytes, more than im.spool.maxBytes (${maxBytes})`);
      buf = readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // removed by hand from work/
      return bad(c, `the file cannot be read: ${errText(e)}`);
    }
    let m: SemMessage;
    try {
      m = parseSemFile(buf, { maxBytes });
    } catch (e) {
      if (e instanceof SemFormatError) return bad(c, e.message);
      throw e;
    }
    const hash = sha256(buf);
    if (++sinceCheckpoint >= CHECKPOINT_EVERY) {
      sinceCheckpoint = 0;
      try {
        journal.checkpoint();
      } catch (e) {
        log.warn({ err: errText(e) }, 'SEM spool: WAL checkpoint failed (SQLite will checkpoint by itself)');
      }
    }
    let taken: string[] = [];
    const failed = (e: unknown): boolean => {
      forget.push(...taken);
      taken = [];
      if (!(e instanceof SpoolDeliveryError)) {
        // A bug, not a passing condition: this file goes aside so it cannot stop the others.
        log.error({ err: e, file: c.original }, 'SEM spool: delivery failed unexpectedly');
        return bad(c, `delivery failed unexpectedly: ${errText(e)}`);
      }
      if (e.permanent) return bad(c, e.message);
      c.logged ||= e.logged;
      setProblem(`${c.original}: ${e.message}`);
      return false;
    };
    let pending: SpoolOutcome | Promise<void>;
    try {
      pending = deliver({ from: m.from, to: m.to, body: m.text, id: messageIdOf(c.claim) }, {
        logged: c.logged,
        commit: (outcome) => {
          taken = forget;
          forget = [];
          journal.delivered({ name: c.claim, hash, outcome }, currentLogMark(logDir), taken);
        },
      });
    } catch (e) {
      return failed(e);
    }
    if (typeof pending !== 'string') {
      // Settles later: the file stays in work/ until then; a crash meanwhile sends it again at the
      // next start (no journal row) — at most this one message twice, with the same stanza id.
      inFlight = pending.then(
        () => settled(c, delivered(c, file, m)),
        (e: unknown) => settled(c, failed(e)),
      );
      return 'pending';
    }
    return delivered(c, file, m);
  };

  /** An asynchronous delivery ended: the file is done (or goes on waiting in `retry`), the pump goes on. */
  const settled = (c: Claim, done: boolean) => {
    inFlight = undefined;
    const i = retry.indexOf(c);
    if (done) {
      if (i >= 0) retry.splice(i, 1);
    } else {
      if (i < 0) retry.push(c);
      if (!closed) pause();
    }
    schedule();
  };

  const delivered = (c: Claim, file: string, m: SemMessage): true => {
    markAt = Date.now();
    try {
      unlinkSync(file);
    } catch {
      // Gone already; if it stayed, the journal row tells the next start it was delivered.
    }
    forget.push(c.claim);
    forgetTimer ??= setTimeout(flushForget, FORGET_MS);
    backoffMs = 0;
    if (problem) setProblem(null);
    log.debug({ file: c.original, to: m.to }, 'SEM message delivered');
    return true;
  };

  const pause = () => {
    backoffMs = Math.min(Math.max(1000, backoffMs * 2), MAX_BACKOFF_MS);
    pausedUntil = Date.now() + backoffMs;
    clearTimeout(pauseTimer);
    pauseTimer = setTimeout(schedule, backoffMs);
  };

  /** Looks at a SEM file in the spool folder: claims and delivers it when it is complete. */
  const look = (name: string): void => {
    const file = path.join(layout.root, name);
    if (existsSync(path.join(layout.root, lockNameOf(name)))) {
      lockSeen.add(name); // its writer is at work; the LCK's removal brings the file back here
      return;
    }
    let mtime: number;
    try {
      mtime = lstatSync(file).mtimeMs;
    } catch {
      lockSeen.delete(name); // taken already, or never written
      return;
    }
    if (!lockSeen.has(name)) {
      const wait = SETTLE_MS - (Date.now() - mtime);
      if (wait > 0) {
        if (!settling.has(name)) {
          settling.set(
            name,
            setTimeout(() => {
              settling.delete(name);
              enqueue(name);
            }, wait + 1),
          );
        }
        return;
      }
    }
    lockSeen.delete(name);
    const c: Claim = { claim: claimName(name), original: name, logged: false };
    try {
      renameSync(file, path.join(layout.work, c.claim));
      tighten(path.join(layout.work, c.claim));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') setProblem(`cannot claim ${name} into ${layout.work}: ${errText(e)}`);
      return;
    }
    sinceScan++;
    if (attempt(c) === false) {
      retry.push(c);
      pause();
    }
  };

  function pump(): void {
    scheduled = false;
    if (closed || inFlight || Date.now() < pausedUntil) return;
    const deadline = performance.now() + SLICE_MS;
    if (Date.now() - markAt > MARK_REFRESH_MS) refreshMark();
    while (retry.length) {
      const r = attempt(retry[0]!);
      if (r === 'pending') return; // settled() takes it out of retry and schedules again
      if (!r) return pause();
      retry.shift();
      if (performance.now() > deadline) return schedule();
    }
    for (const name of queue) {
      queue.delete(name);
      look(name);
      if (inFlight || Date.now() < pausedUntil) return;
      if (performance.now() > deadline) break;
    }
    if (queue.size) return schedule();
    if (sinceScan >= BURST) {
      sinceScan = 0;
      watcher.rescan();
    }
  }

  // Start: quarantines cut short, then the files a crash left in work/ (see the header).
  journal.setProblem(null); // whatever a previous run left there
  sweepOrphanReasons(layout.bad);
  const recovered = recoverClaims({ layout, journal, logDir, maxBytes, startedAt });
  if (recovered.delivered || recovered.undecided.length) {
    const { delivered, undecided } = recovered;
    log.info({ delivered, again: undecided.length, logged: undecided.filter((c) => c.logged).length }, 'SEM spool: files claimed before the last stop were sorted out');
  }
  retry.push(...recovered.undecided);
  for (let r: boolean | 'pending' = true; r === true && retry.length; ) if ((r = attempt(retry[0]!)) === true) retry.shift();
  if (retry.length && !inFlight) pause();
  refreshMark();

  // Declared last: pump() runs only from the event loop, after this line.
  const watcher: SpoolWatcher = watchSpool(layout.root, { candidate: enqueue, lockTouched: (n) => lockSeen.add(n) }, { rescanMs: deps.rescanMs, log });
  watcher.rescan();
  log.info({ dir: layout.root }, 'SEM spool watching');

  return {
    dir: layout.root,
    status: () => status(problem),
    close() {
      closed = true;
      watcher.close();
      for (const t of settling.values()) clearTimeout(t);
      clearTimeout(pauseTimer);
      const done = () => {
        clearTimeout(forgetTimer);
        flushForget();
      };
      if (!inFlight) return done();
      return inFlight.then(done);
    },
  };
}
