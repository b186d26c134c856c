// Rosters stanza by stanza (RFC 6121 §2–3): the directory roster with personal edits on top
// (rename, groups, hiding a colleague, adding a user of an unlinked local domain), the presence
// subscription flow between such users, roster versioning, bad roster sets, and domains linked
// and unlinked with the CLI while the gateway runs. slixmpp's roster API: xmpp-roster-interop.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

const PW = 'correct horse battery';
const ROSTER = 'jabber:iq:roster';
const MAX_ITEMS = 8;
let gw: TestGateway;
let port: number;

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.rosterMaxItems': MAX_ITEMS });
  port = gw.xmppPort!;
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) await gw.user(`${u}@example.com`, PW);
  for (const u of ['olga', 'oscar', 'otto']) await gw.user(`${u}@other.example`, PW);
  await gw.user('tina@third.example', PW);
  for (const u of ['max', ...Array.from({ length: MAX_ITEMS + 1 }, (_, i) => `f${i + 1}`)]) await gw.user(`${u}@fill.example`, PW);
});
after(() => gw.destroy());

// ---- helpers ----------------------------------------------------------------------------------
type Client = RawClient & { jid: string };
let seq = 0;
const nextId = () => `q${++seq}`;

interface Item {
  jid: string;
  name?: string;
  subscription?: string;
  ask?: string;
  groups: string[];
}
const itemOf = (el: Element): Item => ({
  jid: el.attrs.jid ?? '',
  name: el.attrs.name,
  subscription: el.attrs.subscription,
  ask: el.attrs.ask,
  groups: el.getChildren('group').map((g) => g.getText()),
});
const itemsOf = (iq: Element): Item[] => iq.getChild('query', ROSTER)?.getChildren('item').map(itemOf) ?? [];
const byJid = (iq: Element) => new Map(itemsOf(iq).map((i) => [i.jid, i]));

async function rosterGet(c: Client, ver?: string): Promise<Element> {
  const id = nextId();
  c.send(`<iq type='get' id='${id}'><query xmlns='${ROSTER}'${ver === undefined ? '' : ` ver='${ver}'`}/></iq>`);
  return c.next((e) => e.attrs.id === id);
}
async function rosterSet(c: Client, inner: string, attrs = ''): Promise<Element> {
  const id = nextId();
  c.send(`<iq type='set' id='${id}'${attrs}><query xmlns='${ROSTER}'>${inner}</query></iq>`);
  return c.next((e) => e.attrs.id === id);
}
const isPush = (jid?: string) => (e: Element) =>
  e.name === 'iq' && e.attrs.type === 'set' && !!e.getChild('query', ROSTER) && (!jid || e.getChild('query')!.getChild('item')?.attrs.jid === jid);
const pushItem = (push: Element) => itemOf(push.getChild('query')!.getChild('item')!);
const isPresence = (from: string, type?: string) => (e: Element) => e.name === 'presence' && e.attrs.from === from && e.attrs.type === type;
const errorOf = (e: Element) => {
  const err = e.getChild('error');
  return err && { type: err.attrs.type, condition: err.children.find((c) => typeof c !== 'string' && c.name !== 'text') as Element | undefined, text: err.getChildText('text') };
};
const conditionOf = (e: Element) => errorOf(e)?.condition?.name;

