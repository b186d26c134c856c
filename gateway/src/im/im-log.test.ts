import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, formatImLogLine, ImLogLineError, ImLogWriteError, parseImLogLine, type ImLogEntry } from './im-log.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'herald-imlog-'));
const at = (iso: string) => () => new Date(iso);
const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n');

test('every message is exactly one line and parses back to what was appended', () => {
  const dir = tmp();
  const log = createImLog({ dir, now: at('2026-11-27T10:00:00.123Z') });
  const bodies = [
    'line one\nline two\twith tab \\ backslash\r\nend',
    'literal \\n and \\t and \\u0041 stay text, trailing backslash \\',
    '👋 emoji, 👩‍👩‍👧 ZWJ family, 🇩🇪 flag',
    'مرحبا بالعالم — שלום עולם — \u202eRTL override\u202c and U+2028\u2028U+2029\u2029',
    'controls: NUL\u0000 ESC\u001b[31m DEL\u007f C1\u0085\u009b',
    'lone surrogates: \ud800 x \udfff y \udc00\ud800 reversed, and a pair 😀',
    '',
  ];
  const entries: ImLogEntry[] = bodies.map((body, i) => ({
    type: (['chat', 'groupchat', 'headline', 'normal', 'scripted'] as const)[i % 5]!,
    from: i === 1 ? 'room@conference.example.com/Ann\tTab\nNick' : 'alice@example.com/laptop',
    to: 'bob@example.com',
    body,
    attachments: i === 0 ? ['https://gw.example.com/upload/a b.png', 'https://gw.example.com/upload/c.pdf'] : [],
  }));
  for (const e of entries) log.append(e);
  log.close();

  const lines = linesOf(path.join(dir, 'XMPPServer-2026-11-27.log'));
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  assert.equal(lines.length, entries.length, 'one line per message');
  for (const [i, line] of lines.entries()) {
    assert.equal(line.split('\t').length, 6);
    assert.doesNotMatch(line, /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/, 'no raw control character in the file');
    const parsed = parseImLogLine(line);
    assert.equal(parsed.time.toISOString(), '2026-11-27T10:00:00.123Z');
    const want = { ...entries[i]!, attachments: i === 0 ? ['https://gw.example.com/upload/a%20b.png', 'https://gw.example.com/upload/c.pdf'] : [] };
    assert.deepEqual({ type: parsed.type, from: parsed.from, to: parsed.to, body: parsed.body, attachments: parsed.attachments }, want);
  }
  assert.equal(lines[0], '2026-11-27T10:00:00.123Z\tchat\talice@example.com/laptop\tbob@example.com\tline one\\nline two\\twith tab \\\\ backslash\\r\\nend\thttps://gw.example.com/upload/a%20b.png https://gw.example.com/upload/c.pdf');
  assert.match(lines[4]!, /NUL\\u0000 ESC\\u001b\[31m DEL\\u007f C1\\u0085\\u009b/);
  assert.match(lines[5]!, /\\ud800 x \\udfff y \\udc00\\ud800 reversed, and a pair 😀/);
  rmSync(dir, { recursive: true });
});

test('format and parse round-trip arbitrary strings', () => {
  const time = new Date('2026-01-02T03:04:05.006Z');
  const pieces = ['\\', '\n', '\r', '\t', '\\n', '\\u', 'a', ' ', '\ud83d', '\ude00', '\u0000', '\u2028', 'é', '\\\\t'];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 500; i++) {
    const s = Array.from({ length: Math.floor(rnd() * 12) }, () => pieces[Math.floor(rnd() * pieces.length)]).join('');
    const e = { type: 'chat' as const, from: `a${s}@x.org`, to: s, body: s };
    const p = parseImLogLine(formatImLogLine(e, time));
    assert.deepEqual([p.from, p.to, p.body], [e.from, e.to, e.body], JSON.stringify(s));
  }
});

