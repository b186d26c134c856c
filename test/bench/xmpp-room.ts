// Scenario (d) in the load generator: a group-chat room's fan-out. Occupants (sessions already
// logged in) join one room (XEP-0045 §7.2: presence to room/nick with <history maxstanzas='0'/>,
// so no joiner gets history); the first one creates it and submits the same configuration form on
// every server (§10.1.2: temporary, open, non-anonymous; history length is each server's setting,
// 20 messages on all three: ejabberd refuses a form with muc#roomconfig_historylength). Then messages go
// to the room at a fixed rate, each from the next occupant in turn, and every occupant's copy
// (the sender's reflection included, §7.2.13) is timed from send to receipt — both ends are here.
// A copy that never arrives, or arrives twice, is counted; so is an error stanza.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { attr, type Conn } from './xmpp-client.ts';
import { cpuSeconds } from './xmpp-servers.ts';

export const NS_MUC = 'http://jabber.org/protocol/muc';

export interface RoomCommand {
  op: 'room';
  /** Indexes of the load generator's sessions that join; the first creates the room. */
  occupants: number[];
  /** room@conference.domain */
  room: string;
  /** Messages per second to the room, for warm-up + seconds. */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** Longest wait for late copies after the last send. */
  drainSeconds: number;
  /** Joins in progress at once. */
  joinConcurrency: number;
  /** The server's process: its CPU time over the fan-out (joins excluded) is read from /proc. */
  serverPid: number;
}

export interface RoomResult {
  occupants: number;
  joined: number;
  joinSeconds: number;
  joinErrors: string[];
  /** The owner's configuration was accepted (or why not). */
  configured: boolean;
  configError: string;
  /** Occupant presence stanzas received while everybody joined (n² for n occupants). */
  presences: number;
  rate: number;
  seconds: number;
  /** Messages sent in the measured window, and the copies expected (sent × occupants joined). */
  sent: number;
  expected: number;
  /** Copies received, each occupant's first copy of each message only. */
  delivered: number;
  lost: number;
  duplicates: number;
  errors: number;
  errorSample: string;
  /** Send → receipt of each copy (ms). */
  p50: number;
  p99: number;
  max: number;
  /** Send → receipt by the last occupant, per message fully delivered (ms). */
  lastP50: number;
  lastP99: number;
  lastMax: number;
  /** Copies received during the whole phase (warm-up, window, drain): for CPU per copy. */
  receivedTotal: number;
  /** Server CPU over the fan-out (warm-up, window, drain), in seconds. */
  serverCpuSeconds: number;
  /** Its length, in seconds. */
  fanoutSeconds: number;
  loadCpu: number;
  loadLagP99: number;
  loadLagMax: number;
  closedSessions: number;
}

type Listener = ((conn: Conn, stanza: string) => void) | undefined;

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasStatus = (s: string, code: number) => s.includes(`code='${code}'`) || s.includes(`code="${code}"`);
const errorText = (s: string) => /<error[\s\S]*?<\/error>/.exec(s)?.[0].slice(0, 300) ?? s.slice(0, 300);

/** The configuration form the owner submits: the same fields on every server. */
export const ROOM_CONFIG_FIELDS: [string, string][] = [
  ['FORM_TYPE', `${NS_MUC}#roomconfig`],
  ['muc#roomconfig_persistentroom', '0'],
  ['muc#roomconfig_membersonly', '0'],
  ['muc#roomconfig_whois', 'anyone'],
];

let roomStep = 0;

