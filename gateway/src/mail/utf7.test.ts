import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMutf7, encodeMutf7 } from './utf7.ts';

test('modified UTF-7 round-trips the names users type (RFC 3501 §5.1.3)', () => {
  const cases: [string, string][] = [
    ['Entwürfe', 'Entw&APw-rfe'],
    ['Проекты', '&BB8EQAQ+BDUEOgRCBEs-'],
    ['Tom & Jerry', 'Tom &- Jerry'],
    ['日本語', '&ZeVnLIqe-'],
    ['plain', 'plain'],
    ['📬 Post', '&2D3c7A- Post'],
  ];
  for (const [utf8, mutf7] of cases) {
    assert.equal(encodeMutf7(utf8), mutf7);
    assert.equal(decodeMutf7(mutf7), utf8);
  }
});
