import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOGUES, pickLang, translator } from './i18n.ts';

test('German has every English message, with the same placeholders', () => {
  for (const [key, text] of Object.entries(CATALOGUES.en)) {
    const de = CATALOGUES.de[key as keyof typeof CATALOGUES.en];
    assert.ok(de, `missing German for ${key}`);
    const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(vars(de), vars(text!), key);
  }
});

test('the cookie wins, then Accept-Language by q, else English', () => {
  assert.equal(pickLang('de', 'en'), 'de');
  assert.equal(pickLang(undefined, 'de-DE,de;q=0.9,en;q=0.8'), 'de');
  assert.equal(pickLang(undefined, 'fr-FR, en;q=0.5, de;q=0.7'), 'de');
  assert.equal(pickLang(undefined, 'fr'), 'en');
  assert.equal(pickLang(undefined, 'de;q=0'), 'en');
  assert.equal(pickLang('xx', undefined), 'en');
});

test('placeholders are filled', () => {
  assert.equal(translator('de')('users.policy', { min: 12 }), 'Mindestens 12 Zeichen.');
});
