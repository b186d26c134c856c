import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { sanitizeXhtmlIm } from './xhtml-im.ts';

const wrap = (inner: string) =>
  parse(`<message><body>x</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>${inner}</body></html></message>`);
const out = (inner: string) => {
  const m = wrap(inner);
  sanitizeXhtmlIm(m);
  return m.getChild('html')!.getChild('body')!.children.map(String).join('');
};

test('text colour and plain formatting survive unchanged (the point of XEP-0071)', () => {
  assert.equal(out(`<p><span style='color: #cc0000'>red</span> and <strong>bold</strong><br/><em>it</em></p>`), '<p><span style="color: #cc0000">red</span> and <strong>bold</strong><br/><em>it</em></p>');
  assert.equal(out(`<a href='https://example.com/x'>link</a>`), '<a href="https://example.com/x">link</a>');
});

test('scripts, handlers, javascript: links, unsafe CSS and unknown elements are removed, text kept', () => {
  assert.equal(out(`<script>alert(1)</script><p onclick='evil()'>hi</p>`), '<p>hi</p>');
  assert.equal(out(`<a href='javascript:alert(1)'>click</a>`), '<a>click</a>');
  assert.equal(out(`<span style="color: red; background-image: url(http://x/track.gif); position: fixed">t</span>`), '<span style="color: red">t</span>');
  assert.equal(out(`<marquee><b>old</b> web</marquee>`), 'old web');
  assert.equal(out(`<img src='data:image/png;base64,AAAA' alt='pic' onerror='x()'/>`), '<img alt="pic"/>');
  assert.equal(out(`<iframe src='https://x'>frame text</iframe>ok`), 'ok');
});

test('a message without XHTML-IM is untouched; an <html/> without a body is dropped', () => {
  const plain = parse(`<message><body>hi</body></message>`);
  sanitizeXhtmlIm(plain);
  assert.equal(plain.toString(), '<message><body>hi</body></message>');
  const empty = parse(`<message><body>hi</body><html xmlns='http://jabber.org/protocol/xhtml-im'><div/></html></message>`);
  sanitizeXhtmlIm(empty);
  assert.equal(empty.getChild('html'), undefined);
});
