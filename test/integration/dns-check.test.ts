// `herald-gateway domain dns <domain>` against a real DNS server: Debian's dnsmasq on a loopback
// port, serving the SRV records an admin published (or forgot). The check says which record is
// right, missing or pointing elsewhere, and the line to publish; exit 1 unless all are right.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { runDnsCheck } from '../../gateway/src/cli/dns-check.ts';

const DNSMASQ = '/usr/sbin/dnsmasq';
const skip = !existsSync(DNSMASQ) && 'dnsmasq (Debian dnsmasq-base) is not installed';
let dns: ChildProcess | undefined;
let port = 0;

before(async () => {
  if (skip) return;
  const probe = createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  port = probe.address().port;
  probe.close();
  const srv = (name: string, target: string, p: number) => `--srv-host=${name},${target},${p},5,0`;
  dns = spawn(DNSMASQ, [
    '--keep-in-foreground', '--log-facility=-', '--conf-file=/dev/null', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
    '--no-resolv', '--no-hosts', '--user=root', '--pid-file=',
    // example.com: both records right; example.org: only STARTTLS, on the wrong host; example.net: nothing.
    srv('_xmpp-client._tcp.example.com', 'im.example.com', 5222),
    srv('_xmpps-client._tcp.example.com', 'im.example.com', 5223),
    srv('_xmpp-client._tcp.example.org', 'old-server.example.org', 5222),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    dns!.stderr!.setEncoding('utf8').on('data', (d: string) => {
      log += d;
      if (/cleared cache|started/.test(log)) resolve();
    });
    dns!.once('exit', (code) => reject(new Error(`dnsmasq exited (${code}): ${log}`)));
  });
});
after(() => dns?.kill('SIGKILL'));

async function check(domain: string, host: string | undefined, directTlsPort?: number) {
  const settings = loadSettings({ env: {}, overrides: { dataDir: '/nonexistent', 'xmpp.port': 5222, ...(directTlsPort && { 'xmpp.directTlsPort': directTlsPort }) } });
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const lines: string[] = [];
  const code = await runDnsCheck(settings, ['dns', domain], host ? { host } : {}, (l) => lines.push(l), resolver);
  return { code, lines };
}

test('records that point at the host and ports: ok, exit 0', { skip }, async () => {
  const r = await check('example.com', 'im.example.com', 5223);
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines, [
    '_xmpp-client._tcp.example.com: 5 0 5222 im.example.com. — ok',
    '_xmpps-client._tcp.example.com: 5 0 5223 im.example.com. — ok',
    'clients of example.com find im.example.com.',
  ]);
  assert.equal((await check('example.com', 'IM.Example.com.')).code, 0, 'host names compare case-insensitively, with or without the root dot; no direct TLS: one record');
});

test('a missing record or one pointing elsewhere: what to publish, exit 1', { skip }, async () => {
  const org = await check('example.org', 'im.example.org', 5223);
  assert.equal(org.code, 1);
  assert.deepEqual(org.lines.slice(0, 4), [
    '_xmpp-client._tcp.example.org: 5 0 5222 old-server.example.org. — does not point at im.example.org. port 5222',
    '  publish: _xmpp-client._tcp.example.org. 3600 IN SRV 5 0 5222 im.example.org.',
    '_xmpps-client._tcp.example.org: no SRV record (EREFUSED)',
    '  publish: _xmpps-client._tcp.example.org. 3600 IN SRV 5 0 5223 im.example.org.',
  ]);
  assert.match(org.lines[4]!, /Dino\) cannot find the server for example\.org; open TCP 5222 and 5223 on im\.example\.org\.$/);
  const port9 = await check('example.com', 'im.example.com', 5299);
  assert.equal(port9.code, 1, 'direct TLS on another port than the record says');
  assert.match(port9.lines[1]!, /does not point at im\.example\.com\. port 5299/);
  assert.equal((await check('example.net', 'im.example.net')).code, 1);
});

test('the CLI refuses bad input with exit 2 and says why', () => {
  const bin = path.resolve(import.meta.dirname, '../../bin/herald-gateway.mjs');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'domain', 'dns', ...args, '--data', '/nonexistent-herald'], { encoding: 'utf8' });
  for (const [args, why] of [
    [['not a domain', '--host', 'im.example.com'], /takes a mail domain, like example\.com \(got "not a domain"\)/],
    [['example.com'], /--host im\.example\.com \(or set http\.publicUrl\)/],
    [['example.com', '--host', 'bad host!'], /--host takes a host name/],
    [['example.com', 'example.org', '--host', 'im.example.com'], /unexpected argument "example\.org": domain dns takes <domain>/],
    [['example.com', '--text', 'x'], /--text means nothing for "domain dns": it takes --host/],
  ] as [string[], RegExp][]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});
