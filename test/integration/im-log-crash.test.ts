// The IM log's flush policy (gateway/src/im/im-log.ts), tested the hard way: a writer that
// acknowledges each message only after append() returned is killed with SIGKILL mid-stream;
// every message it had acknowledged must be in the log, whole. The kill can cut the write(2) in
// progress short (Linux stops it at a page boundary), so the file may end with part of the one
// message not yet acknowledged; a restarted writer must not glue its first line onto that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, IM_LOG_FILE, ImLogLineError, parseImLogLine } from '../../gateway/src/im/im-log.ts';

test('kill -9 loses no acknowledged message and leaves no broken line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-crash-'));
  // Acknowledgements go to a file by write(2), not to a pipe: a pipe the test reads late (a busy
  // machine) makes Node queue stdout writes in the child, and the kill drops them, so the test
  // would see fewer acknowledgements than were made.
  const acks = path.join(dir, 'acks.txt');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../fixtures/im-log-writer.ts'), dir, acks], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  // Killed 300 ms after its first acknowledgement, while it writes as fast as it can.
  for (let waited = 0; !(existsSync(acks) && statSync(acks).size > 0); waited += 10) {
    assert.ok(waited < 30_000 && child.exitCode === null, 'the writer started acknowledging');
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  const [code, signal] = await ended;
  assert.equal(signal, 'SIGKILL', `the writer was killed, not ended (exit code ${code})`);
  const out = readFileSync(acks, 'utf8');

  const acked = [...out.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(acked.length > 1000, `the writer was mid-stream (${acked.length} acknowledged)`);
  const lastAcked = Math.max(...acked);

  // In day order, should the test run across UTC midnight.
  const files = () => readdirSync(dir).filter((f) => IM_LOG_FILE.test(f)).sort();
  assert.ok(files().length >= 1);
  const logged: number[] = [];
  let tornFile: string | undefined;
  for (const f of files()) {
    const lines = readFileSync(path.join(dir, f), 'utf8').split('\n');
    const tail = lines.pop()!; // '' when the file ends with a complete line
    if (tail) {
      // Torn: only possible for the last file, and only the message after the last acknowledged one.
      assert.equal(f, files().at(-1), `only the last file can end torn (${f})`);
      assert.throws(() => parseImLogLine(tail), ImLogLineError);
      tornFile = f;
    }
    for (const line of lines) logged.push(Number(/^message (\d+) x+$/.exec(parseImLogLine(line).body)![1]));
  }
  assert.deepEqual(
    logged.filter((n, i) => n !== i),
    [],
    'the log holds messages 0, 1, 2... in order, each once',
  );
  assert.ok(logged.length - 1 >= lastAcked, `every acknowledged message is in the log (last acknowledged ${lastAcked}, last logged ${logged.length - 1})`);
  // At most the one message appended but not yet acknowledged when the kill came.
  assert.ok(logged.length - 1 <= lastAcked + 1, `nothing logged that was not appended (last acknowledged ${lastAcked}, last logged ${logged.length - 1})`);
  if (tornFile) assert.equal(logged.length - 1, lastAcked, 'the torn line is the message not yet acknowledged');

  // The gateway restarts: its first line starts on a line of its own.
  const restarted = createImLog({ dir });
  restarted.append({ type: 'chat', from: 'alice@example.com/a', to: 'bob@example.com', body: 'after the restart' });
  restarted.close();
  const last = readFileSync(path.join(dir, files().at(-1)!), 'utf8');
  assert.ok(last.endsWith('\n'));
  assert.equal(parseImLogLine(last.slice(0, -1).split('\n').at(-1)!).body, 'after the restart');
  rmSync(dir, { recursive: true });
});
