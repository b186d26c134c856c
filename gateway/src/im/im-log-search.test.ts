import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog } from './im-log.ts';
import { searchImLog } from './im-log-search.ts';

test('search by user (any resource), date range and text; malformed lines are counted and skipped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-search-'));
  let t = new Date('2026-11-25T09:00:00Z');
  const log = createImLog({ dir, now: () => t });
  log.append({ type: 'chat', from: 'alice@example.com/laptop', to: 'bob@example.com', body: 'Invoice for November' });
  t = new Date('2026-11-26T09:00:00Z');
  log.append({ type: 'chat', from: 'bob@example.com/desk', to: 'carol@example.com', body: 'lunch?' });
  t = new Date('2026-11-27T09:00:00Z');
  log.append({ type: 'chat', from: 'carol@example.com/x', to: 'Alice@example.com/laptop', body: 'the INVOICE is paid' });
  log.close();
  appendFileSync(path.join(dir, 'XMPPServer-2026-11-27.log'), 'not a log line\n');

  const all = async (q: Parameters<typeof searchImLog>[0], stats = { malformed: 0 }) => {
    const out: string[] = [];
    for await (const e of searchImLog(q, stats)) out.push(e.body);
    return out;
  };
  assert.deepEqual(await all({ dir, user: 'alice@example.com' }), ['Invoice for November', 'the INVOICE is paid']);
  assert.deepEqual(await all({ dir, text: 'invoice', since: '2026-11-26' }), ['the INVOICE is paid']);
  assert.deepEqual(await all({ dir, until: '2026-11-26', user: 'bob@example.com' }), ['Invoice for November', 'lunch?']);
  const stats = { malformed: 0 };
  assert.equal((await all({ dir }, stats)).length, 3);
  assert.equal(stats.malformed, 1);
  assert.deepEqual(await all({ dir: path.join(dir, 'missing') }), []);
  rmSync(dir, { recursive: true });
});
