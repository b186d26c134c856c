import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoAway, presenceStanza } from './own-presence.ts';

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
