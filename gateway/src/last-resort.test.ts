import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Logger } from './config/logger.ts';
import { installLastResort } from './last-resort.ts';

test('the last resort logs and counts uncaught exceptions and unhandled rejections, and can be taken off again', () => {
  const lines: string[] = [];
  const log = { error: (_o: unknown, msg: string) => lines.push(msg) } as unknown as Logger;
  const proc = new EventEmitter() as unknown as NodeJS.Process;
  const guard = installLastResort(log, proc);
  assert.equal(guard.count(), 0);
  proc.emit('uncaughtException', new Error('boom'));
  proc.emit('unhandledRejection', new Error('late boom'), Promise.resolve());
  assert.equal(guard.count(), 2);
  assert.match(guard.recent()[1]!, /late boom/);
  assert.match(lines[0]!, /BUG: uncaught exception \(fault 1\); the gateway keeps serving/);
  assert.match(lines[1]!, /BUG: unhandled promise rejection \(fault 2\)/);
  guard.uninstall();
  assert.equal((proc as unknown as EventEmitter).listenerCount('uncaughtException'), 0);
  assert.equal((proc as unknown as EventEmitter).listenerCount('unhandledRejection'), 0);
});