test('parseImLogLine refuses what is not a log line, saying why', () => {
  const ok = '2026-11-27T10:00:00.000Z\tchat\ta@x.org\tb@x.org\thi\t';
  assert.equal(parseImLogLine(ok).body, 'hi');
  assert.equal(parseImLogLine(`${ok}\n`).body, 'hi');
  const bad: [string, RegExp][] = [
    ['garbage', /expected 6 tab-separated fields, found 1/],
    ['', /found 1/],
    ['2026-11-27T10:00:00.000Z\tchat\ta@x.org\tb@x.org\thi', /found 5/],
    [`${ok}\textra`, /unknown encryption "extra"/],
    [`${ok}\t`, /unknown encryption ""/],
    [`${ok}\tomemo\tmore`, /found 8/],
    ['yesterday\tchat\ta@x.org\tb@x.org\thi\t', /bad time "yesterday"/],
    ['2026-13-45T10:00:00.000Z\tchat\ta@x.org\tb@x.org\thi\t', /bad time/],
    ['2026-11-27T10:00:00.000Z\tshout\ta@x.org\tb@x.org\thi\t', /unknown message type "shout"/],
    ['2026-11-27T10:00:00.000Z\tchat\ta@x.org\tb@x.org\tbad \\q escape\t', /bad escape "\\q"/],
    ['2026-11-27T10:00:00.000Z\tchat\ta@x.org\tb@x.org\ttorn at \\\t', /bad escape/],
  ];
  for (const [line, reason] of bad) assert.throws(() => parseImLogLine(line), (e: unknown) => e instanceof ImLogLineError && reason.test(e.message), line);
});

test('rotation: a new file at UTC midnight, each line in the file of its own UTC day', () => {
  const dir = tmp();
  let t = new Date('2026-11-27T23:59:59.999Z');
  const log = createImLog({ dir, now: () => t });
  log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'before midnight' });
  t = new Date('2026-11-28T00:00:00.000Z');
  log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'at midnight' });
  t = new Date('2026-11-28T01:00:00.000+02:00'); // 23:00 UTC on the 27th: UTC decides, not local time
  log.append({ type: 'scripted', from: 'monitor@x.org', to: 'b@x.org', body: 'late, by the clock of a +02:00 zone' });
  t = new Date('2026-11-28T12:00:00.000Z');
  log.append({ type: 'groupchat', from: 'room@conference.x.org/a', to: 'room@conference.x.org', body: 'noon' });
  log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['XMPPServer-2026-11-27.log', 'XMPPServer-2026-11-28.log']);
  const bodies = (day: string) => linesOf(path.join(dir, `XMPPServer-${day}.log`)).filter(Boolean).map((l) => parseImLogLine(l).body);
  assert.deepEqual(bodies('2026-11-27'), ['before midnight', 'late, by the clock of a +02:00 zone']);
  assert.deepEqual(bodies('2026-11-28'), ['at midnight', 'noon']);
  rmSync(dir, { recursive: true });
});

test('the log folder is created on demand and lines are appended to an existing day file', () => {
  const dir = path.join(tmp(), 'data', 'logs');
  const first = createImLog({ dir, now: at('2026-11-27T08:00:00.000Z') });
  first.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'one' });
  first.close();
  const second = createImLog({ dir, now: at('2026-11-27T09:00:00.000Z') }); // a gateway restart
  second.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'two' });
  second.close();
  assert.deepEqual(linesOf(path.join(dir, 'XMPPServer-2026-11-27.log')).filter(Boolean).map((l) => parseImLogLine(l).body), ['one', 'two']);
  rmSync(path.dirname(path.dirname(dir)), { recursive: true });
});

test('a line torn by an earlier crash (no newline at the end) is not glued to the next one after a restart', () => {
  const dir = tmp();
  const file = path.join(dir, 'XMPPServer-2026-11-27.log');
  const whole = formatImLogLine({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'acknowledged' }, new Date('2026-11-27T08:00:00.000Z'));
  const torn = formatImLogLine({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'being written when kill -9 came' }, new Date('2026-11-27T08:00:01.000Z')).slice(0, 40);
  writeFileSync(file, whole + torn);
  const log = createImLog({ dir, now: at('2026-11-27T09:00:00.000Z') }); // the restarted gateway
  log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'after the restart' });
  log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'and the next' });
  log.close();
  const lines = linesOf(file);
  assert.deepEqual(lines, [whole.slice(0, -1), torn, lines[2], lines[3], '']);
  assert.throws(() => parseImLogLine(torn), ImLogLineError);
  assert.deepEqual([lines[2], lines[3]].map((l) => parseImLogLine(l!).body), ['after the restart', 'and the next']);
  rmSync(dir, { recursive: true });
});

