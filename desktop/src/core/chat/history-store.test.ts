import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatLine, parseLine, type HistoryEntry } from './history-format.ts';
import { conversationFolder, createHistoryStore } from './history-store.ts';
import { toChatMessage } from './messages.ts';

const withDir = async (fn: (dir: string) => Promise<void>) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-history-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const entry = (at: string, body: string, o: Partial<HistoryEntry> = {}): HistoryEntry => ({ at, from: 'bob@example.com', body, id: `id-${at}-${body}`, dir: 'in', kind: 'chat', ...o });

test('a line is time, sender, text, then key=value words; tabs, newlines and backslashes cannot break it', () => {
  const e = entry('2026-11-27T18:10:13.123Z', 'two\nlines\twith tab and \\ back', { sid: 'arch 1', html: '<p>x y</p>', attachments: [{ url: 'https://f.example/a b.pdf' }] });
  const line = formatLine(e);
  assert.equal(line, '2026-11-27T18:10:13.123Z\tbob@example.com\ttwo\\nlines\\twith tab and \\\\ back\tid=id-2026-11-27T18:10:13.123Z-two\\nlines\\twith\\stab\\sand\\s\\\\\\sback dir=in kind=chat sid=arch\\s1 html=<p>x\\sy</p> url=https://f.example/a\\sb.pdf\n');
  assert.equal(line.split('\n').length, 2, 'one line');
  assert.deepEqual(parseLine(line.trimEnd()), e);
  // Control characters and lone surrogates never reach the file.
  assert.equal(parseLine(formatLine(entry('2026-11-27T18:10:13.123Z', 'bell\u0007 esc\u001b[31m lone\ud800')).trimEnd())!.body, 'bell\ufffd esc\ufffd[31m lone\ufffd');
  for (const junk of ['', 'hello', 'a\tb\tc\td', '2026-11-27T18:10:13.123Z\tbob\ttext\tdir=in']) assert.equal(parseLine(junk), undefined, JSON.stringify(junk));
});

test('what the server sent keeps its mark (by=server); a message of a person has none', () => {
  const e: HistoryEntry = { at: '2026-12-07T10:00:00.000Z', from: 'ci@example.com', body: 'Build 42 failed', id: 'sem-1', dir: 'in', kind: 'chat', server: true };
  const line = formatLine(e);
  assert.match(line, / by=server\n$/);
  assert.deepEqual(parseLine(line.trimEnd()), e);
  assert.equal(parseLine(formatLine({ ...e, server: undefined }).trimEnd())!.server, undefined);
  assert.equal(parseLine(`${line.trimEnd().replace('by=server', 'by=someone')}`)!.server, undefined);
});

test('one folder per conversation (file-name safe), one file per UTC day, oldest first', async () => {
  await withDir(async (dir) => {
    const h = createHistoryStore({ dir });
    assert.equal(await h.add('Bob@Example.com', entry('2026-11-27T23:59:59.000Z', 'late')), true);
    assert.equal(await h.add('bob@example.com', entry('2026-11-28T00:00:01.000Z', 'early')), true);
    assert.equal(await h.add('bob@example.com', entry('2026-11-27T08:00:00.000Z', 'morning (arrived late)')), true);
    assert.deepEqual(readdirSync(path.join(dir, 'bob@example.com')), ['2026-11-27.txt', '2026-11-28.txt']);
    const text = readFileSync(path.join(dir, 'bob@example.com', '2026-11-27.txt'), 'utf8');
    assert.match(text, /^2026-11-27T23:59:59\.000Z\tbob@example\.com\tlate\tid=/);
    assert.deepEqual(
      (await h.read('bob@example.com', { max: 10 })).map((e) => e.body),
      ['morning (arrived late)', 'late', 'early'],
    );
    assert.deepEqual(await h.conversations(), ['bob@example.com']);
    const names: [string, string][] = [
      ['room@conference.example.com', 'room@conference.example.com'],
      ['../../etc@x', '%2e.%2f..%2fetc@x'],
      ['.hidden@x', '%2ehidden@x'],
      ['jürgen@example.com', 'j%c3%bcrgen@example.com'],
      ['a/b@x', 'a%2fb@x'],
    ];
    for (const [jid, folder] of names) assert.equal(conversationFolder(jid), folder, jid);
  });
});

