// Stopping the chat's connection while an attempt is still under way (the app quitting while the
// chat connects) must leave nothing behind: no socket, no timer — otherwise the app does not end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { systemClock } from '../ports/clock.ts';
import { createXmppConnection } from './xmpp-connection.ts';

const counts = () => {
  const c: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) c[r] = (c[r] ?? 0) + 1;
  return c;
};

test('stop() during a connection attempt ends it: start() settles, no socket or timer stays', async () => {
  // A server that accepts and never answers: the attempt waits for the stream header.
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    s.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const before = counts();
  const conn = createXmppConnection({ clock: systemClock });
  const started = conn.start({ service: `xmpp://127.0.0.1:${port}`, domain: 'example.test', jid: 'a@example.test', secret: { password: 'x' }, resource: 'r', trusted: [] });
  const outcome = started.then(() => 'online', (e: Error) => `rejected: ${e.message}`);
  while (accepted.length === 0) await once(server, 'connection');
  await conn.stop();
  assert.match(await outcome, /^rejected/);
  assert.equal(conn.state.state, 'offline');
  // The server sees the connection close: nothing of ours is left on it.
  if (!accepted[0]!.closed) await once(accepted[0]!, 'close');
  server.close();
  await once(server, 'close');
  const after = counts();
  assert.equal(after.Timeout ?? 0, before.Timeout ?? 0, `timers left: ${JSON.stringify(after)}`);
  assert.equal(after.TCPSocketWrap ?? 0, before.TCPSocketWrap ?? 0, `sockets left: ${JSON.stringify(after)}`);
});
