// XEP-0092 from Herald's own app: the desktop core's chat, connected to a real gateway, answers
// the gateway's jabber:iq:version query with "Herald Desktop", the app's version (what the About
// window shows: Electron's app.getVersion(), the package's version) and its OS family — so the
// admin console's Sessions page names it instead of "unknown". The admin API is read by a signed-in
// Chromium, as the console does.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { osFamily } from '../../desktop/src/core/chat/software-version.ts';
import type { LiveSession } from '../../gateway/src/protocol/admin-api.ts';
import { chromiumMissing, launchChromium, openPage, type OpenedPage } from '../fixtures/chromium.ts';
import { startSlixmpp } from '../fixtures/slixmpp.ts';
import { signInForm } from './admin-console-helpers.ts';
import { addr, newChat, startGatewayServer, until, type TestChat } from './desktop-chat-helpers.ts';

const skip = chromiumMissing();
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const ADMIN = 'ann@example.com';
const PW = 'admin password 123';

let srv: Awaited<ReturnType<typeof startGatewayServer>>;
let browser: Browser;
let tab: OpenedPage;
let alice: TestChat;

before(async () => {
  if (skip) return;
  srv = await startGatewayServer();
  await srv.gw().user(ADMIN, PW);
  srv.gw().services.store.accounts.setAdmin(ADMIN, true);
  browser = await launchChromium();
  tab = await openPage(browser);
  assert.equal(await signInForm(tab.page, srv.gw().url, ADMIN, PW), 303);
});

after(async () => {
  await alice?.chat.disconnect().catch(() => {});
  await tab?.close();
  await browser?.close();
  await srv?.destroy();
  if (alice) rmSync(alice.dir, { recursive: true, force: true });
});

const sessions = async (): Promise<LiveSession[]> => {
  const r = await tab.page.request.get(`${srv.gw().url}/api/v1/admin/sessions`);
  assert.equal(r.status(), 200);
  return ((await r.json()) as { sessions: LiveSession[] }).sessions;
};

test('the desktop core answers XEP-0092: the admin sessions API shows "Herald Desktop <version>"', { skip }, async () => {
  alice = newChat({ deps: { software: { version: VERSION, os: osFamily(process.platform)! } } });
  await alice.chat.connect(srv.options('alice'));
  // The gateway asks once, after the initial presence; the answer lands a round trip later.
  await until('the gateway has the desktop\'s answer', async () => (await sessions()).some((s) => s.address === addr('alice') && s.client !== null));
  const mine = (await sessions()).filter((s) => s.address === addr('alice'));
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.client, `Herald Desktop ${VERSION}`);
});

test('another client asking the desktop directly: disco#info lists jabber:iq:version (XEP-0030 answers are no longer empty), XEP-0092 gives name, version and OS', { skip }, async () => {
  const full = `${addr('alice')}/${(await sessions()).find((s) => s.address === addr('alice'))!.resource}`;
  const bob = await startSlixmpp({ label: 'bob@version' });
  try {
    await bob.call('connect', srv.slix('bob', 'slix'));
    const info = await bob.call('disco_info', { to: full });
    assert.ok(info.features.includes('jabber:iq:version'), JSON.stringify(info));
    assert.deepEqual(info.identities.map((i) => [i.category, i.type, i.name]), [['client', 'pc', 'Herald']]);
    const { reply } = await bob.call('raw', { xml: `<iq type='get' id='v1' to='${full}'><query xmlns='jabber:iq:version'/></iq>`, wait_id: 'v1' });
    assert.match(reply!, /type="result"/);
    assert.match(reply!, new RegExp(`<name>Herald Desktop</name><version>${VERSION.replaceAll('.', '\\.')}</version><os>${osFamily(process.platform)}</os>`));
  } finally {
    await bob.close();
  }
});
