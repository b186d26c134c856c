// The gateway's listening sockets let a morning's burst of connections wait instead of being
// dropped: a backlog of LISTEN_BACKLOG (capped by the kernel's net.core.somaxconn), not Node's 511.
// What the kernel holds is read back with ss(8): for a listening TCP socket, Send-Q is the backlog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LISTEN_BACKLOG } from '../../gateway/src/config/listen-backlog.ts';
import { startTestGateway } from '../fixtures/gateway.ts';

const backlogOf = (port: number): number => {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  const cols = out.split('\n')[0]!.trim().split(/\s+/);
  return Number(cols[2]);
};

test('the XMPP and HTTP listeners accept a backlog of min(LISTEN_BACKLOG, somaxconn) waiting connections', async (t) => {
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  if (somaxconn <= 511) return t.skip(`net.core.somaxconn is ${somaxconn}: no backlog above Node's default can be shown here`);
  const gw = await startTestGateway();
  try {
    const want = Math.min(LISTEN_BACKLOG, somaxconn);
    assert.equal(backlogOf(gw.xmppPort!), want, 'XMPP c2s');
    assert.equal(backlogOf(Number(new URL(gw.url).port)), want, 'HTTP');
  } finally {
    await gw.destroy();
  }
});
