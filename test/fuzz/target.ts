// The gateway under attack: the real CLI (`herald-gateway serve`) as a child process on a temp
// data folder, so a crash is an exit we see, not a test runner that dies with it. Users are
// prepared in the folder before it starts; a witness — another user's XMPP session that no case
// touches — proves after every batch that the process still serves everyone else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { hashPassword } from '../../gateway/src/directory/password-hash.ts';
import { encodeScram, scramKeys } from '../../gateway/src/directory/scram.ts';
import { createTokenService } from '../../gateway/src/directory/tokens.ts';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { prepareUsers, startGatewayChild, type BenchUser, type GatewayChild } from '../bench/gateway-child.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

export const DOMAIN = 'example.com';
export const PASSWORD = 'correct horse battery staple';

export interface FuzzUser extends BenchUser {
  /** More device tokens of this user (the fuzzers spend them: sign-out revokes one). */
  spare: string[];
}

export interface FuzzTarget {
  gw: GatewayChild;
  url: string;
  xmppPort: number;
  dataDir: string;
  /** fz0000 (the fuzzers' own user, with a password), fz0001 (another user, with private data), fz0002 (the witness). */
  users: [FuzzUser, FuzzUser, FuzzUser];
  /** An enrollment token of fz0000 that expired before the gateway started. */
  expiredEnroll: string;
  /** Live one-time enrollment tokens of fz0000. */
  enroll: string[];
  /** Throws unless the process runs, /api/v1/health answers 200 with no last-resort faults, and the witness's XMPP session answers a ping. */
  alive(what: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startFuzzTarget(config: Record<string, unknown> = {}): Promise<FuzzTarget> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-fuzz-'));
  const base = prepareUsers(dataDir, DOMAIN, 3, 'fz');
  const store = createStore(dataDir);
  const tokens = createTokenService({ store, enrollTtlMs: 3600_000, credentials: createCredentials({ store }) });
  const users = base.map((u) => ({ ...u, spare: Array.from({ length: 40 }, () => tokens.issueDevice(store.accounts.byAddress(u.address)!, 'fuzz')) })) as FuzzTarget['users'];
  // As `user passwd` stores it: the scrypt hash (HTTP sign-in) and the SCRAM keys (XMPP, PLAIN too).
  const [scram1, scram256] = await Promise.all([scramKeys('sha1', PASSWORD), scramKeys('sha256', PASSWORD)]);
  store.accounts.setPasswordHash(users[0].address, await hashPassword(PASSWORD), { sha1: encodeScram(scram1), sha256: encodeScram(scram256) });
  const expiredEnroll = tokens.issueEnroll(users[0].address, -60_000).token;
  const enroll = [tokens.issueEnroll(users[0].address).token, tokens.issueEnroll(users[0].address).token];
  store.close();
  // fz0001's mail: a folder whose name must never reach anyone else.
  const bobRoot = path.join(dataDir, 'mail', DOMAIN, users[1].local);
  await deliverToMaildir(bobRoot, composeMessage({ from: 'x@example.org', to: users[1].address, subject: 'private' }), { folder: 'Bob-Private' });

  const gw = await startGatewayChild(dataDir, { xmpp: { host: '127.0.0.1', port: 0, requireTls: false }, ...config });
  if (!gw.xmppPort) throw new Error('the gateway reports no XMPP port');
  const xmppPort = gw.xmppPort;
  let exitCode: number | string | null | undefined;
  void gw.exited.then((c) => (exitCode = c));
  let witness: RawClient = await login(xmppPort, users[2].address, users[2].token, 'witness');
  let pings = 0;

  return {
    gw,
    url: gw.url,
    xmppPort,
    dataDir,
    users,
    expiredEnroll,
    enroll,
    async alive(what) {
      const dead = () => new Error(`the gateway exited (${String(exitCode)}) during ${what}`);
      if (exitCode !== undefined) throw dead();
      const res = await fetch(`${gw.url}/api/v1/health`).catch((e: Error) => {
        throw exitCode !== undefined ? dead() : new Error(`health check failed after ${what}: ${e.message}`);
      });
      if (res.status !== 200) throw new Error(`health answered ${res.status} after ${what}`);
      // Contained is not enough: nothing may have reached the last-resort handler (gateway/src/last-resort.ts).
      const { faults } = (await res.json()) as { faults?: number };
      if (faults !== 0) throw new Error(`the gateway's last-resort handler caught ${String(faults)} fault(s) by ${what}: see its log (HERALD_CHILD_LOG=1)`);
      const id = `live-${++pings}`;
      witness.send(`<iq type='get' id='${id}' to='${DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      const pong = await witness.next((e) => e.name === 'iq' && e.attrs.id === id, 5000).catch(() => undefined);
      if (pong?.attrs.type !== 'result') {
        // A witness dropped for its own reasons would hide nothing: a new login must work at once.
        witness = await login(xmppPort, users[2].address, users[2].token, 'witness');
        throw new Error(`the witness's XMPP session did not answer a ping after ${what} (${exitCode === undefined ? 'process alive' : 'process gone'})`);
      }
    },
    async stop() {
      witness.kill();
      await gw.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a surface's run counted: printed by the CI tests and `npm run fuzz`. */
export interface Tally {
  surface: string;
  cases: number;
  crashes: number;
  /** 5xx answers, stream errors of the internal-server-error kind, or thrown loaders. */
  serverErrors: number;
  /** Answers by kind (status code, stream error condition, error type). */
  answers: Map<string, number>;
}

export const newTally = (surface: string): Tally => ({ surface, cases: 0, crashes: 0, serverErrors: 0, answers: new Map() });
export const count = (t: Tally, answer: string) => t.answers.set(answer, (t.answers.get(answer) ?? 0) + 1);
export const describeTally = (t: Tally) =>
  `${t.surface}: ${t.cases} cases, ${t.crashes} crashes, ${t.serverErrors} server errors; answers ${[...t.answers].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}×${n}`).join(' ')}`;
