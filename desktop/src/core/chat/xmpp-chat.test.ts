// What the chat part says about its own state is in the user's language (no server needed here;
// the chat with a server is tested in test/integration/desktop-chat.test.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
