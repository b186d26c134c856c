// The PostgreSQL archive tail (gateway/src/xmpp/external/pg-archive-tail.ts) against a real
// PostgreSQL with mod_mam's schema (pg-archive.ts), rows inserted as ejabberd inserts them: ids that
// become visible out of order (the lower id committed later) and an insert rolled back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPgArchiveTail } from '../../gateway/src/xmpp/external/pg-archive-tail.ts';
import type { TailRow } from '../../gateway/src/xmpp/external/archive-tail.ts';
import { createPgArchiveSchema } from '../../gateway/src/xmpp/external/pg-archive.ts';
import { startPostgres, type TestPostgres } from '../fixtures/postgres.ts';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
  await createPgArchiveSchema(server.url);
  await createPgArchiveSchema(server.url); // idempotent
});
after(async () => server?.stop());

/** A tail from `from` (the cursor) with a sink in memory. */
function harness(gapGraceMs: number, from = 0) {
  const rows: TailRow[] = [];
  const events: string[] = [];
  let lastId = from;
  let wake: (() => void) | undefined;
  const changed = () => new Promise<void>((r) => (wake = r));
  const note = (msg: string, o: object) => {
    events.push(`${msg} ${JSON.stringify(o)}`);
    wake?.();
  };
  const tail = startPgArchiveTail({
    url: server.url,
    pollMs: 30,
    gapGraceMs,
    served: (d) => d === 'example.com',
    sink: {
      lastId: () => lastId,
      pendingUpto: () => null,
      write: (batch, upto) => {
        rows.push(...batch);
        lastId = upto ?? batch.at(-1)?.id ?? lastId;
        wake?.();
      },
    },
    log: { info: (o, msg) => note(msg, o), warn: (o, msg) => note(msg, o), error: (o, msg) => note(msg, o) },
  });
  const until = async (ok: () => boolean) => {
    while (!ok()) await changed();
  };
  return { rows, events, tail, until, lastId: () => lastId };
}

const INSERT = "INSERT INTO archive (username, server_host, timestamp, peer, bare_peer, xml, txt, kind, nick) VALUES ('alice', 'example.com', $1, 'bob@example.com', 'bob@example.com', $2, '', 'chat', '') RETURNING id";
const msg = (body: string) => `<message from='alice@example.com/a' to='bob@example.com' type='chat'><body>${body}</body></message>`;
const client = async () => {
  const c = new pg.Client(server.url);
  await c.connect();
  return c;
};
const bodies = (rows: TailRow[]) => rows.map((r) => r.entry?.body);

test('a lower id committed after a higher one is logged, once, in id order; the later row waits for it', async () => {
  const slow = await client();
  const fast = await client();
  const h = harness(60_000);
  try {
    await slow.query('BEGIN');
    const low = Number((await slow.query(INSERT, [1796682224444890, msg('low id, committed later')])).rows[0].id);
    const high = Number((await fast.query(INSERT, [1796682224444891, msg('high id, committed first')])).rows[0].id);
    assert.ok(low < high);
    // The tail has seen the higher row and is waiting for the lower one (it would have taken it otherwise).
    await h.until(() => h.lastId() >= high || h.events.some((e) => e.startsWith('waiting for archive ids') && e.includes(`"fromId":${low}`)));
    assert.deepEqual(bodies(h.rows), [], 'nothing is logged past the uncommitted id');
    await slow.query('COMMIT');
    await h.until(() => h.lastId() >= high);
    assert.deepEqual(bodies(h.rows), ['low id, committed later', 'high id, committed first']);
    assert.deepEqual(h.rows.map((r) => r.id), [low, high]);
    assert.equal(h.rows[0]!.time.getTime(), 1796682224444);
  } finally {
    await h.tail.close();
    await slow.end();
    await fast.end();
  }
});

test('an insert rolled back leaves a gap that is given up after the grace period: the rows after it are logged', async () => {
  const c = await client();
  const base = Number((await c.query('SELECT coalesce(max(id), 0) AS m FROM archive')).rows[0].m);
  const h = harness(400, base);
  try {
    await c.query('BEGIN');
    const gone = Number((await c.query(INSERT, [1796682224445000, msg('rolled back')])).rows[0].id);
    await c.query('ROLLBACK');
    const kept = Number((await c.query(INSERT, [1796682224445001, msg('after the gap')])).rows[0].id);
    await h.until(() => h.lastId() >= kept);
    assert.deepEqual(bodies(h.rows.filter((r) => r.id > base)), ['after the gap']);
    const waited = h.events.find((e) => e.startsWith('waiting for archive ids'));
    assert.ok(waited?.includes(`"fromId":${gone}`), h.events.join('\n'));
    assert.ok(h.events.some((e) => e.startsWith('ejabberd archive ids never became visible') && e.includes(`"fromId":${gone}`)));
  } finally {
    await h.tail.close();
    await c.end();
  }
});

test('many writers committing in random order: every row logged exactly once, in id order', async () => {
  const writers = await Promise.all(Array.from({ length: 8 }, () => client()));
  const c = await client();
  const base = Number((await c.query('SELECT coalesce(max(id), 0) AS m FROM archive')).rows[0].m);
  const h = harness(60_000, base);
  try {
    const N = 400;
    const each = N / writers.length;
    await Promise.all(
      writers.map(async (w, k) => {
        for (let i = 0; i < each; i++) {
          await w.query('BEGIN');
          await w.query(INSERT, [1796682224446000 + k * 1000 + i, msg(`w${k}-${i}`)]);
          // Hold some transactions open across other writers' commits.
          if ((i + k) % 3 === 0) await new Promise((r) => setImmediate(r));
          await w.query('COMMIT');
        }
      }),
    );
    const top = Number((await c.query('SELECT max(id) AS m FROM archive')).rows[0].m);
    await h.until(() => h.lastId() >= top);
    const got = h.rows.filter((r) => r.id > base);
    assert.equal(got.length, N);
    assert.equal(new Set(bodies(got)).size, N);
    assert.deepEqual(got.map((r) => r.id), [...got.map((r) => r.id)].sort((a, b) => a - b));
  } finally {
    await h.tail.close();
    await Promise.all([...writers, c].map((w) => w.end()));
  }
});
