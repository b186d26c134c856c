import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createApiClient } from './api-client.ts';
import { networkWords } from './network-words.ts';

test('error codes become words, the code kept for the administrator; unknown ones pass through', () => {
  assert.equal(networkWords({ code: 'ECONNREFUSED' }, 'x'), 'nothing answers at that address — is the gateway running, and is the port right? (ECONNREFUSED)');
  assert.match(networkWords({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'x'), /^its certificate is self-signed/);
  assert.equal(networkWords({ code: 'EWHATEVER' }, 'x'), 'EWHATEVER');
  assert.equal(networkWords(undefined, 'fetch failed'), 'fetch failed');
});

test('a gateway that is not running: the client says so in words', async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const client = createApiClient({ baseUrl: `http://127.0.0.1:${port}` });
  await assert.rejects(client.signIn('alice@example.com', 'pw', 'test'), (e: Error) => {
    assert.match(e.message, /is unreachable: nothing answers at that address — is the gateway running, and is the port right\? \(ECONNREFUSED\)$/);
    return true;
  });
});
