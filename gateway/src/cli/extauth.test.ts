import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { loadSettings } from '../config/load.ts';
import { createServices } from '../main.ts';
import { encodeRequest } from './extauth-framing.ts';
import { extauthHandlerFor, serveExtauth } from './extauth.ts';

const PASSWORD = 'correct horse battery';

/** A data folder with users, and the extauth loop on in-memory pipes (the framing is real). */
async function fixture(overrides: Record<string, unknown> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-extauth-'));
  const settings = loadSettings({ env: {}, overrides: { dataDir: dir, 'log.level': 'silent', ...overrides } });
  let logText = '';
  const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => ((logText += String(c)), cb()) }));
  const services = createServices(settings, log);
  services.directory.addDomain('example.com');
  services.directory.addDomain('quiet.example');
  const alice = await services.directory.addUser('alice@example.com', PASSWORD);
  await services.directory.addUser('bob@example.com', PASSWORD);
  const carol = await services.directory.addUser('carol@quiet.example', PASSWORD);
  const aliceToken = services.tokens.issueDevice(alice, 'laptop');
  const carolToken = services.tokens.issueDevice(carol, 'laptop');
  const handle = extauthHandlerFor(services, log);
  const input = new PassThrough();
  const output = new PassThrough();
  const served = serveExtauth(input, output, handle, log);
  let answers = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  output.on('data', (c: Buffer) => {
    answers = Buffer.concat([answers, c]);
    waiters.splice(0).forEach((w) => w());
  });
  /** Sends raw bytes and waits for `n` answers; resolves with them as 0/1. */
  const send = async (bytes: Buffer, n: number): Promise<number[]> => {
    const start = answers.length;
    input.write(bytes);
    while (answers.length < start + 4 * n) await new Promise<void>((r) => waiters.push(r));
    const got = answers.subarray(start);
    const out: number[] = [];
    for (let i = 0; i < got.length; i += 4) {
      assert.equal(got.readUInt16BE(i), 2, 'every answer is 2 bytes long');
      out.push(got.readUInt16BE(i + 2));
    }
    return out;
  };
  const ask = async (...requests: string[]) => send(Buffer.concat(requests.map((r) => encodeRequest(r))), requests.length);
  return {
    services,
    aliceToken,
    carolToken,
    send,
    ask,
    log: () => logText,
    async done() {
      input.end();
      try {
        await served;
        services.store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

test('auth: the password and a device token let in; a wrong password, another user\'s token, an unknown user do not', async () => {
  const f = await fixture();
  try {
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`), [1]);
    assert.deepEqual(await f.ask(`auth:Alice:Example.COM:${PASSWORD}`), [1], 'user and server are case-insensitive, as the address');
    assert.deepEqual(await f.ask(`auth:alice:example.com:${f.aliceToken}`), [1]);
    assert.deepEqual(await f.ask('auth:alice:example.com:wrong password here'), [0]);
    assert.deepEqual(await f.ask(`auth:bob:example.com:${f.aliceToken}`), [0], "alice's token is not bob's");
    assert.deepEqual(await f.ask(`auth:nobody:example.com:${PASSWORD}`), [0]);
    assert.deepEqual(await f.ask(`auth:alice:other.example:${PASSWORD}`), [0], 'alice is not alice@other.example');
    assert.deepEqual(await f.ask('auth:alice:example.com:'), [0], 'an empty password');
    assert.deepEqual(await f.ask('isuser:alice:example.com', 'isuser:nobody:example.com', 'isuser:alice:nowhere.example'), [1, 0, 0]);
    assert.doesNotMatch(f.log(), new RegExp(`${PASSWORD}|wrong password here|${f.aliceToken}`), 'no password or token in the log');
    assert.match(f.log(), /ejabberd login failed: wrong user name or password/);
  } finally {
    await f.done();
  }
});

test('a revoked device token, a changed password and a removed account no longer let in', async () => {
  const f = await fixture();
  try {
    f.services.tokens.revoke('alice@example.com');
    assert.deepEqual(await f.ask(`auth:alice:example.com:${f.aliceToken}`), [0]);
    await f.services.directory.setPassword('alice@example.com', 'a brand new password');
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`, 'auth:alice:example.com:a brand new password'), [0, 1]);
    f.services.directory.removeUser('bob@example.com');
    assert.deepEqual(await f.ask(`auth:bob:example.com:${PASSWORD}`, 'isuser:bob:example.com'), [0, 0]);
  } finally {
    await f.done();
  }
});

test('a domain with IM switched off: its users are refused (password and token) and are no IM users', async () => {
  const f = await fixture();
  try {
    assert.deepEqual(await f.ask(`auth:carol:quiet.example:${PASSWORD}`, `auth:carol:quiet.example:${f.carolToken}`, 'isuser:carol:quiet.example'), [1, 1, 1]);
    f.services.directory.setDomainIm('quiet.example', false);
    assert.deepEqual(await f.ask(`auth:carol:quiet.example:${PASSWORD}`, `auth:carol:quiet.example:${f.carolToken}`, 'isuser:carol:quiet.example'), [0, 0, 0]);
    assert.match(f.log(), /instant messaging is disabled for quiet.example/);
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`), [1], 'other domains go on');
  } finally {
    await f.done();
  }
});

test('failed-login limits: past rateLimit.perPair wrong passwords the right one waits; device tokens still work', async () => {
  const f = await fixture({ 'rateLimit.perPair': 3 });
  try {
    assert.deepEqual(await f.ask('auth:alice:example.com:wrong 1 wrong', 'auth:alice:example.com:wrong 2 wrong', 'auth:alice:example.com:wrong 3 wrong'), [0, 0, 0]);
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`), [0], 'the right password is not even checked now');
    assert.match(f.log(), /too many failed sign-ins/);
    assert.deepEqual(await f.ask(`auth:alice:example.com:${f.aliceToken}`), [1]);
    assert.deepEqual(await f.ask(`auth:bob:example.com:${PASSWORD}`), [1], "another account is not held up by alice's failures");
    f.services.directory.unlock('alice@example.com');
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`), [1], 'user unlock lets the password in again');
  } finally {
    await f.done();
  }
});

test('accounts are Herald\'s: setpass, tryregister, removeuser and removeuser3 are refused and change nothing', async () => {
  const f = await fixture();
  try {
    assert.deepEqual(
      await f.ask('setpass:alice:example.com:another password!', 'tryregister:dave:example.com:another password!', 'removeuser:alice:example.com', `removeuser3:alice:example.com:${PASSWORD}`),
      [0, 0, 0, 0],
    );
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`, 'auth:alice:example.com:another password!', 'isuser:dave:example.com'), [1, 0, 0]);
  } finally {
    await f.done();
  }
});