test('paging before an id or a time, search, and lines a person broke are skipped', async () => {
  await withDir(async (dir) => {
    const h = createHistoryStore({ dir });
    for (let i = 0; i < 30; i++) await h.add('bob@example.com', entry(new Date(Date.UTC(2026, 10, 20 + (i % 5), 10, i)).toISOString(), `msg ${i}${i % 7 === 0 ? ' Invoice' : ''}`));
    const all = await h.read('bob@example.com', { max: 100 });
    assert.equal(all.length, 30);
    assert.deepEqual(all.map((e) => e.at), all.map((e) => e.at).sort());
    const last5 = await h.read('bob@example.com', { max: 5 });
    assert.deepEqual(last5, all.slice(-5));
    assert.deepEqual(await h.read('bob@example.com', { max: 5, before: last5[0]!.id }), all.slice(-10, -5));
    assert.deepEqual(await h.read('bob@example.com', { max: 3, before: '2026-11-22T00:00:00.000Z' }), all.filter((e) => e.at < '2026-11-22').slice(-3));
    assert.deepEqual(
      (await h.read('bob@example.com', { max: 100, text: 'invoice' })).map((e) => e.body),
      all.filter((e) => e.body.includes('Invoice')).map((e) => e.body),
    );
    assert.deepEqual(await h.read('nobody@example.com', { max: 5 }), []);
    appendFileSync(path.join(dir, 'bob@example.com', '2026-11-20.txt'), 'a note somebody typed into the file\n\n');
    writeFileSync(path.join(dir, 'bob@example.com', 'notes.md'), 'not a day file');
    assert.equal((await h.read('bob@example.com', { max: 100 })).length, 30);
  });
});

test('duplicates stop here: same sender+id+text, or same archive id, on the same or the next day; a reused id with new text is new', async () => {
  await withDir(async (dir) => {
    const h = createHistoryStore({ dir });
    const first = entry('2026-11-27T23:59:58.000Z', 'hello', { id: 'm1' });
    assert.equal(await h.add('bob@example.com', first), true);
    assert.equal(await h.add('bob@example.com', { ...first, at: '2026-11-28T00:00:03.000Z' }), false, 'a resend received after midnight');
    assert.equal(await h.add('bob@example.com', { ...first, from: 'bob@example.com' }), false);
    assert.equal(await h.add('bob@example.com', { ...first, body: 'other text' }), true, 'id reused by a client that numbers per session');
    assert.equal(await h.add('bob@example.com', entry('2026-11-27T10:00:00.000Z', 'x', { id: 'a', sid: 'S1' })), true);
    assert.equal(await h.add('bob@example.com', entry('2026-11-27T10:00:00.500Z', 'x', { id: '~S1', sid: 'S1' })), false, 'the archive copy without a client id');
    // Two copies at once: exactly one written.
    const same = entry('2026-11-27T12:00:00.000Z', 'race', { id: 'r1' });
    assert.deepEqual((await Promise.all([h.add('bob@example.com', same), h.add('bob@example.com', same)])).sort(), [false, true]);
    // A new store (the app restarted) finds them in the files.
    const again = createHistoryStore({ dir });
    assert.equal(await again.add('bob@example.com', first), false);
    assert.equal(await again.has('bob@example.com', same), true);
    const text = readFileSync(path.join(dir, 'bob@example.com', '2026-11-27.txt'), 'utf8');
    assert.equal(text.split('\thello\t').length - 1, 1);
  });
});

test('10,000 messages of one conversation read back render-ready in well under the 100 ms target', async () => {
  await withDir(async (dir) => {
    const folder = path.join(dir, 'bob@example.com');
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) lines.push(formatLine(entry(new Date(Date.UTC(2026, 10, 27, 8) + i * 1000).toISOString(), `message number ${i} with some ordinary text in it`, { id: `m${i}`, sid: `s${i}`, dir: i % 2 ? 'in' : 'out' })));
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, '2026-11-27.txt'), lines.join(''));
    const h = createHistoryStore({ dir });
    await h.read('bob@example.com', { max: 10 }); // warm up the JIT
    const t0 = performance.now();
    // Read, parsed and turned into what the renderer shows (emoticons on).
    const all = (await h.read('bob@example.com', { max: 10_000 })).map((e) => toChatMessage(e, 'bob@example.com', true));
    const ms = performance.now() - t0;
    assert.equal(all.length, 10_000);
    assert.equal(all[9_999]!.id, 'm9999');
    assert.equal(all[9_999]!.direction, 'in');
    // The target is 100 ms (issue 5); a loaded CI machine gets some slack, a regression does not.
    assert.ok(ms < 250, `read 10,000 in ${ms.toFixed(1)} ms`);
    console.log(`history: 10,000 messages read and parsed in ${ms.toFixed(1)} ms`);
  });
});
