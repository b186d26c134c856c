// Scenario (f) in the load generator: the morning sign-in. N users of one domain, none online,
// whose rosters are everyone, sign in spread evenly over S seconds and stay online. Each client:
// connect, STARTTLS, SASL SCRAM-SHA-1, bind (xmpp-client.ts), then roster get and — when the roster
// result is in, as real clients do — initial presence. Timed per client from the TCP connect:
//   roster: until the roster result arrived (its <item/>s are counted: the roster must be everyone);
//   login:  until its own available presence came back (RFC 6121 §4.2.2: the server sends the
//           initial presence to all of the user's available resources, the sending one included).
// Every presence stanza any client receives afterwards is counted, not stored: with everyone
// online and subscribed both ways a full broadcast is N² stanzas (each arrival announced to the
// k already online, who are announced back to it, plus its own reflection).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { attr, Conn, type LoginSpec } from './xmpp-client.ts';

export interface MorningCommand {
  op: 'morning';
  /** One per user, in sign-in order; roster and presence are the scenario's own (set false here). */
  specs: LoginSpec[];
  /** Sign-ins start evenly over this many seconds. */
  seconds: number;
  /** Longest wait, after the last sign-in finished, for the presence flood to stop. */
  settleSeconds: number;
}

export interface MorningResult {
  wanted: number;
  /** Signed in: own presence came back. */
  ok: number;
  failed: number;
  errors: string[];
  /** From the first connect to the last sign-in finished (s), and sign-ins per second over it. */
  loginSeconds: number;
  loginsPerSecond: number;
  /** connect → roster result, connect → own presence reflected (ms). */
  rosterP50: number;
  rosterP99: number;
  loginP50: number;
  loginP99: number;
  loginMax: number;
  /** Roster items per roster result: smallest and largest seen (N − 1 when the roster is everyone). */
  rosterItemsMin: number;
  rosterItemsMax: number;
  /** Presence stanzas received by all clients (own reflections included), of which unavailable and errors. */
  presences: number;
  /** Available presence from another user, the first from that user to that client; a repeat of one. */
  distinctAvailable: number;
  duplicateAvailable: number;
  /** Own available presence reflected (first per client, then repeats). */
  ownReflections: number;
  unavailable: number;
  presenceErrors: number;
  /** What a full broadcast would be: ok². */
  expectedPresences: number;
  /** From the first connect until presence stopped arriving (s); whether it stopped within settleSeconds. */
  allPresenceSeconds: number;
  settled: boolean;
  loadCpu: number;
  loadLagP99: number;
  loadLagMax: number;
  /** Sessions that closed before the end. */
  closedSessions: number;
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countItems(s: string): number {
  let n = 0;
  for (let i = s.indexOf('<item'); i !== -1; i = s.indexOf('<item', i + 5)) n++;
  return n;
}

/** Runs the sign-in; the sessions stay open and are added to `sessions` (closed by the caller's closeAll). */
export async function morning(sessions: Conn[], cmd: MorningCommand): Promise<MorningResult> {
  const N = cmd.specs.length;
  const rosterMs = new Float64Array(N).fill(NaN);
  const loginMs = new Float64Array(N).fill(NaN);
  let itemsMin = Infinity;
  let itemsMax = 0;
  let presences = 0;
  let unavailable = 0;
  let presenceErrors = 0;
  let distinct = 0;
  let duplicates = 0;
  let own = 0;
  // One bit per (receiver, sender): N² bits (3 MiB at 5,000), to tell repeats from first copies.
  const seen = new Uint8Array(Math.ceil((N * N) / 8));
  const indexOfUser = new Map(cmd.specs.map((sp, k) => [sp.user, k] as const));
  let lastPresenceAt = 0;
  let failed = 0;
  let finished = 0;
  let lastFinish = 0;
  const errors: string[] = [];
  const mine: Conn[] = [];
  const cpu0 = process.cpuUsage();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = performance.now();

  const signIn = async (i: number) => {
    const spec = cmd.specs[i]!;
    const started = performance.now();
    let conn: Conn | undefined;
    try {
      conn = await Conn.connect(spec.port);
      await conn.login({ ...spec, roster: false, presence: false, timeoutMs: 120_000 });
      const c = conn;
      mine.push(c);
      const full = c.jid;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timeout waiting for the roster or the own presence')), 120_000);
        c.closed.then(() => reject(new Error('closed before its own presence came back')), () => {});
        c.onStanza = (s) => {
          if (s.startsWith('<presence')) {
            presences++;
            lastPresenceAt = performance.now();
            const type = attr(s, 'type');
            if (type === 'unavailable') unavailable++;
            else if (type === 'error') presenceErrors++;
            else if (type === undefined) {
              const from = attr(s, 'from') ?? '';
              if (from === full) {
                own++;
                if (Number.isNaN(loginMs[i]!)) {
                  loginMs[i] = lastPresenceAt - started;
                  clearTimeout(timer);
                  resolve();
                }
                return;
              }
              const k = indexOfUser.get(from.slice(0, from.indexOf('@')));
              // (Another resource of the same user is neither a colleague nor a repeat.)
              if (k === undefined || k === i) return;
              const bit = i * N + k;
              if (seen[bit >> 3]! & (1 << (bit & 7))) duplicates++;
              else {
                seen[bit >> 3]! |= 1 << (bit & 7);
                distinct++;
              }
            }
          } else if (s.startsWith('<iq') && attr(s, 'id') === 'morning-roster') {
            if (attr(s, 'type') !== 'result') return reject(new Error(`roster get failed: ${s.slice(0, 200)}`));
            rosterMs[i] = performance.now() - started;
            const items = countItems(s);
            itemsMin = Math.min(itemsMin, items);
            itemsMax = Math.max(itemsMax, items);
            c.send('<presence/>');
          }
        };
        c.send(`<iq type='get' id='morning-roster'><query xmlns='jabber:iq:roster'/></iq>`);
      });
      finished++;
      lastFinish = performance.now();
    } catch (e) {
      failed++;
      if (errors.length < 5) errors.push(`${spec.user}: ${(e as Error).message}`);
      conn?.kill();
    }
  };

  // Progress every 10 s on stderr: where a run that does not finish stops.
  let started = 0;
  const progress = setInterval(() => {
    const t = ((performance.now() - t0) / 1000).toFixed(0);
    console.error(`[bench:xmpp morning +${t} s] started ${started}/${N}, signed in ${finished}, failed ${failed}, presences received ${presences.toLocaleString('en-US')}`);
  }, 10_000);
  progress.unref();
  // Start times evenly spread: client i at t0 + i·S/N (a 5 ms tick starts everyone due).
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const due = Math.min(N, Math.floor(((performance.now() - t0) / (cmd.seconds * 1000)) * N) + 1);
      while (next < due) {
        pending.push(signIn(next++));
        started++;
      }
      if (next >= N) return resolve();
      setTimeout(tick, 5);
    };
    tick();
  });
  await Promise.all(pending);
  // The flood goes on after the last sign-in: wait until no presence arrived for a second.
  const settleEnd = performance.now() + cmd.settleSeconds * 1000;
  while (performance.now() < settleEnd && performance.now() - lastPresenceAt < 1000) await sleep(100);
  const settled = performance.now() - lastPresenceAt >= 1000;
  // Count on after the timing: the clients stay online, presence (if any more) is still counted by
  // the same handlers until closeAll.
  clearInterval(progress);
  lag.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  sessions.push(...mine);
  const rs = Float64Array.from(rosterMs.filter((x) => !Number.isNaN(x))).sort();
  const ls = Float64Array.from(loginMs.filter((x) => !Number.isNaN(x))).sort();
  const loginSeconds = (lastFinish - t0) / 1000;
  return {
    wanted: N,
    ok: finished,
    failed,
    errors,
    loginSeconds: r1(loginSeconds),
    loginsPerSecond: loginSeconds > 0 ? r1(finished / loginSeconds) : NaN,
    rosterP50: r1(percentile(rs, 50)),
    rosterP99: r1(percentile(rs, 99)),
    loginP50: r1(percentile(ls, 50)),
    loginP99: r1(percentile(ls, 99)),
    loginMax: r1(ls.length ? ls[ls.length - 1]! : NaN),
    rosterItemsMin: Number.isFinite(itemsMin) ? itemsMin : NaN,
    rosterItemsMax: itemsMax,
    presences,
    distinctAvailable: distinct,
    duplicateAvailable: duplicates,
    ownReflections: own,
    unavailable,
    presenceErrors,
    expectedPresences: finished * finished,
    allPresenceSeconds: r1((lastPresenceAt - t0) / 1000),
    settled,
    loadCpu: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100,
    loadLagP99: r1(lag.percentile(99) / 1e6),
    loadLagMax: r1(lag.max / 1e6),
    closedSessions: mine.filter((s) => s.isClosed).length,
  };
}
