// The XMPP servers the benchmark compares, behind one interface (Herald: xmpp-herald.ts, Prosody:
// xmpp-prosody.ts, ejabberd: xmpp-ejabberd.ts), and what they share: the users (u00000…, one
// password), rosters of the same size (a "team": Herald's roster is the user's mail domain, so each
// team is a domain t0000.bench.example; the others get roster items with the same members,
// subscribed both ways), the room occupants of scenario (d) (r0000…, one more team: Herald's
// domain room.bench.example, the others' bench.example), a self-signed EC P-256 certificate for
// bench.example and *.bench.example, /proc readings, and CPU pinning (taskset).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoginSpec, Mechanism } from './xmpp-client.ts';

export const BASE_DOMAIN = 'bench.example';
/** Herald's room occupants are colleagues of one mail domain (its MUC serves a domain's own users). */
export const HERALD_ROOM_DOMAIN = `room.${BASE_DOMAIN}`;
export const PASSWORD = 'bench-password-1';
/** The room of scenario (d), on each server's conference.<domain>. */
export const ROOM_NAME = 'bench';

export const localOf = (i: number) => `u${String(i).padStart(5, '0')}`;
export const roomLocalOf = (j: number) => `r${String(j).padStart(4, '0')}`;
export const teamOf = (i: number, team: number) => Math.floor(i / team);
export const teamDomain = (t: number) => `t${String(t).padStart(4, '0')}.${BASE_DOMAIN}`;

/** The members of user i's team (i itself excluded): its roster on every server. */
export function teamMates(i: number, team: number, count: number): number[] {
  const t = teamOf(i, team);
  const out: number[] = [];
  for (let j = t * team; j < Math.min(count, (t + 1) * team); j++) if (j !== i) out.push(j);
  return out;
}

export type ServerKind = 'herald' | 'prosody' | 'ejabberd' | 'ejabberd-cluster';
export type ServerName = 'Herald' | 'Prosody' | 'ejabberd' | 'ejabberd cluster';
export const SERVER_NAMES: Record<ServerKind, ServerName> = { herald: 'Herald', prosody: 'Prosody', ejabberd: 'ejabberd', 'ejabberd-cluster': 'ejabberd cluster' };

export interface SpecOptions {
  mechanism: Mechanism;
  token?: boolean;
  starttls: boolean;
  resource: string;
  roster: boolean;
  presence: boolean;
}

/** What every server start is given (each adds its own options). */
export interface ServerOptions {
  /** Users u00000… (0 for a run that only needs the room occupants). */
  count: number;
  team: number;
  /** Room occupants r0000… (scenario d). */
  room: number;
  tls: boolean;
  cpu: number | undefined;
  /** Message archives (XEP-0313), for 1:1 and rooms. */
  mam: boolean;
  /**
   * Scenario (f): everyone's roster is every user u… (the team is ignored): Prosody's mod_groups
   * with one group of all, ejabberd's mod_shared_roster with @all@ (Herald: one domain of all).
   */
  everyone?: boolean;
}

export interface BenchServer {
  name: ServerName;
  port: number;
  pid: number;
  /** The MUC service the room occupants use (conference.<their domain>). */
  mucService: string;
  /** What a login as user i sends: domain, user name, secret for the mechanism. */
  spec(i: number, o: SpecOptions): LoginSpec;
  /** The same for room occupant j. */
  roomSpec(j: number, o: SpecOptions): LoginSpec;
  /** Herald only (through the V8 inspector): a full garbage collection, then process.memoryUsage(). */
  collectGarbage?(): Promise<NodeJS.MemoryUsage>;
  /**
   * Herald only (through the V8 inspector): how late a 5 ms timer in the server fires, since the
   * last call — the server's event-loop stalls, in ms.
   */
  loopLag?(): Promise<LoopLag>;
  /** Warnings and errors the server logged so far (counts and a few samples). */
  problems(): { warnings: number; errors: number; samples: string[] };
  stop(): Promise<void>;
}

/** The server's event-loop stalls over a window, in ms (xmpp-herald.ts). */
export interface LoopLag {
  p99: number;
  max: number;
  /**
   * (Linux) The longest stall less the time the gateway's main thread waited for a CPU meanwhile
   * (/proc/self/schedstat): the part the gateway itself caused (running, or blocked).
   */
  ownMax?: number;
  /** The longest GC pause, and how many major (mark-compact) GCs ran. */
  gcMax?: number;
  majorGcs?: number;
}

export function loginSpec(port: number, domain: string, user: string, secret: string, o: SpecOptions): LoginSpec {
  return { port, domain, user, secret, mechanism: o.mechanism, starttls: o.starttls, resource: o.resource, roster: o.roster, presence: o.presence };
}

// A server of several processes (the ejabberd cluster's two VMs) is measured by its first pid:
// RSS and CPU are then the sum over the group.
const groups = new Map<number, number[]>();
/** From now on rssKiB(main) and cpuSeconds(main) add up every pid of `all`. */
export function pidGroup(main: number, all: number[]): void {
  groups.set(main, all);
}

export function rssKiB(pid: number): number {
  let sum = 0;
  for (const p of groups.get(pid) ?? [pid]) sum += Number(readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1] ?? NaN);
  return sum;
}

/** utime + stime of a process (or pid group), in seconds. */
export function cpuSeconds(pid: number): number {
  let sum = 0;
  for (const p of groups.get(pid) ?? [pid]) {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    sum += (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15; USER_HZ is 100 on Linux
  }
  return sum;
}

/** CPU seconds the whole machine was busy (all cores; /proc/stat, idle and iowait excluded). */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
  return (total - f[3]! - f[4]!) / 100;
}

/** MemAvailable from /proc/meminfo, in KiB. */
export function availableKiB(): number {
  return Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN);
}

/** The open-file hard limit of a child shell (what pinnedCommand raises the soft limit to). */
export function fileHardLimit(): number {
  const s = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return s === 'unlimited' ? Infinity : Number(s);
}

/** The certificate every server presents (EC P-256, like the Prosody fixture's). */
export function makeCertificate(dir: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'bench.crt');
  const key = path.join(dir, 'bench.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30',
    '-keyout', key, '-out', cert, '-subj', `/CN=${BASE_DOMAIN}`, '-addext', `subjectAltName=DNS:${BASE_DOMAIN},DNS:*.${BASE_DOMAIN}`,
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** Runs `argv` through bash with the open-file limit raised to the hard limit, pinned to `cpu` if given. */
export function pinnedCommand(argv: string[], cpu: number | undefined): string[] {
  const pin = cpu === undefined ? '' : `taskset -c ${cpu} `;
  return ['bash', '-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${pin}"$0" "$@"`, ...argv];
}
