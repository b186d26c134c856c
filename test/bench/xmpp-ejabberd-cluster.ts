// `--servers …,ejabberd-cluster`: two Debian ejabberd 23.01 nodes on loopback joined into one
// cluster (issue 17), as one benchmarked server. Each node is xmpp-ejabberd.ts's VM (same
// configuration, its own c2s port and Mnesia folder) made a named node (bench1@localhost,
// bench2@localhost, a random cookie, a private epmd on a free port: test/fixtures/ejabberd-cluster.ts);
// node 1 is seeded with the users and rosters, node 2 starts empty and joins it with
// ejabberd_admin:join_cluster (what `ejabberdctl join_cluster` runs), which copies the tables.
// Users alternate between the nodes (even u… on node 1, odd on node 2), so a team's roster, its
// presence and half of the 1:1 pairs cross the nodes. Both VMs are pinned like the other servers
// (one core for the cluster, as for Herald's one event loop); memory and CPU are the two VMs'
// sum (pidGroup in xmpp-servers.ts). ejabberd's own SCRAM accounts, not Herald's extauth: this
// measures the cluster carrying the chat.
import { randomBytes } from 'node:crypto';
import { canConnect, freePort, sleep } from '../fixtures/peer-utils.ts';
import { erlRpc, joinCluster, startEpmd } from '../fixtures/ejabberd-cluster.ts';
import type { EjabberdDist } from '../fixtures/ejabberd.ts';
import { startEjabberdServer } from './xmpp-ejabberd.ts';
import { BASE_DOMAIN, localOf, loginSpec, PASSWORD, pidGroup, roomLocalOf, type BenchServer, type ServerOptions } from './xmpp-servers.ts';

export async function startEjabberdClusterServer(o: ServerOptions & { libs: string; cert: { cert: string; key: string }; logLevel: 'info' | 'warn' }): Promise<BenchServer> {
  const epmdPort = await freePort();
  const cookie = randomBytes(16).toString('hex');
  const epmd = await startEpmd(epmdPort);
  const dist = (k: 1 | 2): EjabberdDist => ({ node: `bench${k}@localhost`, cookie, epmdPort });
  const nodes: BenchServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await epmd.stop();
  };
  try {
    nodes.push(await startEjabberdServer({ ...o, dist: dist(1) }));
    nodes.push(await startEjabberdServer({ ...o, dist: dist(2), seed: false }));
    const [n1, n2] = nodes as [BenchServer, BenchServer];
    await joinCluster(dist(2), dist(1).node);
    // join_cluster returns once ejabberd runs again on node 2; its listener follows.
    const deadline = Date.now() + 60_000;
    while (!(await canConnect(n2.port))) {
      if (Date.now() > deadline) throw new Error(`${dist(2).node} does not listen again after join_cluster`);
      await sleep(50);
    }
    const running = await erlRpc(dist(2), 'mnesia:system_info(running_db_nodes)');
    if (!running.includes(dist(1).node) || !running.includes(dist(2).node)) throw new Error(`the cluster did not form: running_db_nodes ${running}`);
    const portOf = (i: number) => (i % 2 === 0 ? n1.port : n2.port);
    pidGroup(n1.pid, [n1.pid, n2.pid]);
    return {
      name: 'ejabberd cluster',
      port: n1.port,
      pid: n1.pid,
      mucService: `conference.${BASE_DOMAIN}`,
      spec: (i, s) => loginSpec(portOf(i), BASE_DOMAIN, localOf(i), PASSWORD, s),
      roomSpec: (j, s) => loginSpec(portOf(j), BASE_DOMAIN, roomLocalOf(j), PASSWORD, s),
      problems() {
        const [a, b] = [n1.problems(), n2.problems()];
        return { warnings: a.warnings + b.warnings, errors: a.errors + b.errors, samples: [...a.samples, ...b.samples].slice(0, 8) };
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
