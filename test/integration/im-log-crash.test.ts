// The IM log's flush policy, tested the hard way: kill -9 a writer mid-stream; every message it
// had acknowledged must be in the log, and every line must be whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseImLogLine } from '../../gateway/src/im/im-log.ts';

test('kill -9 loses no acknowledged message and leaves no broken line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-crash-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../fixtures/im-log-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if ((out.match(/acked/g)?.length ?? 0) > 2000) {
        clearInterval(check);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
  });
  await new Promise((r) => child.once('exit', r));
  const acked = [...out.matchAll(/acked (\d+)\n/g)].map((m) => Number(m[1]));
  const text = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a complete line');
  const logged = new Set(lines.map((l) => Number(parseImLogLine(l)!.body.split(' ')[1])));
  const missing = acked.filter((n) => !logged.has(n));
  assert.deepEqual(missing, [], 'every acknowledged message is in the log');
  assert.ok(acked.length > 2000);
  rmSync(dir, { recursive: true });
});
