// The XMPP benchmark's load generator: its own process (and its own core when there are two),
// driven by test/bench/xmpp-bench.ts over the IPC channel, so neither measured server shares a
// process or a core with the clients. One command at a time; each answers with one message.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Conn, type LoginSpec } from './xmpp-client.ts';
import { floodStart, floodStop, type FloodCommand } from './xmpp-flood.ts';
import { morning, type MorningCommand } from './xmpp-morning-load.ts';
import { roomFanout, type RoomCommand } from './xmpp-room.ts';

export type LoadCommand =
  | { op: 'connect'; specs: LoginSpec[]; concurrency: number }
  /** rate 0: closed loop — every pair keeps `window` messages in flight, the next sent as one arrives. */
  | { op: 'chat'; pairs: [number, number][]; rate: number; seconds: number; warmupSeconds: number; window: number; drainSeconds: number }
  | { op: 'logins'; specs: LoginSpec[]; seconds: number; concurrency: number }
  /** Sends `xml` on session `index` and answers with the first stanza carrying `id` (or '' on timeout). */
  | { op: 'query'; index: number; xml: string; id: string; timeoutMs: number }
  /** Scenario (d): a room's fan-out (xmpp-room.ts). */
  | RoomCommand
  /** Scenario (e): wrong-password logins at a steady rate from many source addresses (xmpp-flood.ts). */
  | FloodCommand
  /** Scenario (f): the morning sign-in of one domain (xmpp-morning-load.ts). */
  | MorningCommand
  | { op: 'closeAll' }
  | { op: 'exit' };

export interface ConnectResult {
  ok: number;
  failed: number;
  errors: string[];
  seconds: number;
  /** Sessions open now (also earlier ones). */
  open: number;
}

export interface ChatResult {
  target: number;
  /** Messages sent per second in the measured window. */
  sentRate: number;
  /** Messages received per second in the measured window (any message). */
  recvRate: number;
  /** Send → receive latencies of the messages sent in the measured window. */
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** Sent in the window but not received by the end of the drain. */
  lost: number;
  /** Sends skipped because the pair's window was full. */
  blocked: number;
  /** Error stanzas that came back to senders. */
  errors: number;
  errorSample: string;
  /** Messages received during the whole step (warm-up, window, drain): for CPU per message. */
  receivedTotal: number;
  /** Load generator CPU use over the step, in cores (1 = one core busy). */
  loadCpu: number;
  /** Sessions that closed during the step. */
  closedSessions: number;
  /** The load generator's own event-loop delay over the step (ms): a stalled client would add latency. */
  loadLagP99: number;
  loadLagMax: number;
}

export interface LoginsResult {
  logins: number;
  rate: number;
  failed: number;
  errors: string[];
  p50: number;
  p99: number;
  loadCpu: number;
}

export type LoadReply = { ok: true; result: unknown } | { ok: false; error: string };

const sessions: Conn[] = [];
/** Numbers chat steps: a message of an earlier step arriving late is not taken for one of this step. */
let chatStep = 0;
let onMessage: ((conn: Conn, stanza: string) => void) | undefined;
let onQuery: ((conn: Conn, stanza: string) => void) | undefined;

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function connect(specs: LoginSpec[], concurrency: number): Promise<ConnectResult> {
  const t0 = performance.now();
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  await pool(specs, concurrency, async (spec) => {
    let conn: Conn | undefined;
    try {
      conn = await Conn.connect(spec.port);
      await conn.login(spec);
      const c = conn;
      c.onStanza = (s) => {
        onMessage?.(c, s);
        onQuery?.(c, s);
      };
      sessions.push(c);
      ok++;
    } catch (e) {
      conn?.kill();
      failed++;
      if (errors.length < 5) errors.push(`${spec.user}: ${(e as Error).message}`);
    }
  });
  return { ok, failed, errors, seconds: r1((performance.now() - t0) / 1000), open: sessions.filter((s) => !s.isClosed).length };
}

