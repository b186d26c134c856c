// How long "contacts = the domain" takes to reach ejabberd for a domain of N users (README "Running
// IM on an ejabberd cluster"): Debian's ejabberd 23.01 started with the configuration `herald-gateway
// ejabberd config` writes (test/fixtures/ejabberd-herald.ts), N users in Herald's store (one domain),
// then the gateway's first sync (syncRoster, what `serve` runs at start) timed, a user's login with
// the roster fetch timed (slixmpp), and a second sync with nothing to do.
//
//   node --import tsx test/bench/ejabberd-roster-bench.ts --users 2000 [--archive-db | --pg] [--max-seconds 900]
//
// --archive-db: xmpp.external.archiveDb set (single node on SQLite), --pg: xmpp.external.archiveUrl on a
// PostgreSQL of its own (test/fixtures/postgres.ts, as a cluster has it): the shared roster's members
// are written in bulk into ejabberd's SQL tables; with neither, the shared roster stays in Mnesia and
// every member is one srg_user_add call. With --max-seconds the first sync is abandoned after that long and the
// members it made are counted (srg_get_members), for an honest extrapolation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { createServices } from '../../gateway/src/main.ts';
import { rosterSourceOf, syncRoster } from '../../gateway/src/xmpp/external/ejabberd-roster.ts';
import { srgTablesOf } from '../../gateway/src/xmpp/external/srg-tables.ts';
import { createCli } from '../fixtures/cli.ts';
import { configureEjabberd } from '../fixtures/ejabberd-herald.ts';
import { startPostgres } from '../fixtures/postgres.ts';
import { startSlixmpp } from '../fixtures/slixmpp.ts';

process.env.HERALD_GATEWAY_FROM_SOURCE = '1';
const { values } = parseArgs({ options: { users: { type: 'string', default: '500' }, 'archive-db': { type: 'boolean', default: false }, pg: { type: 'boolean', default: false }, logins: { type: 'string', default: '0' }, 'srg-cache': { type: 'boolean', default: false }, 'max-seconds': { type: 'string', default: '0' }, keep: { type: 'boolean', default: false } } });
const n = Number(values.users);
const maxMs = Number(values['max-seconds']) * 1000;
const domain = 'example.com';
const dir = mkdtempSync(path.join(tmpdir(), 'herald-roster-bench-'));
const dataDir = path.join(dir, 'data');
const { cli } = createCli(dataDir);

const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
services.directory.addDomain(domain);
await services.directory.addUser(`alice@${domain}`, 'alice password 1');
const logins = Number(values.logins);
for (let i = 0; i < logins; i++) await services.directory.addUser(`login${i}@${domain}`, `login${i} password 1`);
services.store.db.transaction(() => {
  for (let i = 1 + logins; i < n; i++) services.store.accounts.add({ local: `u${i}`, domain, address: `u${i}@${domain}`, displayName: `User ${i}`, passwordHash: null });
})();
const src = rosterSourceOf(services.store);
services.store.close();

const archiveDb = values['archive-db'] ? path.join(dir, 'ejabberd-archive.db') : undefined;
const pg = values.pg ? await startPostgres() : undefined;
const node = await configureEjabberd({ dir, domains: [domain], cli, external: archiveDb ? { archiveDb } : pg ? { archiveUrl: pg.url } : {} });
// --srg-cache: mod_shared_roster's own cache on (what the generated configuration turns off), for comparison.
if (values['srg-cache']) writeFileSync(node.yml, readFileSync(node.yml, 'utf8').replace(/^( {4}use_cache:) false$/m, '$1 true'));
const ejabberd = await node.start();
const apiUrl = `http://127.0.0.1:${node.apiPort}/api`;
const tables = await srgTablesOf({ ...(archiveDb && { archiveDb }), ...(pg && { archiveUrl: pg.url }) });
const line = (s: string) => process.stdout.write(`${s}\n`);
line(`ejabberd 23.01, ${n} users in ${domain}, shared roster in ${archiveDb ? 'SQL (SQLite, bulk rows)' : pg ? 'SQL (PostgreSQL, bulk rows)' : 'Mnesia (srg_user_add per member)'}; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
try {
  const t0 = Date.now();
  const sync = syncRoster(apiUrl, src, { tables });
  const done = await (maxMs ? Promise.race([sync.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), maxMs).unref())]) : sync.then(() => true));
  const ms = Date.now() - t0;
  if (!done) {
    const members = (await (await fetch(`${apiUrl}/srg_get_members`, { method: 'POST', body: JSON.stringify({ group: 'herald', host: domain }) })).json()) as string[];
    line(`first sync abandoned after ${(ms / 1000).toFixed(0)} s: ${members.length} of ${n} members added`);
  } else {
    line(`first sync: ${(ms / 1000).toFixed(1)} s`);
    const c = await startSlixmpp({ label: 'alice' });
    const t1 = Date.now();
    const r = await c.call('connect', { jid: `alice@${domain}/bench`, password: 'alice password 1', host: '127.0.0.1', port: node.c2sPort, starttls: true, sm: false }, 600_000);
    line(`alice's login + roster fetch: ${Date.now() - t1} ms, ${r.roster!.length} roster items`);
    // --logins K: K more users log in one after another while the earlier ones stay online: each login's
    // presence probes are answered by every online colleague, and each answer checks the subscription
    // against the shared roster (ejabberd_c2s:route_probe_reply → roster_get_jid_info → the whole group).
    const online = [c];
    const times: number[] = [];
    for (let i = 0; i < logins; i++) {
      const o = await startSlixmpp({ label: `login${i}` });
      online.push(o);
      const t = Date.now();
      await o.call('connect', { jid: `login${i}@${domain}/bench`, password: `login${i} password 1`, host: '127.0.0.1', port: node.c2sPort, starttls: true, sm: false }, 600_000);
      times.push(Date.now() - t);
    }
    if (logins) line(`${logins} more logins, each with the earlier ones online: first ${times[0]} ms, last ${times.at(-1)} ms, mean ${Math.round(times.reduce((a, b) => a + b, 0) / logins)} ms${values['srg-cache'] ? ' (mod_shared_roster cache ON)' : ''}`);
    await Promise.all(online.map((o) => o.close()));
    const t2 = Date.now();
    const again = await syncRoster(apiUrl, src, { tables });
    line(`second sync (nothing to do): ${Date.now() - t2} ms (${JSON.stringify(again)})`);
  }
} finally {
  await tables?.close();
  await ejabberd.stop();
  await pg?.stop();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
