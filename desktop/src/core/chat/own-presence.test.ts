import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../test-support/fake-clock.ts';
import type { OwnPresenceState } from '../../shared/chat.ts';
import { autoAway, createOwnPresence, presenceStanza } from './own-presence.ts';
import type { XmppConnection } from './xmpp-connection.ts';

const prefs = { enabled: true, awayMinutes: 5, xaMinutes: 30 };

test('auto-away: away after awayMinutes, xa after xaMinutes, back with input; only over "online"', () => {
  const online = { show: 'online' as const, status: 'Here' };
  assert.deepEqual(autoAway(online, 299, prefs), online);
  assert.deepEqual(autoAway(online, 300, prefs), { show: 'away', status: 'Here' });
  assert.deepEqual(autoAway(online, 1800, prefs), { show: 'xa', status: 'Here' });
  assert.deepEqual(autoAway(online, 0, prefs), online);
  for (const show of ['dnd', 'away', 'xa', 'invisible'] as const) assert.deepEqual(autoAway({ show }, 99_999, prefs), { show }, show);
  assert.deepEqual(autoAway(online, 99_999, { ...prefs, enabled: false }), online);
});

test('presence stanzas: show and status, invisible as unavailable, directed to a room occupant', () => {
  assert.equal(presenceStanza({ show: 'online' }).toString(), '<presence/>');
  assert.equal(presenceStanza({ show: 'dnd', status: 'Call <1h>' }).toString(), '<presence><show>dnd</show><status>Call &lt;1h&gt;</status></presence>');
  assert.equal(presenceStanza({ show: 'invisible', status: 'x' }).toString(), '<presence type="unavailable"/>');
  assert.equal(presenceStanza({ show: 'away' }, 'r@c/me').toString(), '<presence to="r@c/me"><show>away</show></presence>');
});

test('own presence: told on a choice and when auto-away starts or ends, not when nothing changed; stanzas follow', async () => {
  const clock = new FakeClock();
  let idle = 0;
  const stanzas: string[] = [];
  const conn = { state: { state: 'online' }, send: async (el: { toString(): string }) => (stanzas.push(el.toString()), true) } as unknown as XmppConnection;
  const told: OwnPresenceState[] = [];
  const own = createOwnPresence({ conn, clock, idle: { idleSeconds: () => idle }, prefs: () => ({ emoticons: true, autoAway: prefs }), rooms: () => [], onChange: (s) => told.push(s), checkMs: 1000 });
  await own.announce();
  assert.deepEqual(told, [], 'the first presence of a session is no change');
  assert.deepEqual(own.state(), { chosen: { show: 'online' }, shown: 'online' });

  await own.set({ show: 'online', status: 'Here' });
  await own.set({ show: 'online', status: 'Here' });
  assert.deepEqual(told, [{ chosen: { show: 'online', status: 'Here' }, shown: 'online' }], 'told once for one change');
  await clock.advance(3000);
  assert.equal(told.length, 1, 'idle checks that change nothing tell nothing');

  idle = 300;
  await clock.advance(1000);
  assert.deepEqual(told.at(-1), { chosen: { show: 'online', status: 'Here' }, shown: 'away' });
  await clock.advance(3000);
  idle = 1800;
  await clock.advance(1000);
  assert.deepEqual(told.at(-1), { chosen: { show: 'online', status: 'Here' }, shown: 'xa' });
  idle = 0;
  await clock.advance(1000);
  assert.deepEqual(told.at(-1), { chosen: { show: 'online', status: 'Here' }, shown: 'online' });
  assert.equal(told.length, 4);
  assert.deepEqual(stanzas, ['<presence/>', '<presence><status>Here</status></presence>', '<presence><show>away</show><status>Here</status></presence>', '<presence><show>xa</show><status>Here</status></presence>', '<presence><status>Here</status></presence>']);

  // dnd is not made away by idleness; offline is a choice too, and stops the idle watch.
  idle = 9999;
  await own.set({ show: 'dnd' });
  await clock.advance(3000);
  assert.deepEqual(told.slice(4), [{ chosen: { show: 'dnd' }, shown: 'dnd' }]);
  await own.set({ show: 'online' });
  await clock.advance(1000);
  assert.deepEqual(told.slice(5), [{ chosen: { show: 'online' }, shown: 'xa' }], 'idle already: straight to what is in effect');
  await own.set({ show: 'offline', status: 'Gone' });
  assert.deepEqual(told.at(-1), { chosen: { show: 'offline', status: 'Gone' }, shown: 'offline' });
  assert.equal(clock.pending, 0, 'no idle watch while offline');
});

test('own presence: when the session ends, auto-away no longer applies and what is shown is the choice again', async () => {
  const clock = new FakeClock();
  const conn = { state: { state: 'online' }, send: async () => true } as unknown as XmppConnection;
  const told: OwnPresenceState[] = [];
  const own = createOwnPresence({ conn, clock, idle: { idleSeconds: () => 600 }, prefs: () => ({ emoticons: true, autoAway: prefs }), rooms: () => [], onChange: (s) => told.push(s), checkMs: 1000 });
  await own.announce();
  assert.deepEqual(told, [{ chosen: { show: 'online' }, shown: 'away' }]);
  own.stop();
  own.stop();
  assert.deepEqual(told, [{ chosen: { show: 'online' }, shown: 'away' }, { chosen: { show: 'online' }, shown: 'online' }]);
  assert.deepEqual(own.state(), { chosen: { show: 'online' }, shown: 'online' });
});
