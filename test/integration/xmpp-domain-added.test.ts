// Whether a domain is served here is cached in the server (store/domains.ts has(): it was a
// SQLite SELECT for every stanza to another domain, issue 12). A domain added with the CLI while
// `serve` runs must still be served without a restart: the cache is dropped when another process
// commits (PRAGMA data_version, main.ts's directory poll → xmpp revalidate()).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCli } from '../fixtures/cli.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { connectRaw, streamOpen } from '../fixtures/xmpp-raw.ts';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  await gw.user('alice@example.com');
});
after(() => gw.destroy());

/** Asks again until `want` (retries a tenth of a second apart: one try per connection). */
async function until(domain: string, want: 'features' | 'host-unknown'): Promise<string> {
  const deadline = Date.now() + 15_000;
  let got = await open(domain);
  while (got !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    got = await open(domain);
  }
  return got;
}

/** Opens a stream to `domain`: 'features' when it is served, 'host-unknown' when not. */
async function open(domain: string): Promise<'features' | 'host-unknown'> {
  const c = await connectRaw(gw.xmppPort!);
  c.send(streamOpen(domain));
  const el = await c.next((e) => e.name === 'stream:features' || e.name === 'stream:error');
  c.kill();
  if (el.name === 'stream:features') return 'features';
  assert.ok(el.getChild('host-unknown', 'urn:ietf:params:xml:ns:xmpp-streams'), el.toString());
  return 'host-unknown';
}

test('a domain added by the CLI while serving is served, and one removed is not, without a restart', async () => {
  const { cli } = createCli(gw.dataDir);
  assert.equal(await open('example.com'), 'features');
  assert.equal(await open('new.example'), 'host-unknown'); // the cache now holds the names without it
  const added = await cli(['domain', 'add', 'new.example']);
  assert.equal(added.code, 0, added.stderr);
  // The server sees the CLI's commit on its next directory poll (1 s): ask until it does.
  assert.equal(await until('new.example', 'features'), 'features');

  const removed = await cli(['domain', 'del', 'new.example']);
  assert.equal(removed.code, 0, removed.stderr + removed.stdout);
  assert.equal(await until('new.example', 'host-unknown'), 'host-unknown');
});
