import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Element } from 'ltx';
import { makeJid } from '../xmpp/core/jid.ts';
import { createOutbox } from '../xmpp/core/outbox.ts';
import type { Session } from '../xmpp/core/session.ts';
import { createStatusSource } from './status.ts';

test('the status reports the presence copies queued in the XMPP outbox, and none once they went out', async () => {
  const outbox = createOutbox({ syncMax: 0 }); // every fan-out waits for its slice
  const status = createStatusSource({
    version: 'test',
    sessions: () => 0,
    mail: () => ({ source: 'maildir', watchedUsers: 0, watches: 0, imapConnections: 0 }),
    spool: () => ({ waiting: 0, bad: 0, problem: null }),
    presenceBacklog: () => outbox.backlog,
    calendar: () => ({ running: false, lastRun: null, lastError: null }),
    selfSigned: false,
    publicUrlSet: true,
    domainsWithImOff: () => [],
    dataDir: mkdtempSync(path.join(tmpdir(), 'herald-status-')),
  });
  try {
    assert.equal(status.snapshot().presenceBacklog, 0);
    let sent = 0;
    const to: Session[] = [];
    for (let i = 0; i < 300; i++) to.push({ available: true, jid: makeJid(`u${i}`, 'example.com', 'r'), send: () => void sent++ } as unknown as Session);
    outbox.broadcast(new Element('presence', { from: 'ann@example.com/desk' }), to);
    assert.equal(status.snapshot().presenceBacklog, 300);
    await outbox.idle();
    assert.equal(sent, 300);
    assert.equal(status.snapshot().presenceBacklog, 0);
  } finally {
    status.close();
  }
});
