import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../config/load.ts';
import { pgUrlParts, redactUrl } from './pg-archive.ts';

test('the archive URL: its parts for ejabberd (escapes decoded, default port), shown without the password', () => {
  assert.deepEqual(pgUrlParts('postgres://ej%40b:p%2Fw%3A1@db.example:5433/mam'), { server: 'db.example', port: 5433, database: 'mam', username: 'ej@b', password: 'p/w:1', });
  assert.deepEqual(pgUrlParts('postgresql://u@[::1]/m'), { server: '::1', port: 5432, database: 'm', username: 'u', password: '' });
  assert.equal(redactUrl('postgres://u:secret@h:1/d'), 'postgres://u:***@h:1/d');
  assert.equal(redactUrl('postgres://u@h/d'), 'postgres://u@h/d');
  assert.doesNotMatch(redactUrl('not a url secret'), /secret/);
});

test('settings: archiveUrl must be a postgres:// URL, and not set together with archiveDb', () => {
  const s = loadSettings({ env: {}, overrides: { 'xmpp.external.archiveUrl': 'postgres://u:p@127.0.0.1:5432/d' } });
  assert.equal(s.xmpp.external.archiveGapGraceMs, 30_000);
  assert.throws(() => loadSettings({ env: {}, overrides: { 'xmpp.external.archiveUrl': 'mysql://u@h/d' } }), /archiveUrl/);
  assert.throws(() => loadSettings({ env: {}, overrides: { 'xmpp.external.archiveUrl': 'postgres://u@h/d', 'xmpp.external.archiveDb': '/a.db' } }), /archiveDb .*or archiveUrl .*not both/);
});