test('a log folder that cannot be created throws a clear error, and the log recovers once it can', () => {
  const dir = tmp();
  const blocker = path.join(dir, 'data');
  writeFileSync(blocker, ''); // a regular file where the data folder should be: fails even for root
  const log = createImLog({ dir: path.join(blocker, 'logs'), now: at('2026-11-27T10:00:00.000Z') });
  const msg = { type: 'chat' as const, from: 'a@x.org', to: 'b@x.org', body: 'x' };
  assert.throws(
    () => log.append(msg),
    (e: unknown) =>
      e instanceof ImLogWriteError &&
      e.code === 'internal' &&
      e.errno === 'ENOTDIR' &&
      e.file === path.join(blocker, 'logs', 'XMPPServer-2026-11-27.log') &&
      /^the central IM log .*XMPPServer-2026-11-27\.log cannot be written: ENOTDIR/.test(e.message),
  );
  unlinkSync(blocker);
  log.append(msg);
  log.close();
  assert.equal(linesOf(path.join(blocker, 'logs', 'XMPPServer-2026-11-27.log')).length, 2);
  rmSync(dir, { recursive: true });
});

test('a full disk throws ENOSPC instead of losing the message silently', { skip: !existsSync('/dev/full') && 'no /dev/full' }, () => {
  const dir = tmp();
  // The day's file is a link to /dev/full: open works, every write(2) fails with ENOSPC.
  symlinkSync('/dev/full', path.join(dir, 'XMPPServer-2026-11-27.log'));
  const log = createImLog({ dir, now: at('2026-11-27T10:00:00.000Z') });
  for (let i = 0; i < 2; i++) {
    assert.throws(
      () => log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'x' }),
      (e: unknown) => e instanceof ImLogWriteError && e.errno === 'ENOSPC' && /cannot be written: ENOSPC: no space left on device/.test(e.message),
    );
  }
  log.close();
  rmSync(dir, { recursive: true });
});

test('append after close is refused; a bad type is a programming error', () => {
  const dir = tmp();
  const log = createImLog({ dir });
  assert.throws(() => log.append({ type: 'shout' as 'chat', from: 'a@x.org', to: 'b@x.org', body: 'x' }), TypeError);
  log.close();
  assert.throws(() => log.append({ type: 'chat', from: 'a@x.org', to: 'b@x.org', body: 'x' }), (e: unknown) => e instanceof ImLogWriteError && /closed/.test(e.message));
  log.close(); // twice is fine
  assert.deepEqual(readdirSync(dir), []);
  rmSync(dir, { recursive: true });
});

test('an end-to-end encrypted message has a 7th field, its scheme, and no text; other lines keep 6 fields', () => {
  const time = new Date('2026-12-07T10:00:00.000Z');
  const plain = formatImLogLine({ type: 'chat', from: 'a@x.org/pc', to: 'b@x.org', body: 'hi' }, time);
  assert.equal(plain.split('\t').length, 6, 'unchanged for ordinary messages');
  for (const scheme of ['omemo', 'omemo:2', 'openpgp', 'pgp', 'otr', 'eme:urn:example:crypt']) {
    const line = formatImLogLine({ type: 'groupchat', from: 'room@conference.x.org/a', to: 'room@conference.x.org', body: '', encrypted: scheme }, time);
    assert.equal(line, `2026-12-07T10:00:00.000Z\tgroupchat\troom@conference.x.org/a\troom@conference.x.org\t\t\t${scheme}\n`);
    const p = parseImLogLine(line);
    assert.deepEqual([p.encrypted, p.body, p.attachments], [scheme, '', []]);
  }
  assert.equal(parseImLogLine(plain).encrypted, undefined);
});
