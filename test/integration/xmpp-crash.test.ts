// kill -9 of the whole gateway under message load, then a restart on the same data folder.
// Alice streams chat messages, alternating to Bob (offline: offline storage) and Carol (online:
// live delivery), with stream management on, asking for an ack every 20 messages. The gateway
// process is SIGKILLed mid-stream. After the restart every message the server had acknowledged
// (<a h/>, XEP-0198) must be in the central IM log, in Alice's archive (MAM), and — for Bob — in
// his offline messages; nothing may be there twice; the database must pass an integrity check.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { IM_LOG_FILE, parseImLogLine } from '../../gateway/src/im/im-log.ts';
import { prepareUsers, startGatewayChild } from '../bench/gateway-child.ts';
import { mam } from '../fixtures/mam-query.ts';
import { login } from '../fixtures/xmpp-raw.ts';

const NS_SM = 'urn:xmpp:sm:3';

test('kill -9 under message load: every acknowledged message is in the log, the archive and offline storage, once', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-xmpp-crash-'));
  const [alice, bob, carol] = prepareUsers(dataDir, 'example.com', 3);
  const config = { xmpp: { host: '127.0.0.1', port: 0, requireTls: false } };
  let gw = await startGatewayChild(dataDir, config);
  assert.ok(gw.xmppPort, 'the child reports its XMPP port');

  const c = await login(gw.xmppPort, carol!.address, carol!.token, 'desk');
  c.send('<presence/>');
  const a = await login(gw.xmppPort, alice!.address, alice!.token, 'load');
  a.send(`<enable xmlns='${NS_SM}'/>`);
  await a.next((e) => e.name === 'enabled');

  // Load: as fast as the socket takes it, an ack request every 20 messages.
  let acked = 0;
  let sent = 0;
  let killed = false;
  const to = (i: number) => (i % 2 === 0 ? bob!.address : carol!.address);
  const watcher = (async () => {
    for (;;) {
      const ack = await Promise.race([a.next((e) => e.name === 'a' && e.attrs.xmlns === NS_SM, 20_000).catch(() => undefined), a.closed.then(() => undefined)]);
      if (!ack) return;
      acked = Math.max(acked, Number(ack.attrs.h));
      if (acked >= 200 && !killed) {
        killed = true;
        process.kill(gw.pid, 'SIGKILL');
      }
    }
  })();
  while (!killed && sent < 50_000) {
    let batch = '';
    for (let k = 0; k < 20; k++, sent++) batch += `<message type='chat' id='m${sent}' to='${to(sent)}'><body>load ${sent}</body></message>`;
    a.send(`${batch}<r xmlns='${NS_SM}'/>`);
    await new Promise((r) => setImmediate(r));
  }
  await a.closed;
  await watcher;
  assert.ok(killed, 'the gateway was killed mid-stream');
  assert.ok(sent > acked, `messages were still in flight (${sent} sent, ${acked} acknowledged)`);
  const ackedIds = Array.from({ length: acked }, (_, i) => i);

  // The log: every acknowledged message, nothing twice.
  const bodies: number[] = [];
  for (const f of readdirSync(path.join(dataDir, 'logs')).filter((n) => IM_LOG_FILE.test(n)).sort()) {
    const text = readFileSync(path.join(dataDir, 'logs', f), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) bodies.push(Number(/^load (\d+)$/.exec(parseImLogLine(line).body)![1]));
  }
  assert.equal(new Set(bodies).size, bodies.length, 'no message is in the log twice');
  const logged = new Set(bodies);
  assert.deepEqual(ackedIds.filter((i) => !logged.has(i)), [], 'every acknowledged message is in the log');

  // Restart on the same data: the archive and offline storage kept what was acknowledged.
  gw = await startGatewayChild(dataDir, config);
  try {
    const b = await login(gw.xmppPort!, bob!.address, bob!.token, 'later');
    b.send('<presence/>');
    const offline = new Map<number, number>();
    for (;;) {
      const m = await b.next((e) => e.name === 'message' && /^load \d+$/.test(e.getChildText('body') ?? ''), 2000).catch(() => undefined);
      if (!m) break;
      const n = Number(m.getChildText('body')!.slice(5));
      offline.set(n, (offline.get(n) ?? 0) + 1);
    }
    assert.deepEqual([...offline].filter(([, count]) => count > 1), [], 'no offline message is delivered twice');
    assert.deepEqual(ackedIds.filter((i) => to(i) === bob!.address && !offline.has(i)), [], 'every acknowledged message to offline Bob waited for him');

    const a2 = await login(gw.xmppPort!, alice!.address, alice!.token, 'after');
    const archived = new Map<number, number>();
    let after: string | undefined;
    for (;;) {
      const page = await mam(a2, { max: 500, ...(after ? { after } : {}) });
      assert.equal(page.error, undefined, page.answer.toString());
      for (const r of page.results) {
        const n = Number(/^load (\d+)$/.exec(r.body ?? '')?.[1]);
        archived.set(n, (archived.get(n) ?? 0) + 1);
      }
      if (page.complete || !page.results.length) break;
      after = page.last;
    }
    assert.deepEqual([...archived].filter(([, count]) => count > 1), [], 'nothing is archived twice');
    const missing = ackedIds.filter((i) => !archived.has(i));
    assert.deepEqual(missing, [], `every acknowledged message is in Alice’s archive (${acked} acknowledged, ${archived.size} archived, ${missing.length} missing: ${missing.slice(0, 5).join()}…${missing.slice(-5).join()})`);
    a2.close();
    b.close();
  } finally {
    await gw.stop();
  }
  const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});
