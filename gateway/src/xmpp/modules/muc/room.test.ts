import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Element } from 'ltx';
import type { Session } from '../../core/session.ts';
import { addClient, defaultConfig, key, occupantOf, roomFromStore, type Occupant } from './room.ts';

const session = {} as Session;
function occupant(nick: string, bare: string): Occupant {
  return { nick, bare, jid: `${bare}/a`, sessions: new Map(), role: 'participant', presence: new Element('presence') };
}

test('occupantOf finds a client by its full JID, and not once it left, was removed, or the room was emptied', () => {
  const room = roomFromStore({ jid: 'r@conference.example.com', config: defaultConfig(), subject: '', subjectBy: '', affiliations: new Map(), createdAt: 0 });
  const ann = occupant('Ann', 'ann@example.com');
  const bob = occupant('Bob', 'bob@example.com');
  room.occupants.set(key(ann.nick), ann);
  room.occupants.set(key(bob.nick), bob);
  addClient(room, ann, 'ann@example.com/a', session);
  addClient(room, ann, 'ann@example.com/b', session);
  addClient(room, bob, 'bob@example.com/a', session);
  assert.equal(occupantOf(room, 'ann@example.com/b'), ann);
  assert.equal(occupantOf(room, 'bob@example.com/a'), bob);
  assert.equal(occupantOf(room, 'bob@example.com/b'), undefined);
  // One client of ann leaves: her other client is still her.
  ann.sessions.delete('ann@example.com/a');
  assert.equal(occupantOf(room, 'ann@example.com/a'), undefined);
  assert.equal(occupantOf(room, 'ann@example.com/b'), ann);
  // bob is kicked (out of the room by nick only): his client is no occupant any more.
  room.occupants.delete(key(bob.nick));
  assert.equal(occupantOf(room, 'bob@example.com/a'), undefined);
  // A nick change keeps the occupant.
  room.occupants.delete(key(ann.nick));
  ann.nick = 'Annie';
  room.occupants.set(key(ann.nick), ann);
  assert.equal(occupantOf(room, 'ann@example.com/b'), ann);
  room.occupants.clear();
  assert.equal(occupantOf(room, 'ann@example.com/b'), undefined);
});
