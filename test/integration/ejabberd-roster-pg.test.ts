// The shared roster on a two-node ejabberd 23.01 cluster whose SQL database is PostgreSQL
// (xmpp.external.archiveUrl; test/fixtures/postgres.ts, test/fixtures/ejabberd-cluster.ts): `serve`
// writes the domain's members as sr_user rows in bulk (xmpp/external/srg-tables.ts) through nothing
// but PostgreSQL, and both nodes read them at once (mod_shared_roster without its cache): the whole
// domain in the roster of a user on node 1 and of one on node 2, presence across the nodes; an
// import of 30 users by another process and their removal, seen by the next login on node 2 at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { createCli } from '../fixtures/cli.ts';
import { addUsersElsewhere, removeUsersElsewhere } from '../fixtures/directory-elsewhere.ts';
import { startEjabberdCluster, type ClusterNode, type TestEjabberdCluster } from '../fixtures/ejabberd-cluster.ts';
import { seedHerald } from '../fixtures/ejabberd-herald.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startPostgres, type TestPostgres } from '../fixtures/postgres.ts';
import { rosterJids, signInForRoster, type Slixmpp } from '../fixtures/slixmpp.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-roster-pg-'));
const dataDir = path.join(dir, 'data');
const configFile = path.join(dir, 'herald.json');
const { cli } = createCli(dataDir);
let pg: TestPostgres | undefined;
let cluster: TestEjabberdCluster | undefined;
let n1: ClusterNode;
let n2: ClusterNode;
let gw: TestGateway | undefined;
const clients: Slixmpp[] = [];
const SEEDED = 30;

before(async () => {
  await seedHerald(dataDir, { domains: ['example.com'], users: [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12']] });
  await addUsersElsewhere({ dataDir, dir, domain: 'example.com', prefix: 'seed', count: SEEDED, paced: false });
  pg = await startPostgres();
  const cert = makeTestCertificate(dir, ['example.com']);
  const external = { listenHost: '127.0.0.1', websocketTls: false, certfiles: [cert.certFile, cert.keyFile], archiveUrl: pg.url };
  writeFileSync(configFile, JSON.stringify({ xmpp: { external } }));
  cluster = await startEjabberdCluster({
    dir,
    writeConfig: async (index, p) => {
      const yml = path.join(dir, `ejabberd-node${index}.yml`);
      const r = await cli(['ejabberd', 'config', '--config', configFile, '--out', yml], {
        env: { HERALD__XMPP__EXTERNAL__C2S_PORT: String(p.c2sPort), HERALD__XMPP__EXTERNAL__WEBSOCKET_PORT: String(p.websocketPort), HERALD__XMPP__EXTERNAL__API_PORT: String(p.apiPort) },
      });
      assert.equal(r.code, 0, r.stderr);
      return yml;
    },
  });
  [n1, n2] = cluster.nodes;
  gw = await startTestGateway({ 'xmpp.mode': 'external', 'xmpp.external.apiPort': n1.apiPort, 'xmpp.external.c2sPort': n1.c2sPort, 'xmpp.external.archiveUrl': pg.url }, { dataDir });
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw?.close();
  await cluster?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const login = (node: ClusterNode, jid: string, password: string, label: string) =>
  signInForRoster({ clients, port: node.c2sPort, jid, password, label: `${label} on ${node.name}` });
const jids = rosterJids;
const seeded = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
const keeper = () => gw!.rosterKeeper!;
const syncedAfter = async (changes: number) => {
  await new Promise<void>((resolve) => {
    const t = setInterval(() => keeper().status().changes > changes && (clearInterval(t), resolve()), 50);
  });
  await keeper().inStep();
};

test('the domain written in bulk into PostgreSQL is every user\'s roster on both nodes; presence across them', { timeout: 300_000 }, async () => {
  await keeper().inStep();
  assert.equal(keeper().status().lastSync!.result.inBulk, SEEDED + 2);
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob');
  assert.deepEqual(jids(alice.roster), ['bob@example.com', ...seeded('seed', SEEDED)].sort());
  assert.deepEqual(jids(bob.roster), ['alice@example.com', ...seeded('seed', SEEDED)].sort());
  await alice.c.next({ event: 'presence', type: 'available', from: 'bob@example.com/slix' }, 30_000);
  await bob.c.next({ event: 'presence', type: 'available', from: 'alice@example.com/slix' }, 30_000);
  await Promise.all([alice.c.close(), bob.c.close()]);
});

test('an import of 30 users and their removal (bulk rows) are in and out of the next login\'s roster on node 2 at once', { timeout: 300_000 }, async () => {
  await keeper().inStep();
  const before = await login(n2, 'bob@example.com', 'bob password 12', 'bob (before the import)');
  assert.ok(!jids(before.roster).some((j) => j.startsWith('import')));
  await before.c.close();
  let changes = keeper().status().changes;
  await addUsersElsewhere({ dataDir, dir, domain: 'example.com', prefix: 'import', count: 30, paced: false });
  await syncedAfter(changes);
  assert.equal(keeper().status().lastSync!.result.inBulk, 30);
  const withThem = await login(n2, 'bob@example.com', 'bob password 12', 'bob (after the import)');
  assert.deepEqual(jids(withThem.roster).filter((j) => j.startsWith('import')), seeded('import', 30).sort());
  await withThem.c.close();
  changes = keeper().status().changes;
  await removeUsersElsewhere({ dataDir, dir, name: 'import', addresses: seeded('import', 30) });
  await syncedAfter(changes);
  assert.equal(keeper().status().lastSync!.result.inBulk, 30);
  const without = await login(n2, 'bob@example.com', 'bob password 12', 'bob (after the removal)');
  assert.deepEqual(jids(without.roster).filter((j) => j.startsWith('import')), []);
  await without.c.close();
});
