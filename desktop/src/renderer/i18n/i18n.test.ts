// The catalogs are complete: German has every English key, none empty, and the same placeholders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { de } from './de.ts';
import { en } from './en.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('German has every English key with the same placeholders, and nothing else', () => {
  assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(en)) {
    const g = de[k as keyof typeof en];
    assert.ok(v.trim() && g.trim(), `${k} is empty`);
    assert.deepEqual(placeholders(g), placeholders(v), `placeholders of ${k}`);
  }
});

test('counts take the plural form the catalog has: "1 member", "2 members"', async () => {
  const { t } = await import('./i18n.ts');
  assert.equal(t('memberCount', { count: 1 }), '1 member');
  assert.equal(t('memberCount', { count: 2 }), '2 members');
  assert.equal(t('memberCount', { count: 0 }), '0 members');
  assert.equal(t('resultCount', { count: 1 }), '1 message');
});
