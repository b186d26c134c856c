// `herald-gateway` as an admin uses it: the demo, admin commands against a running server
// (changes apply without restart), restart keeping data, and bad settings named clearly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-cli-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

// Not spawnSync: a blocked event loop cannot see the server close an idle keep-alive connection,
// and the next fetch() then goes out on the dead socket ("other side closed").
function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args, '--data', dataDir], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function serve(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--demo', '--data', dataDir, '--http-port', '0', '--xmpp-port', '0'], {
    env: { ...process.env, HERALD_LOG_LEVEL: 'info', HERALD__HTTP__HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', () => {
      const m = out.match(/"url":"(http:\/\/[^"]+)"/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace('localhost', '127.0.0.1'));
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}:\n${out}`)));
  });
  return { child, url, output: () => out };
}

async function login(url: string, user: string, password: string) {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  return { status: res.status, json: (await res.json()) as { deviceToken: string } };
}
const folders = async (url: string, token: string) => {
  const res = await fetch(`${url}/api/v1/folders`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as { folders: { path: string; total: number; unread: number; new: number }[] } };
};

test('demo, admin commands while serving, restart keeps data', async () => {
  const first = await serve();
  const banner = first.output();
  const pw = (user: string) => banner.match(new RegExp(`${user}@example\\.com\\s+password (\\S+)`))?.[1];
  assert.ok(pw('alice') && pw('bob') && pw('carol'), `passwords printed once:\n${banner}`);
  const alice = await login(first.url, 'alice@example.com', pw('alice')!);
  assert.equal(alice.status, 200);
  const f = await folders(first.url, alice.json.deviceToken);
  assert.deepEqual(
    f.json.folders.map((x) => `${x.path} ${x.total}/${x.unread}/${x.new}`),
    ['INBOX 3/2/2', 'Drafts 1/0/0', 'Sent 1/0/0', 'Trash 1/0/0', 'Projects/Herald 2/1/1'],
  );

  // Dropping a message file into alice's new/ pushes a mail event.
  const ws = new WebSocket(`${first.url.replace('http', 'ws')}/api/v1/events?access_token=${alice.json.deviceToken}`);
  const events: { type: string; alert?: { subject: string } }[] = [];
  ws.on('message', (d) => events.push(JSON.parse(String(d))));
  await new Promise((r) => ws.once('open', r));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await deliverToMaildir(path.join(dataDir, 'mail', 'example.com', 'alice'), composeMessage({ from: 'ops@example.com', to: 'alice@example.com', subject: 'Disk almost full' }));
  for (let i = 0; i < 50 && !events.some((e) => e.type === 'mail'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(events.find((e) => e.type === 'mail')?.alert?.subject, 'Disk almost full');

  // Admin commands on the same data folder take effect in the running server.
  assert.equal((await cli(['user', 'add', 'dave@example.com', '--password', 'dave pw one'])).code, 0);
  assert.equal((await login(first.url, 'dave@example.com', 'dave pw one')).status, 200, 'new user logs in at once');
  const passwd = await cli(['user', 'passwd', 'dave@example.com'], { input: 'dave pw two\n' });
  assert.equal(passwd.code, 0, passwd.stderr);
  assert.equal((await login(first.url, 'dave@example.com', 'dave pw one')).status, 401, 'old password refused');
  assert.equal((await login(first.url, 'dave@example.com', 'dave pw two')).status, 200, 'new password works');

  const list = await cli(['user', 'list']);
  assert.match(list.stdout, /alice@example\.com\s+Alice Adams/);
  assert.match(list.stdout, /4 user\(s\)/);
  assert.match((await cli(['domain', 'set', 'example.com', '--im', 'off'])).stdout, /IM for example.com is now off/);
  assert.match((await cli(['domain', 'list'])).stdout, /example\.com\s+IM off\s+users 4/);

  const enroll = await cli(['token', 'enroll', 'carol@example.com', '--ttl', '1']);
  assert.equal(enroll.code, 0);
  const token = enroll.stdout.trim();
  assert.match(enroll.stderr, /expires/);
  const enrolled = await fetch(`${first.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  assert.equal(enrolled.status, 200);

  assert.match((await cli(['token', 'revoke', 'alice@example.com'])).stdout, /revoked 2 token\(s\) of alice/);
  assert.equal(await closed, 4401, 'live socket closed on revocation');
  assert.equal((await folders(first.url, alice.json.deviceToken)).status, 401);

  const bob = await login(first.url, 'bob@example.com', pw('bob')!);
  assert.equal((await cli(['user', 'del', 'bob@example.com'])).code, 0);
  assert.equal((await folders(first.url, bob.json.deviceToken)).status, 401, 'deleted user is out');

  first.child.kill('SIGTERM');
  assert.equal(await new Promise((r) => first.child.once('exit', r)), 0, 'clean shutdown on SIGTERM');

  const second = await serve();
  assert.doesNotMatch(second.output(), /password/, 'no new demo data on restart');
  assert.equal((await login(second.url, 'carol@example.com', pw('carol')!)).status, 200, 'data kept');
  const again = await login(second.url, 'alice@example.com', pw('alice')!);
  assert.equal((await folders(second.url, again.json.deviceToken)).json.folders[0]!.total, 4);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
});

