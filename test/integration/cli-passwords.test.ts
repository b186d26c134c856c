// Passwords and sign-in limits from the admin's side: --password-file, standard input, the
// --password warning, the minimum length, options a command does not take (refused in one place,
// cli.ts), and failed sign-ins that survive a restart until `user unlock` or a new password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCli } from '../fixtures/cli.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-cli-pw-'));
const { cli, serve, killAll } = createCli(dataDir);
before(async () => assert.equal((await cli(['domain', 'add', 'example.com'])).code, 0));
after(() => {
  killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

async function login(url: string, user: string, password: string) {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: Number(res.headers.get('retry-after')) };
}

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
  const refusals = [
    [['user', 'del', 'fay@example.com', '--name', 'x'], '--name'],
    [['domain', 'list', '--im', 'on'], '--im'],
    [['token', 'revoke', 'fay@example.com', '--ttl', '1'], '--ttl'],
    [['log', 'search', '--json'], '--json'],
    [['spool', 'status', '--demo'], '--demo'],
    [['package', 'keys', '--from', 'x'], '--from'],
    [['user', 'unlock', 'fay@example.com', '--domain', 'example.com'], '--domain'],
  ] as const;
  // (Refused while parsing, before the data folder is touched: safe to run side by side.)
  const answers = await Promise.all(refusals.map(([args]) => cli([...args])));
  for (const [k, [args, flag]] of refusals.entries()) {
    assert.equal(answers[k]!.code, 2, `${args.join(' ')}: ${answers[k]!.stderr}`);
    assert.match(answers[k]!.stderr, new RegExp(`${flag} means nothing for "${args[0]}`), args.join(' '));
  }
  assert.ok((await cli(['user', 'list', '--domain', 'example.com', '--config', path.join(dataDir, 'none.json')])).stderr.includes('cannot read config file'), '--config is taken by every command');
});

test('failed sign-ins survive a restart; `user unlock` (and a new password) clear them while serve runs', async () => {
  assert.equal((await cli(['user', 'add', 'lou@example.com'], { input: 'lou password 1\n' })).code, 0);
  const first = await serve();
  for (let i = 0; i < 5; i++) assert.equal((await login(first.url, 'lou@example.com', `wrong ${i}`)).status, 401);
  const shut = await login(first.url, 'lou@example.com', 'lou password 1');
  assert.equal(shut.status, 429, 'five failures from this address: this address waits (rateLimit.perPair)');
  assert.ok(shut.retryAfter > 800);
  assert.equal(await first.stop(), 0);

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
    await second.stop();
  }
});