export async function roomFanout(sessions: Conn[], cmd: RoomCommand, listen: (fn: Listener) => void): Promise<RoomResult> {
  const conns = cmd.occupants.map((i) => {
    const c = sessions[i];
    if (!c) throw new Error(`no session ${i}`);
    return c;
  });
  const nickOf = new Map(conns.map((c) => [c, c.jid.slice(0, c.jid.indexOf('@'))] as const));
  const closedBefore = sessions.filter((s) => s.isClosed).length;
  const mark = `<body>room${++roomStep}.`;
  let presences = 0;
  // ---- join ----
  const waiting = new Map<Conn, { match: (s: string) => boolean; resolve: (s: string) => void }>();
  const waitFor = (c: Conn, match: (s: string) => boolean, what: string, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(c);
        reject(new Error(`timeout waiting for ${what}`));
      }, timeoutMs);
      waiting.set(c, {
        match,
        resolve: (s) => {
          clearTimeout(timer);
          waiting.delete(c);
          resolve(s);
        },
      });
    });
  // Fan-out state (used once the messages start).
  const R = conns.length;
  const capacity = Math.ceil(cmd.rate * (cmd.warmupSeconds + cmd.seconds) * 1.2) + 16;
  const sentAt = new Float64Array(capacity);
  const lastAt = new Float64Array(capacity);
  const copies = new Int32Array(capacity);
  const seen = new Uint8Array(capacity * R);
  const occIndex = new Map(conns.map((c, k) => [c, k] as const));
  const latencies: number[] = [];
  let seq = 0;
  let firstWindow = -1;
  let lastWindow = -1;
  let duplicates = 0;
  let errors = 0;
  let errorSample = '';
  let receivedTotal = 0;

  listen((c, s) => {
    if (s.startsWith('<presence')) {
      if (attr(s, 'from')?.startsWith(`${cmd.room}/`)) presences++;
    } else if (s.startsWith('<message')) {
      const b = s.indexOf(mark);
      if (b !== -1) {
        const n = Number.parseInt(s.slice(b + mark.length, b + mark.length + 12), 10);
        if (!(n > 0 && n <= seq)) return;
        if (attr(s, 'type') === 'error') {
          errors++;
          if (!errorSample) errorSample = errorText(s);
          return;
        }
        const now = performance.now();
        const k = occIndex.get(c);
        if (k === undefined) return;
        receivedTotal++;
        if (seen[n * R + k]) return void duplicates++;
        seen[n * R + k] = 1;
        copies[n]!++;
        lastAt[n] = now;
        if (n >= firstWindow && firstWindow !== -1 && (lastWindow === -1 || n <= lastWindow)) latencies.push(now - sentAt[n]!);
        return;
      }
    }
    const w = waiting.get(c);
    if (w?.match(s)) w.resolve(s);
  });

  const join = async (c: Conn) => {
    const occupantJid = `${cmd.room}/${nickOf.get(c)}`;
    c.send(`<presence to='${occupantJid}'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
    const p = await waitFor(c, (s) => s.startsWith('<presence') && attr(s, 'from') === occupantJid && (attr(s, 'type') === 'error' || hasStatus(s, 110)), `own presence from ${occupantJid}`);
    if (attr(p, 'type') === 'error') throw new Error(`join refused: ${errorText(p)}`);
    return p;
  };
  const joinErrors: string[] = [];
  let configured = false;
  let configError = '';
  const joined: Conn[] = [];
  const j0 = performance.now();
  try {
    const owner = conns[0]!;
    const self = await join(owner);
    joined.push(owner);
    if (hasStatus(self, 201)) {
      const fields = ROOM_CONFIG_FIELDS.map(([v, value]) => `<field var='${v}'><value>${value}</value></field>`).join('');
      owner.send(`<iq type='set' id='roomcfg' to='${cmd.room}'><query xmlns='${NS_MUC}#owner'><x xmlns='jabber:x:data' type='submit'>${fields}</x></query></iq>`);
      const r = await waitFor(owner, (s) => s.startsWith('<iq') && attr(s, 'id') === 'roomcfg', 'the configuration result');
      configured = attr(r, 'type') === 'result';
      if (!configured) configError = errorText(r);
    } else configError = `the room existed already (no status 201): ${self.slice(0, 200)}`;
  } catch (e) {
    joinErrors.push(`owner: ${(e as Error).message}`);
  }
  if (configured) {
    let next = 1;
    const worker = async () => {
      while (next < conns.length) {
        const c = conns[next++]!;
        try {
          await join(c);
          joined.push(c);
        } catch (e) {
          if (joinErrors.length < 5) joinErrors.push(`${nickOf.get(c)}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, cmd.joinConcurrency) }, worker));
    // Let the occupant-presence flood (n² stanzas) settle before timing messages.
    for (let last = -1, t = performance.now(); last !== presences && performance.now() - t < 30_000; ) {
      last = presences;
      await sleep(500);
    }
  }
  const joinSeconds = r1((performance.now() - j0) / 1000);

  // ---- fan-out ----
  const cpu0 = process.cpuUsage();
  const server0 = cpuSeconds(cmd.serverPid);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = performance.now();
  const warmEnd = t0 + cmd.warmupSeconds * 1000;
  const end = warmEnd + cmd.seconds * 1000;
  // Everyone who got in takes part (a failed join is reported; the others are still measured).
  const senders = configured ? joined : [];
  const J = senders.length;
  if (J) {
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (now >= end) {
          lastWindow = seq;
          return resolve();
        }
        if (now >= warmEnd && firstWindow === -1) firstWindow = seq + 1;
        const due = Math.min(capacity - 1, Math.floor(((now - t0) * cmd.rate) / 1000)) - seq;
        for (let k = 0; k < due; k++) {
          const n = ++seq;
          // The next occupant in turn still connected (a closed one is reported, not sent from).
          let from = senders[n % J]!;
          for (let k = 1; k < J && from.isClosed; k++) from = senders[(n + k) % J]!;
          sentAt[n] = performance.now();
          from.send(`<message to='${cmd.room}' type='groupchat' id='g${n}'>${mark}${n}</body></message>`);
        }
        setTimeout(tick, 2);
      };
      tick();
    });
    const drainEnd = performance.now() + cmd.drainSeconds * 1000;
    const complete = () => {
      for (let n = Math.max(1, firstWindow); n <= lastWindow; n++) if (copies[n]! < J) return false;
      return true;
    };
    while (performance.now() < drainEnd && !complete()) await sleep(20);
  }
  listen(undefined);
  lag.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = cpuSeconds(cmd.serverPid) - server0;

  const windowMsgs = firstWindow === -1 || lastWindow < firstWindow ? 0 : lastWindow - firstWindow + 1;
  let delivered = 0;
  const last: number[] = [];
  for (let n = firstWindow; windowMsgs && n <= lastWindow; n++) {
    delivered += copies[n]!;
    if (copies[n] === J) last.push(lastAt[n]! - sentAt[n]!);
  }
  const sorted = Float64Array.from(latencies).sort();
  const lastSorted = Float64Array.from(last).sort();
  return {
    occupants: R,
    joined: joined.length,
    joinSeconds,
    joinErrors,
    configured,
    configError,
    presences,
    rate: cmd.rate,
    seconds: cmd.seconds,
    sent: windowMsgs,
    expected: windowMsgs * J,
    delivered,
    lost: windowMsgs * J - delivered,
    duplicates,
    errors,
    errorSample,
    p50: r1(percentile(sorted, 50)),
    p99: r1(percentile(sorted, 99)),
    max: r1(sorted.length ? sorted[sorted.length - 1]! : NaN),
    lastP50: r1(percentile(lastSorted, 50)),
    lastP99: r1(percentile(lastSorted, 99)),
    lastMax: r1(lastSorted.length ? lastSorted[lastSorted.length - 1]! : NaN),
    receivedTotal,
    serverCpuSeconds: Math.round(serverCpu * 100) / 100,
    fanoutSeconds: r1(wall),
    loadCpu: J ? Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100 : 0,
    loadLagP99: r1(lag.percentile(99) / 1e6),
    loadLagMax: r1(lag.max / 1e6),
    closedSessions: sessions.filter((s) => s.isClosed).length - closedBefore,
  };
}
