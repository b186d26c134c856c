// Tokens and domains as a new admin meets them: `token list` shows devices (name, platform, last
// use over HTTP, the events socket and XMPP) and unused enrollment tokens, `token revoke` counts by
// kind, and `domain del` refuses, or with --force ends what the domain held (cli-usage.test.ts: mistakes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCli } from '../fixtures/cli.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login as xmppLogin } from '../fixtures/xmpp-raw.ts';

let gw: TestGateway;
let cli: ReturnType<typeof createCli>['cli'];
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  cli = createCli(gw.dataDir).cli;
  for (const d of ['example.com', 'example.org', 'gone.example']) gw.services.directory.addDomain(d);
});
after(() => gw.destroy());

/** Signs in over HTTP as a device; returns its device token. */
async function signIn(user: string, body: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
  const r = await gw.api('POST', '/api/v1/session', { body: { user, password: 'correct horse battery', ...body }, headers });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.deviceToken as string;
}

test('token list: unused enrollment tokens, devices with name, platform and last use — HTTP, events socket and XMPP alike', async () => {
  await gw.user('tia@example.com');
  gw.services.tokens.issueEnroll('tia@example.com', 2 * 3600_000);
  const laptop = await signIn('tia@example.com', { device: 'Work laptop' }, { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0' });
  const desk = await signIn('tia@example.com', { device: 'Desk', platform: 'linux-arm64' });
  const web = await signIn('tia@example.com', { device: 'Browser' });
  const list = async () => {
    const r = await cli(['token', 'list', 'tia@example.com']);
    assert.equal(r.code, 0, r.stderr);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.includes(name)) ?? assert.fail(`no ${name} in\n${r.stdout}`);
    return { out: r.stdout, used: (name: string) => !/last used never/.test(line(name)), line };
  };
  const first = await list();
  assert.match(first.line('Work laptop'), /^device \d+\s+Work laptop\s+win-x64\s+created \S+Z\s+last used never\s+live$/);
  assert.match(first.line('Desk'), /linux-arm64/);
  assert.match(first.out, /^enrollment \d+\s+unused, created \S+Z {2}expires \S+Z$/m);
  assert.match(first.out, /tia@example\.com: 4 live devices, 1 unused enrollment token\n$/);
  assert.deepEqual([first.used('Work laptop'), first.used('Desk'), first.used('Browser')], [false, false, false]);

  assert.equal((await gw.api('GET', '/api/v1/folders', { token: web })).status !== 401, true);
  const events = await gw.events(laptop);
  const xmpp = await xmppLogin(gw.xmppPort!, 'tia@example.com', desk, 'desk');
  const second = await list();
  assert.deepEqual([second.used('Work laptop'), second.used('Desk'), second.used('Browser')], [true, true, true], second.out);
  events.close();
  xmpp.close();
});

test('token revoke counts what it revoked by kind; a device that is not there exits 1', async () => {
  await gw.user('rex@example.com');
  await signIn('rex@example.com', { device: 'Phone' });
  const phone = String(gw.services.tokens.listTokens('rex@example.com').devices.find((d) => d.label === 'Phone')!.id);
  gw.services.tokens.issueEnroll('rex@example.com');
  const [none, notNumber] = await Promise.all([cli(['token', 'revoke', 'rex@example.com', '--device', '99']), cli(['token', 'revoke', 'rex@example.com', '--device', 'one'])]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'herald-gateway: rex@example.com has no device 99 (token list rex@example.com shows its devices)\n');
  const all = await cli(['token', 'revoke', 'rex@example.com']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, 'revoked 2 device tokens, 1 enrollment token of rex@example.com\n');
  const [again, revoked] = await Promise.all([cli(['token', 'revoke', 'rex@example.com']), cli(['token', 'revoke', 'rex@example.com', '--device', phone])]);
  assert.match(again.stdout, /had no live device tokens or unused enrollment tokens; nothing revoked/);
  assert.equal(revoked.code, 1);
  assert.equal(revoked.stderr, `herald-gateway: device ${phone} of rex@example.com was already revoked\n`);
  assert.equal(notNumber.code, 2);
});

test('domain del: refused while it has accounts; --force deletes them, ends their sessions, unlinks, keeps the message log', async () => {
  gw.services.directory.linkDomains('gone.example', 'example.org');
  const token = await gw.user('una@gone.example');
  await gw.user('uri@gone.example');
  const { createImLog } = await import('../../gateway/src/im/im-log.ts');
  const imLog = createImLog({ dir: `${gw.dataDir}/logs` });
  imLog.append({ type: 'chat', from: 'una@gone.example/desk', to: 'uri@gone.example', body: 'before the domain went' });
  imLog.close();

  const refused = await cli(['domain', 'del', 'gone.example']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^herald-gateway: domain gone\.example still has 2 account\(s\); delete them first, or add --force/);
  assert.equal(gw.services.directory.listUsers('gone.example').length, 2, 'nothing deleted');

  const events = await gw.events(token);
  const xmpp = await xmppLogin(gw.xmppPort!, 'una@gone.example', 'correct horse battery', 'desk');
  const closed = new Promise<number>((resolve) => events.ws.once('close', (code) => resolve(code)));
  const r = await cli(['domain', 'del', 'gone.example', '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'deleted domain gone.example with 2 accounts (una@gone.example, uri@gone.example), 2 device tokens, 0 enrollment tokens; their sessions end; unlinked from example.org; message logs are kept\n',
  );
  assert.equal(await closed, 4401, 'the events socket ends');
  await xmpp.closed;
  assert.deepEqual(gw.services.directory.listDomains().map((d) => d.name), ['example.com', 'example.org']);
  assert.deepEqual(gw.services.directory.linkedDomains('example.org'), []);
  assert.equal((await gw.api('GET', '/api/v1/folders', { token })).status, 401);
  const [search, again] = await Promise.all([cli(['log', 'search', '--user', 'una@gone.example']), cli(['domain', 'del', 'gone.example'])]);
  assert.match(search.stdout, /before the domain went/);
  assert.equal(again.code, 1, 'gone');
  assert.equal(again.stderr, 'herald-gateway: no domain gone.example\n');
});
