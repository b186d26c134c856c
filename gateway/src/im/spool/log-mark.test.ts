// The crash witness: which scripted log lines follow a mark, on real log files written by the
// central IM log itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, imLogFileName } from '../im-log.ts';
import { currentLogMark, logKey, scriptedLinesAfter } from './log-mark.ts';

test('only scripted lines after the mark, before the restart, are counted — across a day change', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-logmark-'));
  try {
    let now = new Date('2026-11-27T23:59:59.000Z');
    const log = createImLog({ dir, now: () => now });
    const m = (body: string) => ({ type: 'scripted' as const, from: 'mon@example.com', to: 'alice@example.com', body });
    assert.deepEqual(currentLogMark(dir, now), { day: '2026-11-27', offset: 0 }, 'no log yet: the start of the day');
    log.append(m('before the mark'));
    const mark = currentLogMark(dir, now);
    assert.ok(mark.offset > 0);
    log.append({ type: 'chat', from: 'bob@example.com/x', to: 'alice@example.com', body: 'cut' });
    log.append(m('cut'));
    appendFileSync(path.join(dir, imLogFileName('2026-11-27')), 'a torn line without its end');
    now = new Date('2026-11-28T00:00:00.500Z');
    log.append(m('cut')); // the same text again, on the next day
    now = new Date('2026-11-28T00:00:02.000Z');
    log.append(m('after the restart'));
    log.close();

    const found = scriptedLinesAfter(dir, mark, Date.parse('2026-11-28T00:00:01.000Z'));
    assert.deepEqual(
      [...found],
      [[logKey('mon@example.com', 'alice@example.com', 'cut'), 2]],
      'the chat line, the line before the mark, the torn line and the one after the restart are not counted',
    );
    assert.deepEqual([...scriptedLinesAfter(dir, currentLogMark(dir, now), Date.now())], [], 'nothing after the end');
    assert.deepEqual([...scriptedLinesAfter(path.join(dir, 'missing'), mark, Date.now())], [], 'no log folder: nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
