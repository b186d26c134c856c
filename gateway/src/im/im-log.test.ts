import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, parseImLogLine } from './im-log.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'herald-imlog-'));

test('one line per message, escaped; lines parse back to the same message', () => {
  const dir = tmp();
  const log = createImLog({ dir, now: () => new Date('2026-11-27T10:00:00.123Z') });
  const tricky = 'line one\nline two\twith tab \\ backslash\r\n👋 مرحبا';
  log.append({ type: 'chat', from: 'alice@example.com/laptop', to: 'bob@example.com', body: tricky, attachments: ['https://h/upload/a b.png'] });
  log.append({ type: 'groupchat', from: 'room@conference.example.com/alice', to: 'room@conference.example.com', body: 'hi' });
  log.close();
  const text = readFileSync(path.join(dir, 'XMPPServer-2026-11-27.log'), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  const first = parseImLogLine(lines[0]!)!;
  assert.equal(first.body, tricky);
  assert.equal(first.from, 'alice@example.com/laptop');
  assert.deepEqual(first.attachments, ['https://h/upload/a%20b.png']);
  assert.equal(first.time.toISOString(), '2026-11-27T10:00:00.123Z');
  assert.equal(parseImLogLine('garbage'), undefined);
  rmSync(dir, { recursive: true });
});

test('a new file each UTC day', () => {
  const dir = tmp();
  let t = new Date('2026-11-27T23:59:59.900Z');
  const log = createImLog({ dir, now: () => t });
  log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'before midnight' });
  t = new Date('2026-11-28T00:00:00.100Z');
  log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'after midnight' });
  log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['XMPPServer-2026-11-27.log', 'XMPPServer-2026-11-28.log']);
  assert.match(readFileSync(path.join(dir, 'XMPPServer-2026-11-28.log'), 'utf8'), /after midnight/);
  rmSync(dir, { recursive: true });
});

test('a log that cannot be written throws a clear error (the message is then refused, not lost silently)', () => {
  const dir = tmp();
  const file = path.join(dir, 'not-a-dir');
  writeFileSync(file, '');
  const log = createImLog({ dir: path.join(file, 'logs') });
  assert.throws(() => log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'x' }), { code: 'internal', message: /cannot be written: (ENOTDIR|EEXIST)/ });
  rmSync(dir, { recursive: true });
});
