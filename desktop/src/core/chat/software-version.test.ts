import assert from 'node:assert/strict';
import { test } from 'node:test';
import { osFamily, versionQuery } from './software-version.ts';

test('XEP-0092 answer: name, version and the OS family only; a missing version still gives a valid result', () => {
  assert.equal(versionQuery({ version: '1.2.3', os: 'Linux' }).toString(), '<query xmlns="jabber:iq:version"><name>Herald Desktop</name><version>1.2.3</version><os>Linux</os></query>');
  assert.equal(versionQuery(undefined).toString(), '<query xmlns="jabber:iq:version"><name>Herald Desktop</name><version>unknown</version></query>');
  assert.equal(versionQuery({ version: '  ' }).getChildText('version'), 'unknown');
  assert.deepEqual(['win32', 'darwin', 'linux', 'aix'].map(osFamily), ['Windows', 'macOS', 'Linux', undefined]);
});
