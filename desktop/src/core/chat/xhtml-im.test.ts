import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { cleanStyle, colouredXhtml, sanitizeXhtmlIm } from './xhtml-im.ts';

const msg = (inner: string) => parse(`<message xmlns='jabber:client'><body>x</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>${inner}</body></html></message>`);

test('the recommended profile survives: paragraphs, spans with colour, emphasis, links, lists', () => {
  assert.equal(sanitizeXhtmlIm(msg(`<p>Hi <span style='color: #ff0000'>red</span> <em>it</em> <strong>b</strong><br/>next</p>`)), '<p>Hi <span style="color: #ff0000">red</span> <em>it</em> <strong>b</strong><br>next</p>');
  assert.equal(sanitizeXhtmlIm(msg(`<a href='https://example.org/a?b=1&amp;c=2'>x</a> <a href='mailto:bob@example.com'>m</a> <a href='xmpp:bob@example.com'>j</a>`)), '<a href="https://example.org/a?b=1&amp;c=2">x</a> <a href="mailto:bob@example.com">m</a> <a href="xmpp:bob@example.com">j</a>');
  assert.equal(sanitizeXhtmlIm(msg(`<ul><li>one</li><li>two</li></ul><blockquote>q</blockquote>`)), '<ul><li>one</li><li>two</li></ul><blockquote>q</blockquote>');
  assert.equal(sanitizeXhtmlIm(msg(`<b>bold</b> <i>it</i>`)), '<strong>bold</strong> <em>it</em>', 'common non-profile tags mapped');
});

test('hostile markup is removed, text kept where it is content', () => {
  const cases: [string, string][] = [
    [`<p onclick='steal()' onmouseover='x()'>hi</p>`, '<p>hi</p>'],
    [`<script>alert(1)</script>after`, 'after'],
    [`<style>body{display:none}</style>shown`, 'shown'],
    [`<img src='https://tracker.example/pixel.png' alt='pixel'/>text`, 'text'],
    [`<a href='javascript:alert(1)'>click</a>`, '<a>click</a>'],
    [`<a href=' JaVaScRiPt:alert(1)'>click</a>`, '<a>click</a>'],
    [`<a href='data:text/html,&lt;script&gt;'>d</a>`, '<a>d</a>'],
    [`<span style='color: red; background-image: url(https://x.example/); position: fixed'>r</span>`, '<span style="color: red">r</span>'],
    [`<span style='color: expression(alert(1))'>e</span>`, '<span>e</span>'],
    [`<span style='color: red"><script>'>q</span>`, '<span>q</span>'],
    [`<iframe src='https://evil.example/'>inner</iframe>visible`, 'visible'],
    [`<unknown-tag x='1'>kept text</unknown-tag>`, 'kept text'],
    [`<p>a &lt;b&gt; &amp; "c"</p>`, '<p>a &lt;b&gt; &amp; "c"</p>'],
    [`<svg><script>x</script></svg>ok`, 'ok'],
  ];
  for (const [inner, want] of cases) assert.equal(sanitizeXhtmlIm(msg(inner)), want, inner);
});

test('nothing usable, too deep or too large: no HTML (the plain body is shown)', () => {
  assert.equal(sanitizeXhtmlIm(msg(`<img src='x'/>`)), undefined);
  assert.equal(sanitizeXhtmlIm(msg(`<p>   </p>`)), undefined);
  assert.equal(sanitizeXhtmlIm(parse(`<message><body>x</body></message>`)), undefined);
  assert.equal(sanitizeXhtmlIm(parse(`<message><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='urn:other'>x</body></html></message>`)), undefined);
  assert.equal(sanitizeXhtmlIm(msg(`<p>${'big '.repeat(20_000)}</p>`)), undefined);
  const deep = `${'<span>'.repeat(60)}deep${'</span>'.repeat(60)}`;
  const out = sanitizeXhtmlIm(msg(deep))!;
  assert.ok(out.includes('deep') && (out.match(/<span>/g) ?? []).length <= 24, 'depth bounded, text kept');
});

test('a body style is kept in a wrapping span, filtered like any other', () => {
  assert.equal(sanitizeXhtmlIm(parse(`<message><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml' style='color: blue; behavior: url(x)'>t</body></html></message>`)), '<span style="color: blue">t</span>');
  assert.equal(cleanStyle('COLOR: Green;font-weight:bold;font-size: 900px'), 'color: Green; font-weight: bold');
});

test('colour out: one span, lines as <br/>, only #rrggbb', () => {
  const html = colouredXhtml('first\nsecond & <third>', '#00AA55');
  assert.equal(html.toString(), `<html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><p><span style="color: #00aa55">first<br/>second &amp; &lt;third&gt;</span></p></body></html>`);
  assert.throws(() => colouredXhtml('x', 'red'), /not a #rrggbb colour/);
  assert.throws(() => colouredXhtml('x', '#12345g'), /not a #rrggbb colour/);
});
