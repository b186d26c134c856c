// Private at rest, with the real CLI under an admin's umask 022: `serve --demo` makes its data folder
// 0700 and every file 0600 (database and -wal/-shm, TLS and signing keys, maildirs, IM log, spool and
// quarantine), and warns, naming path and mode, about a data folder an admin made wider. It also says
// what it binds: loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const tmp = mkdtempSync(path.join(tmpdir(), 'herald-private-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The CLI as an admin with umask 022 runs it (sh sets the umask, then becomes node). */
function cli(args: string[]): { child: ChildProcess; output: () => string; until(re: RegExp, ms?: number): Promise<RegExpMatchArray>; exit: Promise<number | null> } {
  const child = spawn('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, bin, ...args], {
    env: { ...process.env, HERALD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const waiters = new Set<() => void>();
  const add = (c: Buffer) => {
    out += c;
    for (const w of waiters) w();
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    exit,
    until: (re, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (!m) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms:\n${out}`)), ms);
        void exit.then(() => setImmediate(() => waiters.has(check) && reject(new Error(`exited before ${re}:\n${out}`))));
        waiters.add(check);
        check();
      }),
  };
}

/** Every entry under dir with group/other bits. */
function wide(dir: string): string[] {
  const found: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.mode & 0o077) found.push(`${path.relative(dir, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
  };
  walk(dir);
  return found;
}

const stop = async (c: ChildProcess, exit: Promise<number | null>) => {
  c.kill('SIGTERM');
  await exit;
};

test('serve --demo under umask 022: nothing in the data folder is readable by group or others; it binds loopback and says so', async () => {
  const data = path.join(tmp, 'fresh');
  const serve = cli(['serve', '--demo', '--data', data, '--http-port', '0', '--xmpp-port', '0']);
  const [, url] = await serve.until(/open (http:\/\/127\.0\.0\.1:\d+)/);
  assert.match(serve.output(), /demo: HTTP on 127\.0\.0\.1:\d+, XMPP on 127\.0\.0\.1:\d+ — this machine only/);
  const alice = serve.output().match(/alice@example\.com\s+password (\S+)/)![1]!;

  // Sign in (database writes: the -wal), and a script's message through the spool (IM log), and a
  // bad SEM file as a script under umask 022 would leave it (0644): quarantined into bad/.
  const signIn = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice@example.com', password: alice }) });
  assert.equal(signIn.status, 200);
  const send = cli(['im', 'send', 'alice@example.com', 'private at rest', '--data', data]);
  assert.equal(await send.exit, 0, send.output());
  const spool = path.join(data, 'spool', 'im');
  writeFileSync(path.join(spool, 'IM-1.SEM'), 'not a SEM file', { mode: 0o644 });
  chmodSync(path.join(spool, 'IM-1.SEM'), 0o644);
  // Wait for the gateway to have done both (the spool is watched): the IM log holds the message, bad/ the file.
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const check = () => {
      const logged = existsSync(path.join(data, 'logs')) && readdirSync(path.join(data, 'logs')).some((f) => f.startsWith('XMPPServer-'));
      const quarantined = existsSync(path.join(spool, 'bad', 'IM-1.SEM'));
      if (logged && quarantined) return resolve();
      if (Date.now() > deadline) return reject(new Error(`spool not processed:\n${serve.output()}`));
      setTimeout(check, 50);
    };
    check();
  });

  for (const f of ['herald.db', 'herald.db-wal', 'herald.db-shm', 'tls/xmpp-selfsigned.key', 'tls/xmpp-selfsigned.crt', 'provisioning', 'logs', 'spool/im/bad/IM-1.SEM', 'mail']) {
    assert.ok(existsSync(path.join(data, f)), `${f} was made (the walk below covers it)`);
  }
  assert.deepEqual(wide(data), [], 'no group/other bits anywhere in the data folder');
  assert.equal(lstatSync(data).mode & 0o777, 0o700);
  assert.doesNotMatch(serve.output(), /other local users may read/, 'no warning about a folder the gateway made itself');
  await stop(serve.child, serve.exit);
});

test('serve warns, naming path and mode, when an existing data folder is wider than 0700', async () => {
  const data = path.join(tmp, 'wide');
  mkdirSync(data);
  chmodSync(data, 0o755);
  const serve = cli(['serve', '--demo', '--data', data, '--http-port', '0', '--xmpp-port', '0']);
  await serve.until(/open http:\/\//);
  assert.ok(serve.output().includes(`${data} is 0755: other local users may read the gateway's data; chmod 700 it`), serve.output());
  assert.equal(lstatSync(data).mode & 0o777, 0o755, "the admin's folder is left as it is");
  await stop(serve.child, serve.exit);
});
