// The Dovecot test fixture does what the mail tests rely on: user and master-user logins,
// delivery into INBOX, nested and non-ASCII folders, stop (port refused) and start again.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startDovecot, testMessage, type Dovecot } from '../fixtures/dovecot.ts';

const ALICE = { address: 'alice@example.com', password: 'alice-pw' };
let dovecot: Dovecot;

before(async () => {
  dovecot = await startDovecot({ users: [ALICE], masterPassword: 'the-master-pw' });
});
after(async () => {
  await dovecot?.destroy();
});

async function login(user: string, pass: string, extra: { authzid?: string; server?: Dovecot } = {}): Promise<ImapFlow> {
  const server = extra.server ?? dovecot;
  const client = new ImapFlow({
    host: server.host,
    port: server.imapPort,
    secure: false,
    logger: false,
    auth: extra.authzid ? { user, pass, authzid: extra.authzid, loginMethod: 'AUTH=PLAIN' } : { user, pass },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function statusOf(client: ImapFlow, path: string) {
  const s = await client.status(path, { messages: true, unseen: true });
  assert.ok(s, `STATUS ${path}`);
  return { messages: s.messages, unseen: s.unseen };
}

function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('a user logs in with their own password', async () => {
  const c = await login(ALICE.address, ALICE.password);
  assert.equal(c.authenticated, true);
  await c.logout();
});

test('the master user logs in as user*master, and with SASL PLAIN authzid', async () => {
  const c = await login(`${ALICE.address}*${dovecot.masterUser}`, dovecot.masterPassword);
  const inbox = await c.mailboxOpen('INBOX');
  assert.equal(inbox.path, 'INBOX');
  await c.logout();
  const z = await login(dovecot.masterUser, dovecot.masterPassword, { authzid: ALICE.address });
  await z.mailboxOpen('INBOX');
  await z.logout();
});

test('delivery lands in INBOX, a nested folder and non-ASCII folders', async () => {
  const sep = dovecot.separator;
  const nested = `Projects${sep}Herald`;
  const cyrillic = `Проекты${sep}Неделя`;
  await dovecot.deliver(ALICE.address, testMessage({ subject: 'to inbox' }));
  await dovecot.deliver(ALICE.address, testMessage({ subject: 'to nested' }), nested);
  await dovecot.deliver(ALICE.address, testMessage({ subject: 'to drafts' }), 'Entwürfe');
  await dovecot.deliver(ALICE.address, testMessage({ subject: 'to cyrillic' }), cyrillic);
  const c = await login(ALICE.address, ALICE.password);
  try {
    const list = await c.list();
    const paths = list.filter((f) => !f.flags.has('\\Noselect')).map((f) => f.path);
    assert.equal(list.find((f) => f.path === 'INBOX')?.delimiter, sep, 'LIST reports the separator the fixture announces');
    for (const p of ['INBOX', nested, 'Entwürfe', cyrillic]) assert.ok(paths.includes(p), `${p} listed (got ${paths.join(', ')})`);
    assert.equal(list.find((f) => f.path === 'Entwürfe')?.pathAsListed, 'Entw&APw-rfe', 'modified UTF-7 on the wire');
    for (const p of ['INBOX', nested, 'Entwürfe', cyrillic]) assert.deepEqual(await statusOf(c, p), { messages: 1, unseen: 1 }, p);
    const lock = await c.getMailboxLock(nested);
    try {
      const msg = await c.fetchOne('*', { envelope: true });
      assert.ok(msg);
      assert.equal(msg.envelope?.subject, 'to nested');
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
});

test('a new user added to the passwd-file can log in at once', async () => {
  await dovecot.addUser({ address: 'carol@example.com', password: 'carol-pw' });
  const c = await login('carol@example.com', 'carol-pw');
  await c.logout();
});

test('stop refuses connections; start serves the same mail on the same ports', async () => {
  const before = await login(ALICE.address, ALICE.password);
  const inboxBefore = await statusOf(before, 'INBOX');
  const closed = new Promise<void>((resolve) => before.once('close', () => resolve()));
  await dovecot.stop();
  await closed; // the server side went away: live sessions are dropped too
  assert.equal(await connectResult(dovecot.imapPort), 'ECONNREFUSED');
  assert.equal(await connectResult(dovecot.lmtpPort), 'ECONNREFUSED');
  await dovecot.start();
  const c = await login(ALICE.address, ALICE.password);
  try {
    assert.deepEqual(await statusOf(c, 'INBOX'), inboxBefore);
  } finally {
    await c.logout();
  }
  await dovecot.deliver(ALICE.address, testMessage({ subject: 'after restart' }));
  const c2 = await login(`${ALICE.address}*${dovecot.masterUser}`, dovecot.masterPassword);
  try {
    assert.equal((await statusOf(c2, 'INBOX')).messages, (inboxBefore.messages ?? 0) + 1);
  } finally {
    await c2.logout();
  }
});

test('manyUsers config starts and serves many connections of one user from one address', async () => {
  const big = await startDovecot({ users: [ALICE], manyUsers: true, separator: '/' });
  const clients: ImapFlow[] = [];
  try {
    for (let i = 0; i < 30; i++) clients.push(await login(ALICE.address, ALICE.password, { server: big }));
    await big.deliver(ALICE.address, testMessage(), 'Work/Sub');
    const list = await clients[0]!.list();
    assert.ok(list.some((f) => f.path === 'Work/Sub' && f.delimiter === '/'));
  } finally {
    await Promise.all(clients.map((c) => c.logout().catch(() => undefined)));
    await big.destroy();
  }
});

// Last: a failed login makes Dovecot delay later logins from 127.0.0.1 (auth penalty).
test('wrong passwords are refused, for the user and for the master user', async () => {
  const failed = (e: Error & { authenticationFailed?: boolean }) => e.authenticationFailed === true;
  await assert.rejects(login(ALICE.address, 'wrong'), failed);
  await assert.rejects(login(`${ALICE.address}*${dovecot.masterUser}`, ALICE.password), failed);
});
