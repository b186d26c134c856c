// Rows as ejabberd 23.01 writes them (copied from a real archive: test/integration/ejabberd-im-log.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mamRowToLogLine, type MamRow } from './mam-row.ts';

const served = (d: string) => d === 'example.com' || d === 'other.example';
const row = (o: Partial<MamRow> & { xml: string }): MamRow => ({ id: 1, username: 'alice', server_host: 'example.com', timestamp: 1796682224444890, peer: 'bob@example.com', kind: 'chat', nick: '', ...o });
const msg = (from: string, to: string, inner: string, type = 'chat') => `<message xml:lang='en' to='${to}' from='${from}'${type ? ` type='${type}'` : ''} id='x1' xmlns='jabber:client'>${inner}</message>`;

test("a 1:1 message between local users: logged from the sender's copy, not the recipient's", () => {
  const xml = msg('alice@example.com/slix', 'bob@example.com', '<body>hello bob</body>');
  assert.deepEqual(mamRowToLogLine(row({ xml }), served), { log: { type: 'chat', from: 'alice@example.com/slix', to: 'bob@example.com', body: 'hello bob', attachments: [] } });
  assert.ok('skip' in mamRowToLogLine(row({ username: 'bob', peer: 'alice@example.com/slix', xml }), served));
  // The owner's address compares without case (ejabberd stores nodeprep'd names).
  assert.ok('log' in mamRowToLogLine(row({ xml: msg('Alice@Example.com/slix', 'bob@example.com', '<body>x</body>') }), served));
});

test('from a sender with no archive here (another server, a component, the server): logged from the recipient copy', () => {
  for (const from of ['dan@remote.example/phone', 'herald.example.com', 'example.com']) {
    const r = mamRowToLogLine(row({ username: 'bob', xml: msg(from, 'bob@example.com', '<body>note</body>') }), served);
    assert.deepEqual(r, { log: { type: 'chat', from, to: 'bob@example.com', body: 'note', attachments: [] } }, from);
  }
});

test('rooms: the room archive row once (real JID → room); private messages from the sender; a groupchat copy in a user archive is skipped', () => {
  const xml = msg('alice@example.com/slix', 'team@conference.example.com', '<body>hello room</body>', 'groupchat');
  assert.deepEqual(mamRowToLogLine(row({ username: 'team@conference.example.com', peer: 'alice@example.com/slix', kind: 'groupchat', nick: 'Alice', xml }), served), {
    log: { type: 'groupchat', from: 'alice@example.com/slix', to: 'team@conference.example.com', body: 'hello room', attachments: [] },
  });
  assert.ok('skip' in mamRowToLogLine(row({ xml: msg('team@conference.example.com/Bob', 'alice@example.com/slix', '<body>hello</body>', 'groupchat') }), served));
  const pm = msg('team@conference.example.com/Bob', 'alice@example.com/slix', "<x xmlns='http://jabber.org/protocol/muc#user'/><body>psst</body>");
  assert.ok('skip' in mamRowToLogLine(row({ xml: pm }), served));
});

test('type, attachments and encryption as the embedded server logs them; nothing to log is skipped', () => {
  const normal = mamRowToLogLine(row({ xml: msg('alice@example.com/a', 'bob@example.com', '<body>n</body>', '') }), served);
  assert.equal('log' in normal && normal.log.type, 'normal');
  const oob = mamRowToLogLine(row({ xml: msg('alice@example.com/a', 'bob@example.com', "<body>see</body><x xmlns='jabber:x:oob'><url>https://f.example.com/a.png</url></x>") }), served);
  assert.deepEqual('log' in oob && oob.log.attachments, ['https://f.example.com/a.png']);
  const omemo = mamRowToLogLine(row({ xml: msg('alice@example.com/a', 'bob@example.com', "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/><payload>AA</payload></encrypted><body>fallback</body>") }), served);
  assert.deepEqual('log' in omemo && [omemo.log.encrypted, omemo.log.body], ['omemo', '']);
  assert.ok('skip' in mamRowToLogLine(row({ xml: msg('alice@example.com/a', 'bob@example.com', "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>") }), served));
  assert.ok('skip' in mamRowToLogLine(row({ xml: msg('alice@example.com/a', 'bob@example.com', '<active xmlns="http://jabber.org/protocol/chatstates"/>') }), served));
  assert.ok('skip' in mamRowToLogLine(row({ xml: msg('bob@example.com', 'alice@example.com/a', '<body>x</body>', 'error') }), served));
});

test('bad rows are reported, never thrown: unparsable XML, not a message, an unknown type, a bad sender', () => {
  const bad = (xml: string) => {
    const r = mamRowToLogLine(row({ xml }), served);
    assert.ok('bad' in r, `${xml} → ${JSON.stringify(r)}`);
    return r.bad;
  };
  assert.match(bad("<message from='alice@example.com/a'><body>cut</bo"), /unparsable xml/);
  assert.match(bad(''), /unparsable xml/);
  assert.match(bad("<presence from='alice@example.com/a'/>"), /<presence\/> where a <message\/> was expected/);
  assert.match(bad(msg('alice@example.com/a', 'bob@example.com', '<body>x</body>', 'weird')), /unknown message type "weird"/);
  assert.match(bad(msg('', 'bob@example.com', '<body>x</body>')), /bad from/);
});

test("the gateway's own IMs (marked, the mark verifies for the archive's addresses) are skipped: logged when sent; a forged or moved mark is logged", async () => {
  const { serverImStanza, isServerImStanza } = await import('./ejabberd-server-im.ts');
  const key = Buffer.alloc(32, 7);
  const isServerIm = (stanza: Parameters<typeof isServerImStanza>[1], from: string, to: string) => isServerImStanza(key, stanza, from, to);
  // A SEM file may name any sender, e.g. a monitoring system's address on another domain: ejabberd
  // archives only the recipient's copy, which — without the mark — is a line like any remote message.
  const sent = (from: string) => {
    const m = serverImStanza(key, { id: 'sem-1', from, to: 'bob@example.com', body: 'backup done' });
    m.attrs.from = from;
    m.attrs.to = 'bob@example.com';
    return m.toString();
  };
  const copy = row({ username: 'bob', peer: 'nagios@monitor.example', xml: sent('nagios@monitor.example') });
  assert.deepEqual(mamRowToLogLine(copy, served, isServerIm), { skip: 'a server IM (the gateway logged it when it sent it)' });
  assert.ok('log' in mamRowToLogLine(copy, served), 'without the check the copy is a line');
  assert.ok('skip' in mamRowToLogLine(row({ username: 'bob', peer: 'herald@example.com', xml: sent('herald@example.com') }), served, isServerIm));
  // The mark copied onto a message from someone else, or checked under another key: a line.
  assert.ok('log' in mamRowToLogLine(row({ username: 'bob', peer: 'dan@remote.example/x', xml: sent('nagios@monitor.example').replace("from='nagios@monitor.example'", "from='dan@remote.example/x'") }), served, isServerIm));
  assert.ok('log' in mamRowToLogLine(copy, served, (s, f, t) => isServerImStanza(Buffer.alloc(32, 8), s, f, t)));
});