const typeError = (stanza: string) => {
  const head = stanza.slice(0, stanza.indexOf('>'));
  return head.includes("type='error'") || head.includes('type="error"');
};

async function chat(cmd: Extract<LoadCommand, { op: 'chat' }>): Promise<ChatResult> {
  const { pairs, rate, window } = cmd;
  const totalMs = (cmd.warmupSeconds + cmd.seconds) * 1000;
  // Closed loop: room for 200,000 messages a second.
  const capacity = Math.ceil((rate || 200_000) * (totalMs / 1000) * 1.2) + 1024;
  const sentAt = new Float64Array(capacity);
  const pairOf = new Int32Array(capacity);
  const done = new Uint8Array(capacity);
  const inflight = new Int32Array(pairs.length);
  const senders = pairs.map(([s]) => sessions[s]!);
  const targets = pairs.map(([, r]) => sessions[r]!.jid.replace(/\/.*$/, ''));
  const closedBefore = sessions.filter((s) => s.isClosed).length;
  const mark = `<body>m${++chatStep}.`;
  let seq = 0;
  let attempted = 0;
  let rr = 0;
  let blocked = 0;
  let errors = 0;
  let errorSample = '';
  let receivedTotal = 0;
  let recvInWindow = 0;
  let sentInWindow = 0;
  let firstWindowSeq = -1;
  let lastWindowSeq = -1;
  const latencies: number[] = [];
  const t0 = performance.now();
  const warmEnd = t0 + cmd.warmupSeconds * 1000;
  const end = t0 + totalMs;
  const cpu0 = process.cpuUsage();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();

  const sendOne = (p: number, inWindow: boolean) => {
    inflight[p]!++;
    const n = ++seq;
    pairOf[n] = p;
    sentAt[n] = performance.now();
    if (inWindow) sentInWindow++;
    senders[p]!.send(`<message to='${targets[p]}' type='chat' id='c${n}'>${mark}${n}</body></message>`);
  };
  const closedLoop = rate === 0;
  let stopped = false;

  onMessage = (_conn, s) => {
    if (!s.startsWith('<message')) return;
    const b = s.indexOf(mark);
    if (b === -1) return;
    const n = Number.parseInt(s.slice(b + mark.length, b + mark.length + 12), 10);
    if (!(n > 0 && n <= seq) || done[n]) return;
    done[n] = 1;
    inflight[pairOf[n]!]!--;
    if (typeError(s)) {
      errors++;
      if (!errorSample) errorSample = s.slice(0, 400);
      return;
    }
    const now = performance.now();
    receivedTotal++;
    if (now >= warmEnd && now < end) recvInWindow++;
    if (n >= firstWindowSeq && firstWindowSeq !== -1 && (lastWindowSeq === -1 || n <= lastWindowSeq)) latencies.push(now - sentAt[n]!);
    if (closedLoop && !stopped && seq < capacity - 1) {
      const p = pairOf[n]!;
      if (!senders[p]!.isClosed) sendOne(p, now >= warmEnd);
    }
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= end) {
        lastWindowSeq = seq;
        stopped = true;
        return resolve();
      }
      const inWindow = now >= warmEnd;
      if (inWindow && firstWindowSeq === -1) firstWindowSeq = seq + 1;
      if (closedLoop) {
        if (attempted === 0) for (let p = 0; p < pairs.length; p++) for (let k = 0; k < window; k++) sendOne(p, inWindow);
        attempted = 1;
        return void setTimeout(tick, 5);
      }
      const due = Math.min(capacity - 1 - seq, Math.floor(((now - t0) * rate) / 1000) - attempted);
      for (let k = 0; k < due; k++) {
        attempted++;
        const p = rr++ % pairs.length;
        if (inflight[p]! >= window || senders[p]!.isClosed) {
          blocked++;
          continue;
        }
        sendOne(p, inWindow);
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  // Drain: what was sent in the window may still be on its way (late messages count in p99).
  const drainEnd = performance.now() + cmd.drainSeconds * 1000;
  while (performance.now() < drainEnd && inflight.some((x) => x > 0)) await sleep(20);
  onMessage = undefined;
  lag.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  let lost = 0;
  if (firstWindowSeq !== -1) for (let n = firstWindowSeq; n <= lastWindowSeq; n++) if (!done[n]) lost++;
  const sorted = Float64Array.from(latencies).sort();
  return {
    target: rate,
    sentRate: Math.round(sentInWindow / cmd.seconds),
    recvRate: Math.round(recvInWindow / cmd.seconds),
    n: sorted.length,
    p50: r1(percentile(sorted, 50)),
    p99: r1(percentile(sorted, 99)),
    max: r1(sorted.length ? sorted[sorted.length - 1]! : NaN),
    lost,
    blocked,
    errors,
    errorSample,
    receivedTotal,
    loadCpu: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100,
    closedSessions: sessions.filter((s) => s.isClosed).length - closedBefore,
    loadLagP99: r1(lag.percentile(99) / 1e6),
    loadLagMax: r1(lag.max / 1e6),
  };
}

async function logins(cmd: Extract<LoadCommand, { op: 'logins' }>): Promise<LoginsResult> {
  const t0 = performance.now();
  const end = t0 + cmd.seconds * 1000;
  const cpu0 = process.cpuUsage();
  const times: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const spec = cmd.specs[next++ % cmd.specs.length]!;
      const started = performance.now();
      let conn: Conn | undefined;
      try {
        conn = await Conn.connect(spec.port);
        await conn.login({ ...spec, resource: `${spec.resource}${next}` });
        const finished = performance.now();
        if (finished <= end) times.push(finished - started);
        conn.close();
      } catch (e) {
        conn?.kill();
        failed++;
        if (errors.length < 5) errors.push(`${spec.user}: ${(e as Error).message}`);
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, worker));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = times.sort((a, b) => a - b);
  return {
    logins: sorted.length,
    rate: r1(sorted.length / cmd.seconds),
    failed,
    errors,
    p50: r1(percentile(sorted, 50)),
    p99: r1(percentile(sorted, 99)),
    loadCpu: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100,
  };
}