test('malformed input: every frame gets exactly one answer, in order, and the good requests between the bad ones still work', async () => {
  const f = await fixture();
  try {
    const frames = [
      encodeRequest(''),
      encodeRequest(`auth:alice:example.com:${PASSWORD}`),
      encodeRequest('garbage without colons'),
      encodeRequest(Buffer.from([0xc3, 0x28, 0x3a, 0xff])),
      encodeRequest('auth:alice'),
      encodeRequest('isuser:alice:example.com:extra'),
      encodeRequest('isuser:al ice:example.com'),
      encodeRequest('auth::example.com:x'),
      encodeRequest('isuser:alice:example.com'),
      encodeRequest(Buffer.alloc(60_000, 0x41)),
      encodeRequest(`auth:alice:example.com:${f.aliceToken}`),
    ];
    // All at once, and cut into odd pieces as a pipe may deliver them.
    const all = Buffer.concat(frames);
    const pieces = [all.subarray(0, 1), all.subarray(1, 7), all.subarray(7, 100), all.subarray(100)];
    const answered = f.send(Buffer.alloc(0), frames.length);
    for (const p of pieces) await f.send(p, 0);
    assert.deepEqual(await answered, [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
    assert.match(f.log(), /unreadable request \(not UTF-8\)/);
  } finally {
    await f.done();
  }
});

test('a request the data folder cannot answer (database closed) is answered false, and the program goes on', async () => {
  const f = await fixture();
  try {
    assert.deepEqual(await f.ask('isuser:alice:example.com'), [1]);
    f.services.store.close();
    assert.deepEqual(await f.ask(`auth:alice:example.com:${PASSWORD}`, 'isuser:alice:example.com'), [0, 0]);
    assert.match(f.log(), /could not be answered/);
  } finally {
    await f.done().catch(() => {});
  }
});
