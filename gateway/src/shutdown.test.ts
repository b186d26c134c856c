// closeWithin on real sockets: a listener whose client never closes holds its step until the
// deadline; the step is forced (its socket destroyed) and named, the steps after it still run in
// order, and a step that throws is named as failed without stopping the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { closeWithin, ShutdownIncompleteError } from './shutdown.ts';

test('a step held by an open socket is forced at the deadline and named; later steps still run, failures are named', async () => {
  const held = new Set<net.Socket>();
  const server = net.createServer((s) => held.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => server.once('connection', r));
  const clientGone = new Promise<void>((r) => client.once('close', () => r()));
  client.on('error', () => {});

  const ran: string[] = [];
  const t0 = Date.now();
  const e = await closeWithin(
    [
      { name: 'first', run: () => void ran.push('first') },
      {
        name: 'listener',
        run: () => new Promise<void>((r) => server.close(() => r())),
        waiting: () => `${held.size} client`,
        force: () => {
          for (const s of held) s.destroy();
        },
      },
      {
        name: 'broken',
        run: () => {
          throw new Error('disk on fire');
        },
      },
      { name: 'last', run: () => void ran.push('last') },
    ],
    { deadlineMs: 200, graceMs: 100, onStep: (n) => ran.push(`start ${n}`) },
  ).then(
    () => undefined,
    (err: unknown) => err,
  );
  const took = Date.now() - t0;
  assert.ok(e instanceof ShutdownIncompleteError, String(e));
  assert.deepEqual(e.pending, ['listener (1 client)']);
  assert.deepEqual(e.failed, ['broken: disk on fire']);
  assert.match(e.message, /not finished within the shutdown deadline \(0\.2 s\): listener \(1 client\); failed while closing: broken: disk on fire/);
  assert.deepEqual(ran, ['start first', 'first', 'start listener', 'start broken', 'start last', 'last']);
  assert.ok(took >= 190 && took < 2000, `took ${took} ms`);
  await clientGone; // forced: the held socket was destroyed
});

test('steps that finish in time resolve without an error', async () => {
  const ran: string[] = [];
  await closeWithin(
    [
      { name: 'a', run: async () => void ran.push('a') },
      { name: 'b', run: () => void ran.push('b') },
    ],
    { deadlineMs: 1000 },
  );
  assert.deepEqual(ran, ['a', 'b']);
});