function query(cmd: Extract<LoadCommand, { op: 'query' }>): Promise<string> {
  const conn = sessions[cmd.index];
  if (!conn) return Promise.reject(new Error(`no session ${cmd.index}`));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      onQuery = undefined;
      resolve('');
    }, cmd.timeoutMs);
    onQuery = (c, s) => {
      if (c !== conn || !s.includes(`id='${cmd.id}'`) && !s.includes(`id="${cmd.id}"`)) return;
      clearTimeout(timer);
      onQuery = undefined;
      resolve(s);
    };
    conn.send(cmd.xml);
  });
}

async function closeAll(): Promise<{ closed: number }> {
  const n = sessions.length;
  for (const s of sessions) s.close();
  await Promise.race([Promise.all(sessions.map((s) => s.closed)), sleep(5000)]);
  for (const s of sessions) s.kill();
  sessions.length = 0;
  return { closed: n };
}

async function handle(cmd: LoadCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'connect':
      return connect(cmd.specs, cmd.concurrency);
    case 'chat':
      return chat(cmd);
    case 'logins':
      return logins(cmd);
    case 'query':
      return query(cmd);
    case 'room':
      return roomFanout(sessions, cmd, (fn) => (onMessage = fn));
    case 'morning':
      return morning(sessions, cmd);
    case 'floodStart':
      return floodStart(cmd);
    case 'floodStop':
      return floodStop();
    case 'closeAll':
      return closeAll();
    case 'exit':
      await closeAll();
      setImmediate(() => process.exit(0));
      return {};
  }
}

process.on('message', (cmd: LoadCommand) => {
  handle(cmd).then(
    (result) => process.send!({ ok: true, result } satisfies LoadReply),
    (e: unknown) => process.send!({ ok: false, error: (e as Error).stack ?? String(e) } satisfies LoadReply),
  );
});
// The orchestrator went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
