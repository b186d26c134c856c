import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../store/index.ts';
import { createImLog, formatImLogLine, imLogFileName, parseImLogLine } from './im-log.ts';
import { createImLogFeed, type FeedRow } from './im-log-feed.ts';

const SOURCE = 'test-archive';

function setup() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-feed-'));
  const dir = path.join(dataDir, 'logs');
  return { dataDir, dir, store: createStore(dataDir), done: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** Rows 1..n, one a second from 23:59:57 UTC (so they cross midnight into a second file); every 4th has nothing to log. */
const rows = (n: number, first = 1): FeedRow[] =>
  Array.from({ length: n }, (_, i) => {
    const id = first + i;
    return { id, time: new Date(Date.parse('2026-12-07T23:59:57.000Z') + (id - 1) * 1000), entry: id % 4 === 0 ? null : { type: 'chat' as const, from: 'alice@example.com/a', to: 'bob@example.com', body: `message ${id}`, attachments: [] } };
  });

const logged = (dir: string) =>
  readdirSync(dir)
    .sort()
    .flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => {
          try {
            return [{ file: f, ...parseImLogLine(l) }];
          } catch {
            return []; // a torn line: search skips it
          }
        }),
    );

test('rows become lines at the archive time, in the file of that UTC day, and the cursor follows', () => {
  const { dir, store, done } = setup();
  try {
    const feed = createImLogFeed({ dir, store: store.imLogFeed, source: SOURCE });
    feed.write(rows(6));
    assert.equal(feed.lastId(), 6);
    assert.equal(store.imLogFeed.state(SOURCE).lastId, 6);
    const lines = logged(dir);
    assert.deepEqual(
      lines.map((l) => [l.file, l.time.toISOString(), l.body]),
      [
        [imLogFileName('2026-12-07'), '2026-12-07T23:59:57.000Z', 'message 1'],
        [imLogFileName('2026-12-07'), '2026-12-07T23:59:58.000Z', 'message 2'],
        [imLogFileName('2026-12-07'), '2026-12-07T23:59:59.000Z', 'message 3'],
        [imLogFileName('2026-12-08'), '2026-12-08T00:00:01.000Z', 'message 5'],
        [imLogFileName('2026-12-08'), '2026-12-08T00:00:02.000Z', 'message 6'],
      ],
    );
    // The same rows again (a tail that read them twice) write nothing.
    feed.write(rows(6));
    assert.equal(logged(dir).length, 5);
  } finally {
    store.close();
    done();
  }
});

// The state a kill -9 leaves between "begin" and "commit": the batch pending in the store, some of
// its lines in the log (the last one possibly cut short). Made by hand, as the feed itself would
// have: begin with the sizes before, then the first k lines by the same writer.
for (const k of [0, 1, 3, 5]) {
  for (const torn of [false, true]) {
    test(`a batch interrupted after ${k} of its 5 lines${torn ? ' and half of the next' : ''} is completed once after a restart`, () => {
      const { dir, store, done } = setup();
      try {
        const first = createImLogFeed({ dir, store: store.imLogFeed, source: SOURCE });
        first.write(rows(2)); // committed before the crash
        first.close();
        const batch = rows(7, 3); // ids 3..9: 5 lines (4 and 8 log nothing), across midnight
        const files = [imLogFileName('2026-12-07'), imLogFileName('2026-12-08')];
        const size = (f: string) => {
          try {
            return readFileSync(path.join(dir, f)).length;
          } catch {
            return 0;
          }
        };
        store.imLogFeed.begin(SOURCE, 9, Object.fromEntries(files.map((f) => [f, size(f)])));
        const withLines = batch.filter((r) => r.entry);
        let at = new Date(0);
        const writer = createImLog({ dir, now: () => at });
        for (const r of withLines.slice(0, k)) {
          at = r.time;
          writer.append(r.entry!);
        }
        writer.close();
        if (torn && k < withLines.length) {
          const r = withLines[k]!;
          const f = path.join(dir, imLogFileName(r.time.toISOString().slice(0, 10)));
          writeFileSync(f, formatImLogLine(r.entry!, r.time).slice(0, 20), { flag: 'a' });
        }

        const again = createImLogFeed({ dir, store: store.imLogFeed, source: SOURCE });
        assert.equal(again.lastId(), 2);
        assert.equal(again.pendingUpto(), 9);
        // The tail hands over exactly the pending rows (archive-tail.ts).
        again.write(batch);
        assert.equal(again.pendingUpto(), null);
        assert.equal(store.imLogFeed.state(SOURCE).lastId, 9);
        again.write(rows(1, 10));
        const bodies = logged(dir).map((l) => l.body);
        assert.deepEqual(bodies.toSorted(), ['message 1', 'message 10', 'message 2', 'message 3', 'message 5', 'message 6', 'message 7', 'message 9']);
      } finally {
        store.close();
        done();
      }
    });
  }
}

test('pending rows deleted from the archive meanwhile: the cursor moves past them', () => {
  const { dir, store, done } = setup();
  try {
    store.imLogFeed.begin(SOURCE, 5, {});
    const feed = createImLogFeed({ dir, store: store.imLogFeed, source: SOURCE });
    feed.write([], 5);
    assert.equal(feed.lastId(), 5);
    assert.equal(feed.pendingUpto(), null);
  } finally {
    store.close();
    done();
  }
});
