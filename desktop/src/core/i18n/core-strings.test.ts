// The core's catalogs are complete and the locale picks the right one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORE_CATALOGS, coreLang, coreStrings, type Plural } from './core-strings.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const forms = (v: string | Plural): [string, string][] => (typeof v === 'string' ? [['', v]] : Object.entries(v));

test('German has exactly the English keys, every text and plural form non-empty, with the same placeholders', () => {
  const { en, de } = CORE_CATALOGS;
  assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
  for (const [key, value] of Object.entries(en)) {
    const german = de[key as keyof typeof de];
    assert.equal(typeof german, typeof value, `${key}: both plain or both counted`);
    const e = forms(value);
    const g = forms(german);
    assert.deepEqual(g.map(([f]) => f), e.map(([f]) => f), `${key}: the same plural forms`);
    for (const [i, [form, text]] of e.entries()) {
      assert.ok(text.trim(), `en ${key} ${form} is empty`);
      assert.ok(g[i]![1].trim(), `de ${key} ${form} is empty`);
      assert.deepEqual(placeholders(g[i]![1]), placeholders(text), `placeholders of ${key} ${form}`);
    }
    if (typeof value !== 'string') assert.ok(value.one.includes('{n}') && value.other.includes('{n}'), `${key}: counted texts show the count`);
  }
});

test('the locale picks the language: any German locale gets German, anything else English', () => {
  for (const l of ['de', 'de-DE', 'de-AT', 'de_AT', 'de_CH.UTF-8', 'de_DE@euro', 'DE', ' de-de ']) assert.equal(coreLang(l), 'de', l);
  for (const l of ['en', 'en-US', 'fr-FR', 'C', 'C.UTF-8', 'POSIX', '', 'dsb', 'dea', undefined]) assert.equal(coreLang(l), 'en', String(l));
  assert.equal(coreStrings('de-DE').t('noSubject'), '(kein Betreff)');
  assert.equal(coreStrings('de_AT').t('unknownSender'), 'Unbekannter Absender');
  assert.equal(coreStrings('fr').t('noSubject'), '(no subject)');
  assert.equal(coreStrings().lang, 'en', 'no locale: English');
});

test('counted texts use the plural form for the count, and placeholders are filled', () => {
  const en = coreStrings('en');
  const de = coreStrings('de');
  assert.deepEqual([0, 1, 2].map((n) => en.count('newMessagesIn', n, { folder: 'Inbox' })), ['0 new messages in Inbox', '1 new message in Inbox', '2 new messages in Inbox']);
  assert.deepEqual([0, 1, 3].map((n) => de.count('newMessagesIn', n, { folder: 'Posteingang' })), ['0 neue Nachrichten in Posteingang', '1 neue Nachricht in Posteingang', '3 neue Nachrichten in Posteingang']);
  assert.equal(de.count('moreNewMessages', 1), '1 weitere neue Nachricht');
  assert.equal(de.count('newMessages', 1200), '1.200 neue Nachrichten', 'the count is written the German way');
  assert.equal(en.count('newMessages', 1200), '1,200 new messages');
  assert.equal(de.t('promptRevoked', { reason: 'token {revoked}' }), 'Abgemeldet: token {revoked}', 'a value is inserted as it is');
  assert.match(de.date(new Date(Date.UTC(2026, 0, 15, 12))), /Januar 2026/);
});
