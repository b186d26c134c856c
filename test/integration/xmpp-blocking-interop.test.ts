// Blocking (XEP-0191) with clients nobody here wrote: Debian's slixmpp and its own xep_0191
// plugin (block, unblock, get_blocked, pushes), and Debian's aioxmpp with its BlockingClient,
// against the gateway over STARTTLS — a blocked user's messages and presence stop, and resume on
// unblock. The stanza-level tests are in xmpp-blocking.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { interopSetup } from '../fixtures/interop.ts';
import { PYTHON, type SlixEvent } from '../fixtures/slixmpp.ts';

type Presence = Extract<SlixEvent, { event: 'presence' }>;
type Message = Extract<SlixEvent, { event: 'message' | 'message_error' }>;
const env = interopSetup({ alice: 'alice block pw', bob: 'bob block pw', carol: 'carol block pw', dora: 'dora block pw' });

test('slixmpp: a blocked colleague’s messages and presence stop, and resume on unblock', async () => {
  const { c: alice } = await env.connect('alice', { resource: 'desk' });
  const { c: phone } = await env.connect('alice', { resource: 'phone' });
  const { c: bob } = await env.connect('bob');
  const { c: carol } = await env.connect('carol');
  await alice.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'available');
  assert.ok((await alice.call('disco_info', { to: 'example.com' })).features.includes('urn:xmpp:blocking'));
  assert.deepEqual((await phone.call('blocklist')).items, [], 'the phone asked: it gets pushes');

  await alice.call('block', { jids: ['bob@example.com'] });
  assert.deepEqual((await phone.next<Extract<SlixEvent, { event: 'blocked' }>>('blocked')).items, ['bob@example.com']);
  assert.deepEqual((await alice.call('blocklist')).items, ['bob@example.com']);
  await alice.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'unavailable');
  await bob.next<Presence>((e) => e.event === 'presence' && e.from === 'alice@example.com/desk' && e.type === 'unavailable');
  const mark = alice.events.length;

  // bob writes: refused as if alice were not there; bob changes his presence: carol sees it, alice not.
  await bob.call('send', { to: 'alice@example.com', body: 'are you ignoring me?', msg_id: 'blk1' });
  const err = await bob.next<Message>((e) => e.event === 'message_error' && e.id === 'blk1');
  assert.equal(err.error?.condition, 'service-unavailable');
  await bob.call('presence', { show: 'chat', status: 'still here' });
  await carol.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.status === 'still here');
  // alice writes to bob: her own client learns why it failed.
  await alice.call('send', { to: 'bob@example.com', body: 'stop', msg_id: 'blk2' });
  const own = await alice.next<Message>((e) => e.event === 'message_error' && e.id === 'blk2');
  assert.equal(own.error?.condition, 'not-acceptable');
  // Everything sent to alice before her ping's answer has arrived by then.
  await alice.call('iq_ping', { to: 'example.com' });
  const fromBob = alice.events.slice(mark).filter((e) => (e.event === 'message' || e.event === 'presence') && (e.from ?? '').startsWith('bob@'));
  assert.deepEqual(fromBob, [], 'no message and no presence from bob while he is blocked');

  await alice.call('unblock', { jids: ['bob@example.com'] });
  assert.deepEqual((await phone.next<Extract<SlixEvent, { event: 'unblocked' }>>('unblocked')).items, ['bob@example.com']);
  const back = await alice.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.status === 'still here');
  assert.equal(back.show, 'chat', 'bob’s current presence, right away');
  await bob.next<Presence>((e) => e.event === 'presence' && e.from === 'alice@example.com/desk' && e.type === 'available');
  await bob.call('send', { to: 'alice@example.com', body: 'hello again', msg_id: 'blk3' });
  assert.equal((await alice.next<Message>((e) => e.event === 'message' && e.id === 'blk3')).body, 'hello again');
  assert.deepEqual((await alice.call('blocklist')).items, []);

  // Unblock-all (slixmpp's unblock with no JIDs).
  await alice.call('block', { jids: ['bob@example.com', 'carol@example.com'] });
  await alice.call('unblock', { jids: [] });
  assert.deepEqual((await phone.call('blocklist')).items, []);
});

type AioEvent = { event?: string; id?: number; ok?: boolean; error?: string; from?: string; type?: string; show?: string; body?: string | null; jids?: string[]; condition?: string | null } & Record<string, unknown>;

