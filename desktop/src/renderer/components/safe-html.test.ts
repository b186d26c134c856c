// The renderer re-reads the core's sanitised XHTML-IM as tokens: allowed elements with their
// attributes, text with entities decoded, everything else text (never markup, never a DOM parse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSafeHtml } from './safe-html.ts';

test('the sanitiser’s output becomes a tree: colour span, emphasis, links, line breaks, entities', () => {
  assert.deepEqual(parseSafeHtml('<p><span style="color: #c0392b">Hello &amp; welcome<br>line 2</span></p>'), [
    { tag: 'p', attrs: {}, children: [{ tag: 'span', attrs: { style: 'color: #c0392b' }, children: ['Hello & welcome', { tag: 'br', attrs: {}, children: [] }, 'line 2'] }] },
  ]);
  assert.deepEqual(parseSafeHtml('a <strong>b</strong> <a href="https://x.example/?a=1&amp;b=2">c</a> &#x1F642; &lt;tag&gt;'), [
    'a ',
    { tag: 'strong', attrs: {}, children: ['b'] },
    ' ',
    { tag: 'a', attrs: { href: 'https://x.example/?a=1&b=2' }, children: ['c'] },
    ' 🙂 <tag>',
  ]);
});

test('anything else stays text or is dropped; nothing becomes an element that is not allowed', () => {
  const flat = (nodes: ReturnType<typeof parseSafeHtml>): string[] => nodes.flatMap((n) => (typeof n === 'string' ? [] : [n.tag, ...flat(n.children)]));
  for (const evil of ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<iframe src="https://evil.example"></iframe>', '<svg onload="x">', '<span onclick="x" style="color:red">t</span>', '<<span>>']) {
    const tags = flat(parseSafeHtml(evil));
    assert.ok(tags.every((t) => t === 'span'), `${evil} → ${tags}`);
  }
  assert.deepEqual(parseSafeHtml('<img src=x onerror=alert(1)>'), ['<', 'img src=x onerror=alert(1)>']);
  assert.deepEqual(parseSafeHtml('<span onclick="x">t</span>'), [{ tag: 'span', attrs: { onclick: 'x' }, children: ['t'] }], 'attributes are read, but only href and style are ever used');
  assert.deepEqual(parseSafeHtml('</em>unbalanced<em>open'), ['unbalanced', { tag: 'em', attrs: {}, children: ['open'] }]);
  const deep = '<span>'.repeat(100) + 'x';
  let depth = 0;
  let n: unknown = parseSafeHtml(deep)[0];
  while (n && typeof n === 'object') {
    depth++;
    n = (n as { children: unknown[] }).children.find((c) => typeof c === 'object');
  }
  assert.ok(depth <= 100 && depth >= 23);
});
