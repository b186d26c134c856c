import assert from 'node:assert/strict';
import { test } from 'node:test';
import { esc, html } from './html.ts';

test('esc replaces the five characters that end text or a quoted attribute', () => {
  assert.equal(esc(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('html escapes interpolated values but not nested html output', () => {
  const name = '<script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  assert.equal(html`<p title="${'"onmouseover="x'}">${inner}</p>`.value, '<p title="&quot;onmouseover=&quot;x"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b></p>');
});

test('html joins arrays and drops null, undefined and false', () => {
  assert.equal(html`${['<', html`<i>`]}${null}${undefined}${false}${0}`.value, '&lt;<i>0');
});
