import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEntry } from './history-format.ts';
import { escapeHtml, exportConversation } from './history-export.ts';

const AT = new Date('2026-12-07T15:00:00Z');
const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert('x')"> & </table><a href="javascript:alert(2)">`;
const entries: HistoryEntry[] = [
  { at: '2026-12-07T14:01:02.345Z', from: 'bob@example.com', body: 'Hello Alice', id: 'm1', dir: 'in', kind: 'chat' },
  { at: '2026-12-07T14:02:00.000Z', from: 'alice@example.com', body: 'two\nlines', id: 'm2', dir: 'out', kind: 'chat' },
  { at: '2026-12-07T14:03:00.000Z', from: 'bob@example.com', body: HOSTILE, id: 'm3', dir: 'in', kind: 'chat', html: '<p><script>x()</script></p>' },
  {
    at: '2026-12-07T14:04:00.000Z',
    from: 'bob@example.com',
    body: 'files',
    id: 'm4',
    dir: 'in',
    kind: 'chat',
    attachments: [
      { url: 'https://up.example.com/a"b.pdf', name: 'a.pdf' },
      { url: 'javascript:alert(3)', name: 'x' },
    ] as HistoryEntry['attachments'],
  },
];

test('plain text: a header, one line per message with its UTC time and sender, continuation lines indented', () => {
  const out = exportConversation('bob@example.com', entries, 'text', AT);
  assert.equal(out.name, 'herald-bob@example.com.txt');
  const lines = out.content.split('\n');
  assert.equal(lines[0], 'Conversation with bob@example.com');
  assert.equal(lines[1], 'Exported 2026-12-07 15:00:00 UTC, 4 message(s)');
  assert.equal(lines[3], '[2026-12-07 14:01:02] bob@example.com: Hello Alice');
  assert.equal(lines[4], '[2026-12-07 14:02:00] alice@example.com: two');
  assert.equal(lines[5], '    lines');
  assert.equal(lines[6], `[2026-12-07 14:03:00] bob@example.com: ${HOSTILE}`, 'text is kept as written');
  assert.ok(out.content.includes('    https://up.example.com/a"b.pdf'));
});

test('HTML: hostile message text is escaped, never markup; the stored XHTML is not used; only http(s) becomes a link; nothing can load', () => {
  const out = exportConversation('bob@example.com', entries, 'html', AT);
  assert.equal(out.name, 'herald-bob@example.com.html');
  const html = out.content;
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes(`content="default-src 'none'; style-src 'unsafe-inline'"`), 'a CSP that blocks scripts and loads');
  // The only tags are ours: no <script>, <img>, a javascript: link or a closing table from the message.
  assert.ok(!/<script/i.test(html), 'no script element');
  assert.ok(!/<img/i.test(html), 'no img element');
  assert.ok(!/href="javascript:/i.test(html), 'no javascript: link');
  assert.equal((html.match(/<\/table>/g) ?? []).length, 1, 'the message cannot close our table');
  assert.ok(html.includes(escapeHtml(HOSTILE)), 'the hostile text is shown as text');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;'));
  assert.ok(html.includes('<a href="https://up.example.com/a&quot;b.pdf" rel="noopener noreferrer">'), 'an https attachment is a link, its quote escaped');
  assert.ok(html.includes('javascript:alert(3)') && !html.includes('href="javascript:alert(3)"'), 'a javascript: attachment stays text');
  assert.ok(html.includes('<tr class="out">') && html.includes('<tr class="in">'));
});

test('a conversation name that is not file-name safe gives a safe file name; the title is escaped', () => {
  const out = exportConversation('<x>/..@example.com', [], 'html', AT);
  assert.ok(!out.name.includes('/') && !out.name.includes('<'), out.name);
  assert.ok(out.content.includes('<title>Conversation with &lt;x&gt;/..@example.com</title>'));
  assert.ok(out.content.includes('0 message(s)'));
});

test('escapeHtml escapes the five characters and nothing else', () => {
  assert.equal(escapeHtml(`a&b<c>d"e'f ü`), 'a&amp;b&lt;c&gt;d&quot;e&#39;f ü');
});