test('bad settings stop start-up with a message naming the key', async () => {
  const env = await cli(['serve'], { env: { HERALD_HTTP_PORT: 'eighty' } });
  assert.equal(env.code, 1);
  assert.match(env.stderr, /invalid setting "http\.port" \(from environment variable HERALD_HTTP_PORT\)/);
  const flag = await cli(['serve', '--http-port', '99999']);
  assert.match(flag.stderr, /invalid setting "http\.port" \(from command-line option/);
  const file = path.join(dataDir, 'bad.json');
  writeFileSync(file, JSON.stringify({ mail: { source: 'pop3', imap: { hots: 'x' } } }));
  const cfg = await cli(['serve', '--config', file]);
  assert.equal(cfg.code, 1);
  assert.match(cfg.stderr, /unknown setting "mail\.imap\.hots"/);
  assert.match(cfg.stderr, /invalid setting "mail\.source" \(from config file .*bad\.json\)/);
  writeFileSync(file, '{ not json');
  assert.match((await cli(['serve', '--config', file])).stderr, /is not valid JSON/);
  assert.match((await cli(['serve', '--config', '/nonexistent.json'])).stderr, /cannot read config file/);
});

test('admin command mistakes: usage errors exit 2, unknown users exit 1, nothing changes', async () => {
  const usage = await cli(['user', 'frob']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown command: user frob/);
  assert.equal((await cli(['user', 'add', 'not-an-address', '--password', 'x'])).code, 1);
  const nodomain = await cli(['user', 'add', 'x@nowhere.example', '--password', 'x']);
  assert.match(nodomain.stderr, /no domain nowhere\.example/);
  assert.match((await cli(['user', 'del', 'ghost@example.com'])).stderr, /no user ghost@example\.com/);
  assert.match((await cli(['token', 'enroll', 'ghost@example.com'])).stderr, /no user/);
  assert.equal((await cli(['domain', 'set', 'example.com', '--im', 'maybe'])).code, 2);
  assert.equal((await cli(['--bogus-flag'])).code, 2);
});

test('log search finds messages in the central IM log by user, date and text', async () => {
  const { createImLog } = await import('../../gateway/src/im/im-log.ts');
  const logs = path.join(dataDir, 'logs');
  let t = new Date('2026-11-20T08:30:00Z');
  const log = createImLog({ dir: logs, now: () => t });
  log.append({ type: 'chat', from: 'alice@example.com/laptop', to: 'bob@example.com', body: 'The invoice is attached', attachments: ['https://gw.example.com/upload/x/invoice.pdf'] });
  t = new Date('2026-11-21T12:00:00Z');
  log.append({ type: 'chat', from: 'bob@example.com/desk', to: 'carol@example.com', body: 'lunch?' });
  log.close();
  const r = await cli(['log', 'search', '--user', 'alice@example.com', '--text', 'INVOICE']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '2026-11-20 08:30:00  chat      alice@example.com/laptop → bob@example.com: The invoice is attached (https://gw.example.com/upload/x/invoice.pdf)\n');
  assert.match(r.stderr, /^1 message\(s\)/);
  assert.match((await cli(['log', 'search', '--since', '2026-11-21'])).stdout, /lunch\?/);
  const bad = await cli(['log', 'search', '--since', 'yesterday']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--since takes a date as YYYY-MM-DD/);
});

test('passwords: --password-file, standard input, --password warns, the minimum length; options a command does not take are refused', async () => {
  const file = path.join(dataDir, 'pw.txt');
  writeFileSync(file, 'file password 1\nsecond line ignored\n', { mode: 0o600 });
  const added = await cli(['user', 'add', 'fay@example.com', '--password-file', file]);
  assert.equal(added.code, 0, added.stderr);
  assert.doesNotMatch(added.stderr, /warning/);
  const piped = await cli(['user', 'add', 'gus@example.com'], { input: 'piped password 1\n' });
  assert.equal(piped.code, 0, piped.stderr);
  const flagged = await cli(['user', 'add', 'hal@example.com', '--password', 'flag password 1']);
  assert.equal(flagged.code, 0, flagged.stderr);
  assert.match(flagged.stderr, /warning: --password shows the password to every user of this computer \(ps\)/);

  const { createStore } = await import('../../gateway/src/store/index.ts');
  const { verifyPassword } = await import('../../gateway/src/directory/password-hash.ts');
  const store = createStore(dataDir);
  try {
    for (const [user, pw] of [['fay', 'file password 1'], ['gus', 'piped password 1'], ['hal', 'flag password 1']] as const) {
      assert.equal(await verifyPassword(pw, store.accounts.byAddress(`${user}@example.com`)!.passwordHash!), true, `${user}'s password as given`);
    }
  } finally {
    store.close();
  }

  // The minimum length (directory.minPasswordLength, default 10), for add and passwd, every way in.
  const short = await cli(['user', 'add', 'ivy@example.com'], { input: 'short\n' });
  assert.equal(short.code, 1);
  assert.match(short.stderr, /the password is too short: use at least 10 characters \(directory\.minPasswordLength\)/);
  writeFileSync(file, 'nine char\n');
  assert.match((await cli(['user', 'passwd', 'fay@example.com', '--password-file', file])).stderr, /too short/);
  assert.equal((await cli(['user', 'add', 'ivy@example.com', '--password', 'ten chars!'])).code, 0, 'exactly the minimum is enough');
  assert.equal((await cli(['user', 'passwd', 'fay@example.com'], { input: 'x\n', env: { HERALD__DIRECTORY__MIN_PASSWORD_LENGTH: '1' } })).code, 0, 'the minimum is a setting');

  const missing = await cli(['user', 'add', 'joy@example.com', '--password-file', path.join(dataDir, 'nope.txt')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read --password-file .*nope\.txt: ENOENT/);
  assert.equal((await cli(['user', 'add', 'joy@example.com', '--password', 'flag password 1', '--password-file', file])).code, 2, 'one way, not two');

  // Options that mean nothing for the command: exit 2 naming them, nothing done.
  const ttl = await cli(['user', 'add', 'kim@example.com', '--ttl', '5'], { input: 'kims password 1\n' });
  assert.equal(ttl.code, 2);
  assert.match(ttl.stderr, /--ttl means nothing for "user add": it takes --password, --password-file, --name/);
  assert.doesNotMatch((await cli(['user', 'list'])).stdout, /kim@/, 'the user was not added');
  for (const [args, flag] of [
    [['user', 'del', 'fay@example.com', '--name', 'x'], '--name'],
    [['domain', 'list', '--im', 'on'], '--im'],
    [['token', 'revoke', 'fay@example.com', '--ttl', '1'], '--ttl'],
    [['token', 'enroll', 'fay@example.com', '--device', '1'], '--device'],
    [['log', 'search', '--json'], '--json'],
    [['spool', 'status', '--demo'], '--demo'],
    [['package', 'keys', '--from', 'x'], '--from'],
    [['serve', '--password', 'x'], '--password'],
    [['user', 'unlock', 'fay@example.com', '--domain', 'example.com'], '--domain'],
  ] as const) {
    const r = await cli([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag} means nothing for "${args[0]}`), args.join(' '));
  }
  assert.ok((await cli(['user', 'list', '--domain', 'example.com', '--config', path.join(dataDir, 'none.json')])).stderr.includes('cannot read config file'), '--config is taken by every command');
});

test('failed sign-ins survive a restart; `user unlock` (and a new password) clear them while serve runs', async () => {
  assert.equal((await cli(['user', 'add', 'lou@example.com'], { input: 'lou password 1\n' })).code, 0);
  const first = await serve();
  for (let i = 0; i < 5; i++) assert.equal((await login(first.url, 'lou@example.com', `wrong ${i}`)).status, 401);
  const shut = await fetch(`${first.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'lou@example.com', password: 'lou password 1' }) });
  assert.equal(shut.status, 429, 'five failures from this address: this address waits (rateLimit.perPair)');
  assert.ok(Number(shut.headers.get('retry-after')) > 800);
  first.child.kill('SIGTERM');
  await new Promise((r) => first.child.once('exit', r));

  const second = await serve();
  try {
    assert.equal((await login(second.url, 'lou@example.com', 'lou password 1')).status, 429, 'a restart forgets nothing');
    const unlock = await cli(['user', 'unlock', 'lou@example.com']);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.match(unlock.stdout, /forgot the failed sign-ins of lou@example\.com/);
    assert.equal((await login(second.url, 'lou@example.com', 'lou password 1')).status, 200, 'unlocked in the running server');
    assert.match((await cli(['user', 'unlock', 'lou@example.com'])).stdout, /had no failed sign-ins/);
    assert.match((await cli(['user', 'unlock', 'ghost@example.com'])).stderr, /no user ghost@example\.com/);

    for (let i = 0; i < 5; i++) await login(second.url, 'lou@example.com', `wrong again ${i}`);
    assert.equal((await login(second.url, 'lou@example.com', 'lou password 1')).status, 429);
    assert.equal((await cli(['user', 'passwd', 'lou@example.com'], { input: 'lou password 2\n' })).code, 0);
    assert.equal((await login(second.url, 'lou@example.com', 'lou password 2')).status, 200, 'a new password clears the failures');
  } finally {
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }
});
