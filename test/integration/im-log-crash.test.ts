// The IM log's flush policy (gateway/src/im/im-log.ts), tested the hard way: a writer that
// acknowledges each message only after append() returned is killed with SIGKILL mid-stream;
// every message it had acknowledged must be in the log, and every line must be whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IM_LOG_FILE, parseImLogLine } from '../../gateway/src/im/im-log.ts';

test('kill -9 loses no acknowledged message and leaves no broken line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-crash-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../fixtures/im-log-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  // Killed 300 ms after its first acknowledgement, while it writes as fast as it can.
  child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 300));
  child.stdout.on('data', (c: string) => (out += c));
  // 'close', not 'exit': everything the child wrote to the pipe before dying is read.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  assert.equal(signal, 'SIGKILL', `the writer was killed, not ended (exit code ${code})`);

  const acked = [...out.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(acked.length > 1000, `the writer was mid-stream (${acked.length} acknowledged)`);
  const lastAcked = Math.max(...acked);

  // In day order, should the test run across UTC midnight.
  const files = readdirSync(dir).filter((f) => IM_LOG_FILE.test(f)).sort();
  assert.ok(files.length >= 1);
  const logged: number[] = [];
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.ok(text.endsWith('\n'), `${f} ends with a complete line`);
    for (const line of text.slice(0, -1).split('\n')) logged.push(Number(/^message (\d+) x+$/.exec(parseImLogLine(line).body)![1]));
  }
  assert.deepEqual(
    logged.filter((n, i) => n !== i),
    [],
    'the log holds messages 0, 1, 2... in order, each once',
  );
  assert.ok(logged.length - 1 >= lastAcked, `every acknowledged message is in the log (last acknowledged ${lastAcked}, last logged ${logged.length - 1})`);
  // At most the one message appended but not yet acknowledged when the kill came.
  assert.ok(logged.length - 1 <= lastAcked + 1, `nothing logged that was not appended (last acknowledged ${lastAcked}, last logged ${logged.length - 1})`);
  rmSync(dir, { recursive: true });
});
