// What the chat part says about its own state is in the user's language, and the user's own
// presence is readable and told as it changes (no server needed here;
// the chat with a server is tested in test/integration/desktop-chat.test.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChatEvent } from '../../shared/chat.ts';
import { createDirStorage } from '../storage/dir-storage.ts';
import { createXmppChat } from './xmpp-chat.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-xmpp-chat-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('offline by choice: the detail shown after "Offline" follows the locale (English by default)', async () => {
  for (const [locale, detail] of [
    ['de_DE.UTF-8', 'selbst gewählt'],
    [undefined, 'offline by choice'],
  ] as const) {
    const dir = mkdtempSync(path.join(root, 'profile-'));
    const chat = createXmppChat({ storage: createDirStorage(dir), historyDir: path.join(dir, 'History'), locale });
    await chat.setPresence({ show: 'offline' });
    assert.deepEqual(chat.connection(), { state: 'offline', detail });
    await chat.disconnect();
  }
});

test('own presence: readable, and an own-presence event for each change (a choice, offline by choice), none when unchanged', async () => {
  const dir = mkdtempSync(path.join(root, 'profile-'));
  const chat = createXmppChat({ storage: createDirStorage(dir), historyDir: path.join(dir, 'History') });
  const events: ChatEvent[] = [];
  chat.onEvent((e) => e.type === 'own-presence' && events.push(e));
  assert.deepEqual(chat.ownPresence(), { chosen: { show: 'online' }, shown: 'online' });
  await chat.setPresence({ show: 'away', status: 'At lunch' });
  await chat.setPresence({ show: 'away', status: 'At lunch' });
  await chat.setPresence({ show: 'offline', status: 'At lunch' });
  assert.deepEqual(events, [
    { type: 'own-presence', chosen: { show: 'away', status: 'At lunch' }, shown: 'away' },
    { type: 'own-presence', chosen: { show: 'offline', status: 'At lunch' }, shown: 'offline' },
  ]);
  assert.deepEqual(chat.ownPresence(), { chosen: { show: 'offline', status: 'At lunch' }, shown: 'offline' });
  await chat.disconnect();
  assert.equal(events.length, 2, 'disconnecting changes no choice');
});
