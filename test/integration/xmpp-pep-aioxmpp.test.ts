// PEP with a second client nobody here wrote: Debian's aioxmpp and its own services —
// BookmarkClient (XEP-0048 over private XML) across a client restart, AvatarService (XEP-0084
// with vCard sync) from one resource to another and to a colleague, PubSubClient publishing an
// OMEMO device list under xmpp.e2ee deny and allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import { runAioxmpp } from '../fixtures/aioxmpp.ts';

const PW = { alice: 'alice xmpp pw', bob: 'bob xmpp pw', olga: 'olga xmpp pw' };
const env = interopSetup(PW, { overrides: { 'xmpp.e2ee.domains': { 'open.example': 'allow' } }, domains: { olga: 'open.example' } });
const as = (user: keyof typeof PW, resource: string, action: string, extra: Record<string, unknown> = {}) =>
  runAioxmpp({ jid: `${env.address(user)}/${resource}`, password: PW[user], host: '127.0.0.1', port: env.gw.xmppPort!, action, ...extra });

test('aioxmpp: bookmarks set through private XML survive the client’s restart and are the XEP-0402 items', async () => {
  const set = await as('alice', 'a1', 'bookmarks_set', { conferences: [{ jid: 'ops@conference.example.com', name: 'Ops', nick: 'al', autojoin: true }] }).result;
  assert.equal(set.ok, true, set.error);
  const got = await as('alice', 'a2', 'bookmarks_get').result;
  assert.equal(got.ok, true, got.error);
  assert.deepEqual(got.conferences, [{ jid: 'ops@conference.example.com', name: 'Ops', nick: 'al', autojoin: true }]);
  const account = env.gw.services.store.accounts.byAddress('alice@example.com')!;
  assert.deepEqual(env.gw.services.store.pep.items(account.id, 'urn:xmpp:bookmarks:1').map((i) => i.id), ['ops@conference.example.com']);
});

test('aioxmpp: an avatar published on one resource reaches another resource and a colleague', async () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001080600000000aioxmpp', 'utf8');
  const id = (await import('node:crypto')).createHash('sha1').update(png).digest('hex');
  const colleague = as('bob', 'watch', 'avatar_wait', { of: 'alice@example.com', id });
  const otherResource = as('alice', 'watch', 'avatar_wait', { of: 'alice@example.com', id });
  await Promise.all([colleague.ready, otherResource.ready]);
  const pub = await as('alice', 'pub', 'avatar_publish', { png_b64: png.toString('base64') }).result;
  assert.equal(pub.ok, true, pub.error);
  assert.equal(pub.avatar_id, id);
  for (const w of [colleague, otherResource]) {
    const r = await w.result;
    assert.equal(r.ok, true, r.error);
    assert.equal(r.data_b64, png.toString('base64'));
  }
});

test('aioxmpp: an OMEMO device list is refused under e2ee deny (with the policy text) and accepted under allow', async () => {
  const denied = await as('alice', 'omemo', 'omemo_publish').result;
  assert.equal(denied.ok, false);
  assert.match(denied.error ?? '', /not-allowed/);
  assert.match(denied.error ?? '', /company's policy/);
  const allowed = await as('olga', 'omemo', 'omemo_publish').result;
  assert.equal(allowed.ok, true, allowed.error);
});
