import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, type ImLogEntry } from './im-log.ts';
import { imLogFiles, searchImLog, type ImLogQuery, type MalformedImLogLine } from './im-log-search.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-search-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Four days of traffic, written newest day first so the files' creation order is not time order.
const traffic: [string, ImLogEntry][] = [
  ['2026-11-27T09:00:00.000Z', { type: 'chat', from: 'carol@example.com/x', to: 'Alice@Example.com/laptop', body: 'the INVOICE is paid' }],
  ['2026-11-27T23:59:59.999Z', { type: 'scripted', from: 'monitor@example.com', to: 'alice@example.com', body: 'disk /var at 91 %' }],
  ['2026-11-25T09:00:00.000Z', { type: 'chat', from: 'alice@example.com/laptop', to: 'bob@example.com', body: 'Invoice for November', attachments: ['https://gw.example.com/upload/1/invoice.pdf'] }],
  ['2026-11-25T17:30:00.000Z', { type: 'groupchat', from: 'room@conference.example.com/alice', to: 'room@conference.example.com', body: 'Größe: ÜBER alles\nsecond line' }],
  ['2026-11-26T00:00:00.000Z', { type: 'chat', from: 'bob@example.com/desk', to: 'carol@example.com', body: 'lunch?' }],
  ['2026-11-26T12:00:00.000Z', { type: 'headline', from: 'example.com', to: 'bob@example.com/desk', body: 'server restarts at noon' }],
  ['2026-11-24T08:00:00.000Z', { type: 'chat', from: 'alice@example.com/phone', to: 'bob@example.com', body: 'early bird' }],
];
before(() => {
  let t = new Date(0);
  const log = createImLog({ dir, now: () => t });
  for (const [iso, e] of traffic) {
    t = new Date(iso);
    log.append(e);
  }
  log.close();
  // A hand-edited line and a torn one on the 24th, neither a log file nor a day in the name.
  appendFileSync(path.join(dir, 'XMPPServer-2026-11-24.log'), 'not a log line\n\n2026-11-24T09:00:00.000Z\tchat\ta@x.org\n');
  writeFileSync(path.join(dir, 'gateway.log'), 'something else\n');
  writeFileSync(path.join(dir, 'XMPPServer-latest.log'), 'something else\n');
});

async function search(q: Omit<ImLogQuery, 'dir'>) {
  const malformed: MalformedImLogLine[] = [];
  const found: string[] = [];
  for await (const e of searchImLog({ dir, onMalformed: (m) => malformed.push(m), ...q })) found.push(`${e.time.toISOString().slice(0, 16)} ${e.body.split('\n')[0]}`);
  return { found, malformed: malformed.map((m) => `${path.basename(m.file)}:${m.line} ${m.reason}`) };
}
const day = (d: string) => new Date(`${d}T00:00:00.000Z`);

test('everything, in time order across files; malformed lines skipped and reported with file and line', async () => {
  const r = await search({});
  assert.deepEqual(r.found, [
    '2026-11-24T08:00 early bird',
    '2026-11-25T09:00 Invoice for November',
    '2026-11-25T17:30 Größe: ÜBER alles',
    '2026-11-26T00:00 lunch?',
    '2026-11-26T12:00 server restarts at noon',
    '2026-11-27T09:00 the INVOICE is paid',
    '2026-11-27T23:59 disk /var at 91 %',
  ]);
  assert.deepEqual(r.malformed, ['XMPPServer-2026-11-24.log:2 expected 6 tab-separated fields, found 1', 'XMPPServer-2026-11-24.log:4 expected 6 tab-separated fields, found 3']);
});

test('by user: from or to, any resource, case-insensitive; a resource narrows it; a room by its bare JID', async () => {
  assert.deepEqual((await search({ user: 'alice@example.com' })).found, [
    '2026-11-24T08:00 early bird',
    '2026-11-25T09:00 Invoice for November',
    '2026-11-27T09:00 the INVOICE is paid',
    '2026-11-27T23:59 disk /var at 91 %',
  ]);
  assert.deepEqual((await search({ user: 'ALICE@example.COM/laptop' })).found, ['2026-11-25T09:00 Invoice for November', '2026-11-27T09:00 the INVOICE is paid']);
  assert.deepEqual((await search({ user: 'room@conference.example.com' })).found, ['2026-11-25T17:30 Größe: ÜBER alles']);
  assert.deepEqual((await search({ user: 'bob@example.com/desk' })).found, ['2026-11-26T00:00 lunch?', '2026-11-26T12:00 server restarts at noon']);
  assert.deepEqual((await search({ user: 'nobody@example.com' })).found, []);
  assert.deepEqual((await search({ user: 'example.com' })).found, ['2026-11-26T12:00 server restarts at noon'], "the server's own JID, not every user of the domain");
});

test('by date range: [since, until), and only the files of those days are read', async () => {
  const r = await search({ since: day('2026-11-25'), until: day('2026-11-27') });
  assert.deepEqual(r.found, ['2026-11-25T09:00 Invoice for November', '2026-11-25T17:30 Größe: ÜBER alles', '2026-11-26T00:00 lunch?', '2026-11-26T12:00 server restarts at noon']);
  assert.deepEqual(r.malformed, [], 'the 24th, with its malformed lines, was not opened');
  assert.deepEqual(
    imLogFiles({ dir, since: day('2026-11-25'), until: day('2026-11-27') }).map((f) => path.basename(f)),
    ['XMPPServer-2026-11-25.log', 'XMPPServer-2026-11-26.log'],
  );
  // Instants, not only days: until is exclusive, since inclusive.
  assert.deepEqual((await search({ since: new Date('2026-11-25T17:30:00.000Z'), until: new Date('2026-11-26T12:00:00.000Z') })).found, ['2026-11-25T17:30 Größe: ÜBER alles', '2026-11-26T00:00 lunch?']);
  assert.deepEqual((await search({ since: day('2026-11-27') })).found, ['2026-11-27T09:00 the INVOICE is paid', '2026-11-27T23:59 disk /var at 91 %']);
  assert.deepEqual((await search({ until: day('2026-11-25') })).found, ['2026-11-24T08:00 early bird']);
  assert.deepEqual((await search({ since: day('2026-12-01') })).found, []);
});

test('by text: case-insensitive substring of the body, combined with user and dates', async () => {
  assert.deepEqual((await search({ text: 'invoice' })).found, ['2026-11-25T09:00 Invoice for November', '2026-11-27T09:00 the INVOICE is paid']);
  assert.deepEqual((await search({ text: 'über' })).found, ['2026-11-25T17:30 Größe: ÜBER alles']);
  assert.deepEqual((await search({ text: 'alles\nsecond' })).found, ['2026-11-25T17:30 Größe: ÜBER alles'], 'across an escaped newline');
  assert.deepEqual((await search({ text: 'invoice', user: 'carol@example.com', since: day('2026-11-26') })).found, ['2026-11-27T09:00 the INVOICE is paid']);
  assert.deepEqual((await search({ text: 'bob' })).found, [], 'addresses are not body text');
});

test('no log folder yet: nothing found; stopping early closes the file', async () => {
  const none: unknown[] = [];
  for await (const e of searchImLog({ dir: path.join(dir, 'missing') })) none.push(e);
  assert.deepEqual(none, []);
  for await (const e of searchImLog({ dir })) {
    assert.equal(e.body, 'early bird');
    break; // the generator's finally closes the readline interface and the file stream
  }
});