/** aioxmpp (test/fixtures/aioxmpp_block_driver.py), logged in over STARTTLS and available. */
async function startAioxmpp(user: string, password: string, resource: string) {
  const child = spawn(PYTHON, ['-u', path.join(import.meta.dirname, '../fixtures/aioxmpp_block_driver.py'), '127.0.0.1', String(env.gw.xmppPort), `${user}@example.com`, password, resource], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const events: AioEvent[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (l) => {
    events.push(JSON.parse(l) as AioEvent);
    for (const w of waiters) w();
  });
  const taken = new Set<number>();
  const next = (pred: (e: AioEvent) => boolean, ms = 10_000) =>
    new Promise<AioEvent>((resolve, reject) => {
      const check = () => {
        const i = events.findIndex((e, j) => !taken.has(j) && pred(e));
        if (i < 0) return;
        taken.add(i);
        waiters.delete(check);
        clearTimeout(t);
        resolve(events[i]!);
      };
      const t = setTimeout(() => reject(new Error(`aioxmpp: nothing matching within ${ms} ms; events ${JSON.stringify(events.slice(-5))}\n${stderr}`)), ms);
      waiters.add(check);
      check();
    });
  let n = 0;
  const call = async (cmd: string, args: Record<string, unknown> = {}) => {
    const id = ++n;
    child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    const r = await next((e) => e.id === id);
    if (!r.ok) throw new Error(`aioxmpp ${cmd}: ${r.error}`);
    return r;
  };
  await next((e) => e.event === 'ready', 20_000);
  return { events, next, call, close: () => (child.stdin.end(), child.kill()) };
}

test('aioxmpp: its BlockingClient blocks a colleague — messages and presence stop — and unblocks', async () => {
  const dora = await startAioxmpp('dora', 'dora block pw', 'aio');
  try {
    assert.deepEqual((await dora.next((e) => e.event === 'blocklist')).jids, [], 'aioxmpp fetched the blocklist at login');
    const { c: bob } = await env.connect('bob', { resource: 'aio-peer' });
    const { c: carol } = await env.connect('carol', { resource: 'aio-peer' });
    await dora.next((e) => e.event === 'presence' && e.from === 'bob@example.com/aio-peer' && e.type === 'available');

    await dora.call('block', { jids: ['bob@example.com'] });
    assert.deepEqual((await dora.next((e) => e.event === 'blocked')).jids, ['bob@example.com'], 'the push');
    await dora.next((e) => e.event === 'presence' && e.from === 'bob@example.com/aio-peer' && e.type === 'unavailable');
    await bob.next<Presence>((e) => e.event === 'presence' && e.from === 'dora@example.com/aio' && e.type === 'unavailable');
    const mark = dora.events.length;
    await bob.call('send', { to: 'dora@example.com', body: 'hello dora?', msg_id: 'aio1' });
    assert.equal((await bob.next<Message>((e) => e.event === 'message_error' && e.id === 'aio1')).error?.condition, 'service-unavailable');
    await bob.call('presence', { show: 'xa', status: 'gone fishing' });
    await carol.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/aio-peer' && e.status === 'gone fishing');
    await dora.call('send', { to: 'bob@example.com', body: 'no', msg_id: 'aio2' });
    assert.equal((await dora.next((e) => e.event === 'message' && e.msg_id === 'aio2')).condition, 'not-acceptable');
    await dora.call('ping');
    const fromBob = dora.events.slice(mark).filter((e) => (e.event === 'message' || e.event === 'presence') && e.type !== 'error' && (e.from ?? '').startsWith('bob@'));
    assert.deepEqual(fromBob, [], 'nothing from bob while he is blocked (only the error to dora’s own message)');

    await dora.call('unblock_all');
    assert.deepEqual((await dora.next((e) => e.event === 'unblocked')).jids, ['bob@example.com']);
    const back = await dora.next((e) => dora.events.indexOf(e) >= mark && e.event === 'presence' && e.from === 'bob@example.com/aio-peer' && e.type === 'available');
    assert.equal(back.show, 'xa');
    await bob.call('send', { to: 'dora@example.com', body: 'hello again', msg_id: 'aio3' });
    assert.equal((await dora.next((e) => e.event === 'message' && e.msg_id === 'aio3')).body, 'hello again');
    assert.deepEqual((await dora.call('blocklist')).jids, []);
  } finally {
    dora.close();
  }
});
