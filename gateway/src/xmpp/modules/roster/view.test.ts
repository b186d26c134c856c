import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountRow } from '../../../store/index.ts';
import { emptyRosterRow } from '../../../store/roster.ts';
import type { ServerContext } from '../../core/host.ts';
import { computeView, itemElement, liveDirectory, rosterItemsXml, rowMap } from './view.ts';

let id = 0;
const account = (address: string, displayName: string): AccountRow =>
  ({ id: ++id, address, local: address.split('@')[0]!, domain: address.split('@')[1]!, displayName, isAdmin: false }) as AccountRow;

const users: Record<string, AccountRow[]> = {
  'a.example': [account('ann@a.example', 'Ann <A&A>'), account('bob@a.example', "Bob O'Neil"), account('cat@a.example', 'Cat'), account('dan@a.example', 'Dan')],
  'b.example': [account('eve@b.example', 'Eve'), account('fay@b.example', 'Fay')],
  'c.example': [account('gus@c.example', 'Gus')],
};
// a.example is linked to b.example; c.example to nobody.
const ctx = {
  visibleDomains: (d: string) => (d === 'c.example' ? [d] : d === 'a.example' ? [d, 'b.example'] : [d, 'a.example']),
  domainUsers: (d: string) => users[d] ?? [],
} as unknown as ServerContext;

const classic = (owner: AccountRow, rows: ReturnType<typeof rowMap>) =>
  computeView(owner, rows, liveDirectory(ctx))
    .map((i) => itemElement(i).toString())
    .join('');

test('a roster from the shared serialization is exactly the items built one by one: no personal rows, and every kind of row', () => {
  const [ann, bob, cat] = users['a.example']!;
  const eve = users['b.example']![0]!;
  const gus = users['c.example']![0]!;
  assert.equal(rosterItemsXml(ctx, ann!, new Map())!.toString(), classic(ann!, new Map()));
  assert.equal(rosterItemsXml(ctx, eve, new Map())!.toString(), classic(eve, new Map()));
  assert.ok(!rosterItemsXml(ctx, ann!, new Map())!.toString().includes('ann@a.example'), 'no item for oneself');
  const rows = rowMap([
    { ...emptyRosterRow(ann!.id, bob!.address), hidden: true },
    { ...emptyRosterRow(ann!.id, cat!.address), inRoster: true, name: 'Kitty', groups: ['Friends', 'Team'] },
    { ...emptyRosterRow(ann!.id, eve.address), inRoster: true, name: null, groups: null },
    { ...emptyRosterRow(ann!.id, gus.address), inRoster: true, subTo: true, askOut: false },
  ]);
  const xml = rosterItemsXml(ctx, ann!, rows)!.toString();
  assert.equal(xml, classic(ann!, rows));
  assert.ok(!xml.includes('bob@a.example') && xml.includes('Kitty') && xml.includes('gus@c.example'));
  // Nobody visible and no personal rows: nothing.
  assert.equal(rosterItemsXml(ctx, gus, new Map()), undefined);
});
