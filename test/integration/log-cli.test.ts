// `herald-gateway log search` as an admin runs it, against a data folder with a few days of log.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, imLogDir, type ImLogEntry } from '../../gateway/src/im/im-log.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-log-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

before(() => {
  const traffic: [string, ImLogEntry][] = [
    ['2026-11-25T08:30:00.250Z', { type: 'chat', from: 'alice@example.com/laptop', to: 'bob@example.com', body: 'The invoice is attached', attachments: ['https://gw.example.com/upload/x/invoice.pdf'] }],
    ['2026-11-26T12:00:00.000Z', { type: 'groupchat', from: 'room@conference.example.com/bob', to: 'room@conference.example.com', body: 'lunch?\nat noon\t\u001b[31m!' }],
    ['2026-11-27T18:10:13.000Z', { type: 'scripted', from: 'monitor@example.com', to: 'Alice@example.com', body: 'Disk /var at 91 %' }],
  ];
  let t = new Date(0);
  const log = createImLog({ dir: imLogDir(dataDir), now: () => t });
  for (const [iso, e] of traffic) {
    t = new Date(iso);
    log.append(e);
  }
  log.close();
  appendFileSync(path.join(imLogDir(dataDir), 'XMPPServer-2026-11-26.log'), 'half a line\n');
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'log', ...args, '--data', dataDir], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('prints one readable line per message, oldest first, and the count on stderr', () => {
  const r = cli('search');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      '2026-11-25 08:30:00  chat      alice@example.com/laptop → bob@example.com: The invoice is attached (https://gw.example.com/upload/x/invoice.pdf)',
      // Escaped as in the file: still one line, and no escape sequence reaches the terminal.
      '2026-11-26 12:00:00  groupchat room@conference.example.com/bob → room@conference.example.com: lunch?\\nat noon\\t\\u001b[31m!',
      '2026-11-27 18:10:13  scripted  monitor@example.com → Alice@example.com: Disk /var at 91 %',
      '',
    ].join('\n'),
  );
  const err = r.stderr.trimEnd().split('\n');
  assert.match(err[0]!, /^skipped malformed line .*XMPPServer-2026-11-26\.log:2 \(expected 6 tab-separated fields, found 1\)$/);
  assert.equal(err.at(-1), `3 message(s) in 3 log file(s) in ${path.join(dataDir, 'logs')}; 1 malformed line(s) skipped`);
});

test('--user, --since, --until (UTC days, inclusive) and --text narrow it down', () => {
  const lines = (...args: string[]) => {
    const r = cli('search', ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean).map((l) => l.slice(0, 19));
  };
  assert.deepEqual(lines('--user', 'alice@EXAMPLE.com'), ['2026-11-25 08:30:00', '2026-11-27 18:10:13']);
  assert.deepEqual(lines('--user', 'room@conference.example.com'), ['2026-11-26 12:00:00']);
  assert.deepEqual(lines('--since', '2026-11-26'), ['2026-11-26 12:00:00', '2026-11-27 18:10:13']);
  assert.deepEqual(lines('--until', '2026-11-26'), ['2026-11-25 08:30:00', '2026-11-26 12:00:00']);
  assert.deepEqual(lines('--since', '2026-11-26', '--until', '2026-11-26'), ['2026-11-26 12:00:00']);
  assert.deepEqual(lines('--text', 'INVOICE'), ['2026-11-25 08:30:00']);
  assert.deepEqual(lines('--text', 'disk', '--user', 'alice@example.com', '--since', '2026-11-27', '--until', '2026-11-27'), ['2026-11-27 18:10:13']);
  assert.deepEqual(lines('--text', 'nothing like this'), []);
  const r = cli('search', '--since', '2026-11-27');
  assert.equal(r.stderr, `1 message(s) in 1 log file(s) in ${path.join(dataDir, 'logs')}\n`, 'the malformed line of the 26th was not read');
});

test('usage errors exit 2 with a clear message; nothing is written to the data folder', () => {
  const before = readdirSync(dataDir);
  const cases: [string[], RegExp][] = [
    [['search', '--since', 'yesterday'], /--since takes a date as YYYY-MM-DD \(got "yesterday"\)/],
    [['search', '--until', '2026-02-30'], /--until takes a date as YYYY-MM-DD \(got "2026-02-30"\)/],
    [['search', '--since', '2026-11-28', '--until', '2026-11-27'], /--since 2026-11-28 is after --until 2026-11-27/],
    [['search', '--user', 'alice'], /--user takes an address like alice@example\.com/],
    [['search', '--text', ''], /--text needs a value/],
    [['search', 'alice@example.com'], /log search takes options only/],
    [['tail'], /unknown command "log tail"/],
    [[], /"log" needs a subcommand: search/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage: herald-gateway/);
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(readdirSync(dataDir), before);
});

test('a data folder without a log yet: no messages, exit 0', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'herald-log-cli-empty-'));
  const r = spawnSync(process.execPath, [bin, 'log', 'search', '--data', empty], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^0 message\(s\) in 0 log file\(s\)/);
  rmSync(empty, { recursive: true });
});
