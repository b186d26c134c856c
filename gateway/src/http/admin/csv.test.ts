import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, csvRecord } from './csv.ts';

test('fields with commas, quotes and line breaks are quoted, quotes doubled (RFC 4180 §2)', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(null), '');
  assert.equal(csvRecord(['x', 1, 'y,z']), 'x,1,"y,z"\r\n');
});

test('a field a spreadsheet would run as a formula is made text with a leading apostrophe', () => {
  for (const f of ['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', '\t=1']) {
    const out = csvField(f);
    assert.ok(out === `'${f}` || out === `"'${f.replaceAll('"', '""')}"`, `${JSON.stringify(f)} → ${out}`);
  }
  assert.equal(csvField('=1,2'), `"'=1,2"`);
  assert.equal(csvField('a=b'), 'a=b');
});