/** A ping round trip: everything the server sent this client before it is now in `received`. */
async function sync(c: Client): Promise<void> {
  const id = nextId();
  c.send(`<iq type='get' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await c.next((e) => e.attrs.id === id);
}
const count = (c: Client, pred: (e: Element) => boolean) => c.received.filter(pred).length;

async function online(address: string, resource: string, opts: { roster?: boolean; presence?: string } = {}): Promise<Client> {
  const c = await login(port, address, PW, resource);
  if (opts.roster !== false) await rosterGet(c);
  if (opts.presence !== undefined) {
    c.send(opts.presence || '<presence/>');
    await sync(c);
  }
  return c;
}

const root = path.resolve(import.meta.dirname, '../..');
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'herald-gateway.mjs'), ...args, '--data', gw.dataDir], { env: { ...process.env, HERALD_LOG_LEVEL: 'silent' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// ---- the tests --------------------------------------------------------------------------------

test('rename and regroup a colleague: pushed to every interested resource with the new version; stored; the directory name stays the default', async () => {
  const laptop = await online('alice@example.com', 'laptop');
  const phone = await online('alice@example.com', 'phone');
  const quiet = await online('alice@example.com', 'quiet', { roster: false }); // never asked for the roster
  const first = await rosterGet(laptop);
  const ver0 = first.getChild('query')!.attrs.ver!;
  assert.deepEqual(byJid(first).get('bob@example.com'), { jid: 'bob@example.com', name: 'Bob', subscription: 'both', ask: undefined, groups: ['example.com'] });
  assert.equal(byJid(first).has('olga@other.example'), false, 'other domains are not contacts');
  assert.equal(byJid(first).has('alice@example.com'), false, 'nobody is their own contact');

  const result = await rosterSet(laptop, `<item jid='bob@example.com' name='Bobby'><group>Team</group><group>Lunch</group></item>`);
  assert.equal(result.attrs.type, 'result');
  const pushes = await Promise.all([laptop.next(isPush('bob@example.com')), phone.next(isPush('bob@example.com'))]);
  for (const p of pushes) {
    assert.deepEqual(pushItem(p), { jid: 'bob@example.com', name: 'Bobby', subscription: 'both', ask: undefined, groups: ['Team', 'Lunch'] });
    assert.notEqual(p.getChild('query')!.attrs.ver, ver0, 'the push carries the new version');
  }
  const ver1 = pushes[0].getChild('query')!.attrs.ver!;
  assert.equal(pushes[1].getChild('query')!.attrs.ver, ver1);
  await sync(quiet);
  assert.equal(count(quiet, isPush()), 0, 'a resource that never asked for the roster gets no pushes (RFC 6121 §2.2)');

  // Versioning: the current version → empty result; the old one → the whole roster, with the edit.
  assert.equal((await rosterGet(phone, ver1)).getChild('query'), undefined);
  const again = await rosterGet(phone, ver0);
  assert.equal(again.getChild('query')!.attrs.ver, ver1);
  assert.equal(byJid(again).get('bob@example.com')?.name, 'Bobby');

  // Stored per user: a new login sees it; bob's own roster is not touched.
  const later = await online('alice@example.com', 'later');
  assert.deepEqual(byJid(await rosterGet(later)).get('bob@example.com')?.groups, ['Team', 'Lunch']);
  const bob = await online('bob@example.com', 'desk');
  assert.equal(byJid(await rosterGet(bob)).get('alice@example.com')?.name, 'Alice');

  // No name: back to the directory's; no group: no group at all (RFC 6121 §2.1.2.6).
  await rosterSet(laptop, `<item jid='bob@example.com'/>`);
  const reset = pushItem(await phone.next(isPush('bob@example.com')));
  assert.deepEqual([reset.name, reset.groups], ['Bob', []]);
  for (const c of [laptop, phone, quiet, later, bob]) c.close();
});

test('hiding a colleague: removed from the roster, its presence stops reaching the hider while the colleague still sees the hider; adding it back restores it', async () => {
  const carol = await online('carol@example.com', 'c1', { presence: `<presence><status>here</status></presence>` });
  const dave = await online('dave@example.com', 'd1', { presence: '' });
  const d2 = await online('dave@example.com', 'd2', { presence: '' });
  assert.ok(await dave.next(isPresence('carol@example.com/c1')));

  const removed = await rosterSet(dave, `<item jid='carol@example.com' subscription='remove'/>`);
  assert.equal(removed.attrs.type, 'result');
  for (const c of [dave, d2]) {
    assert.deepEqual(pushItem(await c.next(isPush('carol@example.com'))), { jid: 'carol@example.com', name: undefined, subscription: 'remove', ask: undefined, groups: [] });
    assert.ok(await c.next(isPresence('carol@example.com/c1', 'unavailable')), 'the hidden colleague is shown offline at once');
  }
  assert.equal(byJid(await rosterGet(dave)).has('carol@example.com'), false);

  // Carol's presence no longer reaches dave; dave's still reaches carol (her roster is hers).
  const before = count(dave, (e) => e.name === 'presence' && e.attrs.from === 'carol@example.com/c1');
  carol.send(`<presence><show>away</show></presence>`);
  await sync(carol);
  await sync(dave);
  assert.equal(count(dave, (e) => e.name === 'presence' && e.attrs.from === 'carol@example.com/c1'), before, 'no presence from a hidden contact');
  dave.send(`<presence><show>dnd</show></presence>`);
  assert.equal((await carol.next((e) => isPresence('dave@example.com/d1')(e) && e.getChildText('show') === 'dnd')).getChildText('show'), 'dnd');
  assert.ok(byJid(await rosterGet(carol)).has('dave@example.com'), 'carol still has dave');
  // A probe for a hidden contact reveals nothing either.
  dave.send(`<presence type='probe' to='carol@example.com'/>`);
  await sync(dave);
  assert.equal(count(dave, (e) => e.name === 'presence' && e.attrs.from === 'carol@example.com/c1'), before);

  // A new login of the hider does not get the hidden contact's presence either.
  const d3 = await online('dave@example.com', 'd3', { presence: '' });
  assert.equal(count(d3, (e) => e.name === 'presence' && e.attrs.from === 'carol@example.com/c1'), 0);
  assert.equal(byJid(await rosterGet(d3)).has('carol@example.com'), false, 'hidden across logins');

  // Removing it again: it is not on the roster.
  assert.equal(conditionOf(await rosterSet(dave, `<item jid='carol@example.com' subscription='remove'/>`)), 'item-not-found');

  // Added back: pushed with the directory's name, and her presence comes at once.
  assert.equal((await rosterSet(d2, `<item jid='carol@example.com'><group>Friends</group></item>`)).attrs.type, 'result');
  const back = pushItem(await dave.next((e) => isPush('carol@example.com')(e) && pushItem(e).subscription !== 'remove'));
  assert.deepEqual(back, { jid: 'carol@example.com', name: 'Carol', subscription: 'both', ask: undefined, groups: ['Friends'] });
  assert.equal((await d3.next((e) => isPresence('carol@example.com/c1')(e))).getChildText('show'), 'away');
  carol.send(`<presence><show>chat</show></presence>`);
  assert.ok(await dave.next((e) => isPresence('carol@example.com/c1')(e) && e.getChildText('show') === 'chat'), 'presence flows again');

  // A subscribe also brings a hidden colleague back (it is how many clients "add" a contact).
  await rosterSet(dave, `<item jid='erin@example.com' subscription='remove'/>`);
  await dave.next(isPush('erin@example.com'));
  dave.send(`<presence type='subscribe' to='erin@example.com'/>`);
  assert.ok(await dave.next((e) => e.name === 'presence' && e.attrs.type === 'subscribed' && e.attrs.from === 'erin@example.com'));
  assert.equal(pushItem(await dave.next(isPush('erin@example.com'))).subscription, 'both');
  for (const c of [carol, dave, d2, d3]) c.close();
});

test('a user of an unlinked local domain: added by hand, then the RFC 6121 §3 subscription flow, requests kept and re-delivered at login', async () => {
  const alice = await online('alice@example.com', 'sub', { presence: '' });
  const a2 = await online('alice@example.com', 'sub2', { presence: '' });

  // Add: a personal item with no subscription yet.
  assert.equal((await rosterSet(alice, `<item jid='olga@other.example' name='Olga (sales)'><group>Partners</group></item>`)).attrs.type, 'result');
  assert.deepEqual(pushItem(await a2.next(isPush('olga@other.example'))), { jid: 'olga@other.example', name: 'Olga (sales)', subscription: 'none', ask: undefined, groups: ['Partners'] });

  // Subscribe while olga is offline: ask="subscribe" on alice's item; the request waits for olga.
  alice.send(`<presence type='subscribe' to='olga@other.example'><status>Alice from example.com</status></presence>`);
  const asked = pushItem(await a2.next(isPush('olga@other.example')));
  assert.deepEqual([asked.subscription, asked.ask], ['none', 'subscribe']);

  let olga = await online('olga@other.example', 'o1');
  assert.equal(byJid(await rosterGet(olga)).has('alice@example.com'), false, 'a pending request is not a roster item');
  olga.send('<presence/>');
  const request = await olga.next((e) => e.name === 'presence' && e.attrs.type === 'subscribe');
  assert.equal(request.attrs.from, 'alice@example.com', 'from the bare JID (RFC 6121 §3.1.2)');
  assert.equal(request.getChildText('status'), 'Alice from example.com');
  olga.close();
  await olga.closed;
  // Still unanswered: delivered again at the next login (RFC 6121 §3.1.3).
  olga = await online('olga@other.example', 'o2', { presence: '' });
  await olga.next((e) => e.name === 'presence' && e.attrs.type === 'subscribe' && e.attrs.from === 'alice@example.com');
  // Alice's presence does not reach olga yet.
  alice.send(`<presence><status>before approval</status></presence>`);
  await sync(alice);
  await sync(olga);
  assert.equal(count(olga, (e) => e.name === 'presence' && e.attrs.from === 'alice@example.com/sub' && !e.attrs.type), 0);

  // Olga approves: both sides pushed, alice told, and olga's presence reaches alice.
  olga.send(`<presence type='subscribed' to='alice@example.com'/>`);
  assert.deepEqual(pushItem(await olga.next(isPush('alice@example.com'))), { jid: 'alice@example.com', name: 'Alice', subscription: 'from', ask: undefined, groups: ['example.com'] });
  const to = pushItem(await a2.next((e) => isPush('olga@other.example')(e) && pushItem(e).subscription === 'to'));
  assert.equal(to.ask, undefined);
  assert.ok(await alice.next((e) => e.name === 'presence' && e.attrs.type === 'subscribed' && e.attrs.from === 'olga@other.example'));
  assert.ok(await alice.next(isPresence('olga@other.example/o2')), "olga's current presence follows the approval");
  olga.send(`<presence><show>xa</show></presence>`);
  assert.ok(await a2.next((e) => isPresence('olga@other.example/o2')(e) && e.getChildText('show') === 'xa'), 'her presence changes reach alice');
  const a3 = await online('alice@example.com', 'sub3', { presence: '' });
  assert.equal((await a3.next(isPresence('olga@other.example/o2'))).getChildText('show'), 'xa', "a new resource of alice gets olga's presence at its initial presence");
  a3.close();
  alice.send(`<presence><show>away</show></presence>`);
  await sync(alice);
  await sync(olga);
  assert.equal(count(olga, (e) => e.name === 'presence' && e.attrs.from === 'alice@example.com/sub' && !e.attrs.type), 0, 'one-way: olga is not subscribed to alice');
  // Requests answered are not delivered again.
  const o3 = await online('olga@other.example', 'o3', { presence: '' });
  assert.equal(count(o3, (e) => e.name === 'presence' && e.attrs.type === 'subscribe'), 0);
  o3.close();

  // The other way round: olga asks, alice approves → both.
  olga.send(`<presence type='subscribe' to='alice@example.com'/>`);
  await alice.next((e) => e.name === 'presence' && e.attrs.type === 'subscribe' && e.attrs.from === 'olga@other.example');
  alice.send(`<presence type='subscribed' to='olga@other.example'/>`);
  assert.equal(pushItem(await a2.next((e) => isPush('olga@other.example')(e) && pushItem(e).subscription === 'both')).name, 'Olga (sales)');
  assert.equal(pushItem(await olga.next((e) => isPush('alice@example.com')(e) && pushItem(e).subscription === 'both')).subscription, 'both');
  assert.ok(await olga.next((e) => isPresence('alice@example.com/sub')(e) && e.getChildText('show') === 'away'), "alice's presence now reaches olga");

  // Alice cancels her subscription (§3.3): alice "from", olga "to"; olga told; alice sees olga go.
  alice.send(`<presence type='unsubscribe' to='olga@other.example'/>`);
  assert.equal(pushItem(await a2.next((e) => isPush('olga@other.example')(e) && pushItem(e).subscription === 'from')).subscription, 'from');
  assert.equal(pushItem(await olga.next((e) => isPush('alice@example.com')(e) && pushItem(e).subscription === 'to')).subscription, 'to');
  assert.ok(await olga.next((e) => e.name === 'presence' && e.attrs.type === 'unsubscribe' && e.attrs.from === 'alice@example.com'));
  assert.ok(await alice.next(isPresence('olga@other.example/o2', 'unavailable')));

  // Alice revokes olga's subscription (§3.2): none both sides; olga told and sees alice go.
  alice.send(`<presence type='unsubscribed' to='olga@other.example'/>`);
  assert.equal(pushItem(await olga.next((e) => isPush('alice@example.com')(e) && pushItem(e).subscription === 'none')).subscription, 'none');
  assert.ok(await olga.next((e) => e.name === 'presence' && e.attrs.type === 'unsubscribed' && e.attrs.from === 'alice@example.com'));
  assert.ok(await olga.next(isPresence('alice@example.com/sub', 'unavailable')));
  assert.equal(byJid(await rosterGet(alice)).get('olga@other.example')?.subscription, 'none');

  // A refused request (§3.2.1): oscar denies; alice's ask goes away and she is told.
  const oscar = await online('oscar@other.example', 'x', { presence: '' });
  alice.send(`<presence type='subscribe' to='oscar@other.example'/>`);
  await oscar.next((e) => e.name === 'presence' && e.attrs.type === 'subscribe');
  assert.equal(pushItem(await a2.next(isPush('oscar@other.example'))).ask, 'subscribe', 'a subscribe adds the item (§3.1.2)');
  oscar.send(`<presence type='unsubscribed' to='alice@example.com'/>`);
  const denied = pushItem(await a2.next((e) => isPush('oscar@other.example')(e) && !pushItem(e).ask));
  assert.equal(denied.subscription, 'none');
  assert.ok(await alice.next((e) => e.name === 'presence' && e.attrs.type === 'unsubscribed' && e.attrs.from === 'oscar@other.example'));

  // Removing a personal contact cancels what is left both ways and takes it off the roster.
  olga.send(`<presence type='subscribe' to='alice@example.com'/>`);
  await alice.next((e) => e.name === 'presence' && e.attrs.type === 'subscribe' && e.attrs.from === 'olga@other.example');
  assert.equal((await rosterSet(alice, `<item jid='olga@other.example' subscription='remove'/>`)).attrs.type, 'result');
  assert.equal(pushItem(await a2.next((e) => isPush('olga@other.example')(e) && pushItem(e).subscription === 'remove')).subscription, 'remove');
  assert.ok(await olga.next((e) => e.name === 'presence' && e.attrs.type === 'unsubscribed' && e.attrs.from === 'alice@example.com'), 'her pending request is refused');
  assert.equal(byJid(await rosterGet(alice)).has('olga@other.example'), false);
  const o4 = await online('olga@other.example', 'o4', { presence: '' });
  assert.equal(count(o4, (e) => e.name === 'presence' && e.attrs.type === 'subscribe'), 0, 'nothing pending any more');
  for (const c of [alice, a2, olga, oscar, o4]) c.close();
});

test('bad roster sets and subscriptions get the right stanza errors, and nothing else changes', async () => {
  const max = await online('max@fill.example', 'm1');
  const watcher = await online('max@fill.example', 'm2');
  const ver = (await rosterGet(max)).getChild('query')!.attrs.ver!;
  const cases: [string, string, string, string?][] = [
    ['two items', `<item jid='f1@fill.example'/><item jid='f2@fill.example'/>`, 'bad-request'],
    ['no item', '', 'bad-request'],
    ['a malformed JID', `<item jid='a@b@c'/>`, 'jid-malformed'],
    ['a full JID', `<item jid='f1@fill.example/phone'/>`, 'jid-malformed'],
    ['no JID', `<item name='x'/>`, 'jid-malformed'],
    ['a server', `<item jid='fill.example'/>`, 'not-acceptable'],
    ['oneself', `<item jid='max@fill.example' name='me'/>`, 'not-allowed'],
    ['a remote user', `<item jid='someone@jabber.org'/>`, 'remote-server-not-found', 'no server-to-server'],
    ['an unknown local user', `<item jid='ghost@fill.example'/>`, 'item-not-found', 'no user ghost@fill.example'],
    ['a name too long', `<item jid='f1@fill.example' name='${'n'.repeat(257)}'/>`, 'not-acceptable', 'at most 256 characters'],
    ['a group too long', `<item jid='f1@fill.example'><group>${'g'.repeat(257)}</group></item>`, 'not-acceptable'],
    ['an empty group', `<item jid='f1@fill.example'><group></group></item>`, 'not-acceptable'],
    ['a group twice', `<item jid='f1@fill.example'><group>A</group><group>A</group></item>`, 'bad-request'],
    ['too many groups', `<item jid='f1@fill.example'>${Array.from({ length: 33 }, (_, i) => `<group>g${i}</group>`).join('')}</item>`, 'not-acceptable', 'at most 32 groups'],
    ['removing what is not there', `<item jid='oscar@other.example' subscription='remove'/>`, 'item-not-found'],
  ];
  for (const [what, inner, condition, text] of cases) {
    const reply = await rosterSet(max, inner);
    assert.equal(reply.attrs.type, 'error', what);
    assert.equal(conditionOf(reply), condition, `${what}: ${reply.toString()}`);
    if (text) assert.match(errorOf(reply)?.text ?? '', new RegExp(text), what);
  }
  // Someone else's roster: forbidden, to read and to change.
  const other = await rosterSet(max, `<item jid='f2@fill.example' name='x'/>`, ` to='f1@fill.example'`);
  assert.equal(conditionOf(other), 'forbidden');
  const id = nextId();
  max.send(`<iq type='get' id='${id}' to='f1@fill.example'><query xmlns='${ROSTER}'/></iq>`);
  assert.equal(conditionOf(await max.next((e) => e.attrs.id === id)), 'forbidden');
  // 32 groups of 256 characters are fine; a name of 256 characters (not bytes) too.
  const wide = await rosterSet(max, `<item jid='f1@fill.example' name='${'é'.repeat(256)}'>${Array.from({ length: 32 }, (_, i) => `<group>${String(i).padStart(256, 'g')}</group>`).join('')}</item>`);
  assert.equal(wide.attrs.type, 'result', wide.toString());
  assert.equal(pushItem(await watcher.next(isPush('f1@fill.example'))).groups.length, 32);
  // The limit on personal entries: f1 is one; seven more fit, the next is refused; editing one still works.
  for (let i = 2; i <= MAX_ITEMS; i++) assert.equal((await rosterSet(max, `<item jid='f${i}@fill.example' name='F${i}'/>`)).attrs.type, 'result');
  const over = await rosterSet(max, `<item jid='f${MAX_ITEMS + 1}@fill.example' name='one too many'/>`);
  assert.equal(conditionOf(over), 'resource-constraint');
  assert.match(errorOf(over)?.text ?? '', /at most 8 personal entries/);
  assert.equal(conditionOf(await rosterSet(max, `<item jid='f${MAX_ITEMS + 1}@fill.example' subscription='remove'/>`)), 'resource-constraint', 'hiding is an entry too');
  assert.equal((await rosterSet(max, `<item jid='f2@fill.example' name='still editable'/>`)).attrs.type, 'result');
  // Subscriptions to what cannot be reached.
  max.send(`<presence type='subscribe' to='someone@jabber.org' id='s1'/>`);
  const remote = await max.next((e) => e.name === 'presence' && e.attrs.id === 's1');
  assert.deepEqual([remote.attrs.type, conditionOf(remote)], ['error', 'remote-server-not-found']);
  max.send(`<presence type='subscribe' to='ghost@other.example'/>`);
  assert.ok(await max.next((e) => e.name === 'presence' && e.attrs.type === 'unsubscribed' && e.attrs.from === 'ghost@other.example'), 'no such user: refused on its behalf');

  // Nothing else changed: the roster is the directory plus exactly the accepted edits.
  await sync(watcher);
  const pushed = watcher.received.filter(isPush()).map((p) => pushItem(p).jid);
  assert.deepEqual(pushed, ['f1@fill.example', ...Array.from({ length: MAX_ITEMS - 1 }, (_, i) => `f${i + 2}@fill.example`), 'f2@fill.example'], 'one push per accepted edit, none for the refused ones');
  const now = await rosterGet(max);
  assert.notEqual(now.getChild('query')!.attrs.ver, ver);
  assert.deepEqual(
    itemsOf(now).map((i) => `${i.jid} ${i.name} ${i.subscription}`),
    [
      `f1@fill.example ${'é'.repeat(256)} both`,
      'f2@fill.example still editable both',
      ...Array.from({ length: MAX_ITEMS - 2 }, (_, i) => `f${i + 3}@fill.example F${i + 3} both`),
      `f${MAX_ITEMS + 1}@fill.example F${MAX_ITEMS + 1} both`,
    ],
  );
  max.close();
  watcher.close();
});

test('domains linked and unlinked with the CLI while the gateway runs: rosters pushed live, presence flows, personal items stay', async () => {
  const erin = await online('erin@example.com', 'e1', { presence: '' });
  const tina = await online('tina@third.example', 't1', { presence: `<presence><status>in Lyon</status></presence>` });
  const verBefore = (await rosterGet(erin)).getChild('query')!.attrs.ver!;

  const link = await cli('domain', 'link', 'example.com', 'third.example');
  assert.equal(link.code, 0, link.stderr);
  assert.match(link.stdout, /linked example\.com and third\.example/);
  const tinaItem = await erin.next(isPush('tina@third.example'), 8000);
  assert.deepEqual(pushItem(tinaItem), { jid: 'tina@third.example', name: 'Tina', subscription: 'both', ask: undefined, groups: ['third.example'] });
  assert.notEqual(tinaItem.getChild('query')!.attrs.ver, verBefore);
  assert.equal((await erin.next(isPresence('tina@third.example/t1'))).getChildText('status'), 'in Lyon', 'presence flows at once');
  // Tina gets the whole of example.com; the last push carries the version a roster get reports.
  const batch: Element[] = [];
  while (batch.length < 7) batch.push(await tina.next(isPush()));
  assert.deepEqual(batch.map((p) => pushItem(p).jid).sort(), ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'].map((u) => `${u}@example.com`));
  const vers = batch.map((p) => p.getChild('query')!.attrs.ver!);
  assert.equal(new Set(vers).size, 7, 'each push of a batch has its own version');
  assert.equal((await rosterGet(tina, vers[6])).getChild('query'), undefined, "the last push's version is current");
  // A client cut off after the first push of the batch holds its version: it gets everything again.
  assert.equal(itemsOf(await rosterGet(tina, vers[0])).length, 7);
  assert.ok(await tina.next(isPresence('erin@example.com/e1')));
  erin.send(`<presence><show>away</show></presence>`);
  assert.ok(await tina.next((e) => isPresence('erin@example.com/e1')(e) && e.getChildText('show') === 'away'));

  const list = await cli('domain', 'list');
  assert.match(list.stdout, /example\.com\s+IM on\s+users 7\s+linked third\.example/);
  assert.match(list.stdout, /third\.example\s+IM on\s+users 1\s+linked example\.com/);
  assert.match(list.stdout, /other\.example\s+IM on\s+users 3\n/, 'unlinked domains list no links');

  // A user added to a linked domain is pushed too.
  assert.equal((await cli('user', 'add', 'tom@third.example', '--password', 'tom password 1')).code, 0);
  assert.equal(pushItem(await erin.next(isPush('tom@third.example'), 8000)).subscription, 'both');

  // Erin renames tina (a personal edit on a directory contact); after the unlink it stays, unsubscribed.
  await rosterSet(erin, `<item jid='tina@third.example' name='Tina (Lyon)'><group>Partners</group></item>`);
  await erin.next((e) => isPush('tina@third.example')(e) && pushItem(e).name === 'Tina (Lyon)');

  // Mistakes: clear errors, nothing changed.
  const unknown = await cli('domain', 'link', 'example.com', 'nowhere.example');
  assert.deepEqual([unknown.code, /no domain nowhere\.example/.test(unknown.stderr)], [1, true], unknown.stderr);
  const self = await cli('domain', 'link', 'example.com', 'EXAMPLE.com');
  assert.deepEqual([self.code, /cannot link example\.com with itself/.test(self.stderr)], [1, true], self.stderr);
  assert.equal((await cli('domain', 'link', 'example.com')).code, 2, 'usage error');
  const twice = await cli('domain', 'link', 'third.example', 'example.com');
  assert.deepEqual([twice.code, twice.stdout.includes('already linked')], [0, true], 'symmetric: b a is the same link');
  const notLinked = await cli('domain', 'unlink', 'example.com', 'other.example');
  assert.deepEqual([notLinked.code, /not linked/.test(notLinked.stderr)], [1, true]);

  const unlink = await cli('domain', 'unlink', 'third.example', 'example.com');
  assert.equal(unlink.code, 0, unlink.stderr);
  const gone = pushItem(await erin.next((e) => isPush('tina@third.example')(e) && pushItem(e).subscription !== 'both', 8000));
  assert.deepEqual(gone, { jid: 'tina@third.example', name: 'Tina (Lyon)', subscription: 'none', ask: undefined, groups: ['Partners'] }, 'her own edit stays, unsubscribed');
  assert.equal(pushItem(await erin.next(isPush('tom@third.example'))).subscription, 'remove');
  assert.ok(await erin.next(isPresence('tina@third.example/t1', 'unavailable')), 'presence stops');
  assert.ok(await tina.next(isPresence('erin@example.com/e1', 'unavailable')));
  assert.deepEqual([...byJid(await rosterGet(tina)).keys()], ['tom@third.example'], 'only her own domain is left');
  assert.doesNotMatch((await cli('domain', 'list')).stdout, /linked/);
  erin.close();
  tina.close();
});

test('users removed with the CLI leave the rosters they were on, personal ones included', async () => {
  const gina = await online('gina@example.com', 'g1', { presence: '' });
  await rosterSet(gina, `<item jid='otto@other.example'/>`);
  await gina.next(isPush('otto@other.example'));
  assert.equal((await cli('user', 'del', 'otto@other.example')).code, 0);
  assert.equal(pushItem(await gina.next((e) => isPush('otto@other.example')(e) && pushItem(e).subscription === 'remove', 8000)).subscription, 'remove');
  assert.equal(byJid(await rosterGet(gina)).has('otto@other.example'), false);
  gina.close();
});
