// `herald-gateway` as an admin uses it: the demo, admin commands against a running server
// (changes apply without restart), restart keeping data, and bad settings named clearly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createCli } from '../fixtures/cli.ts';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-cli-'));
const children = new Set<ChildProcess>();
after(() => {
  killAll();
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

// Commands as child processes (test/fixtures/cli.ts: asynchronous, so this file's event loop
// sees the server close idle keep-alive connections).
const { cli, killAll } = createCli(dataDir);

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

  assert.match((await cli(['token', 'revoke', 'alice@example.com'])).stdout, /revoked 1 device token, 1 enrollment token of alice/);
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
  assert.match(usage.stderr, /^herald-gateway: unknown command "user frob"\n/);
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
