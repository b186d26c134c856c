// The desktop app's renderer in Debian's Chromium, bridged to real desktop cores and a real gateway
// (desktop/preview): signing in through the form (a wrong password first), folders with the
// gateway's counts, a message dropped into the Maildir raising a pop-up with its sound, the pop-up
// opening webmail at the folder, settings that persist, a skin switched live in every open window,
// and a bridge that refuses other websites and bad payloads. Screenshots of each view in each skin
// go to test/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { PASSWORDS, SKINS, WEBMAIL, cssVar, shoot, sounds, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';
import { createServer } from 'node:net';

let ui: DesktopUi;
let contacts: OpenedPage;
let folders: OpenedPage;

before(async () => {
  ui = await startDesktopUi();
  await ui.deliver('alice', 'Bob <bob@example.com>', 'Lunch on Friday?');
  await ui.deliver('alice', 'CI <ci@example.com>', 'Build #42 passed', 'Projects/Herald');
});
after(async () => {
  await ui?.close();
});

/** A port nothing listens on (free a moment ago). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

test('sign in through the form: a wrong password is refused in words; the right one opens the contacts', async () => {
  contacts = await ui.open('alice', '#/contacts', { viewport: { width: 340, height: 620 } });
  const page = contacts.page;
  await page.getByRole('heading', { name: 'Sign in to Herald' }).waitFor();
  // A gateway that is not running: said in words, not as ECONNREFUSED alone.
  await page.getByLabel('Gateway address').fill(`http://127.0.0.1:${await closedPort()}`);
  await page.getByLabel('Mail address').fill('alice@example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: /nothing answers at that address — is the gateway running, and is the port right\?/ }).waitFor();
  await page.getByLabel('Gateway address').fill(ui.gw.url);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const refused = page.getByRole('alert').filter({ hasText: /password|credentials|invalid/i });
  await refused.waitFor();
  // Said once: under the fields, not again in a note above them.
  const said = (await refused.innerText()).trim();
  assert.equal(await page.getByText(said, { exact: true }).count(), 1, `"${said}" shown once`);
  assert.equal(ui.preview.profile('alice').core.state().user, null, 'still signed out');
  assert.equal(await page.getByLabel('Mail address').inputValue(), 'alice@example.com', 'the form keeps what was typed');

  await page.getByLabel('Password').fill(PASSWORDS.alice!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.titlebar h1').filter({ hasText: 'Alice' }).waitFor();
  await page.getByText('alice@example.com').first().waitFor();
  await page.getByRole('button', { name: /2 new in your mail/ }).waitFor();
  assert.deepEqual(contacts.problems, []);
});

test('the folders window shows the gateway’s counts, and they change live when mail arrives', async () => {
  folders = await ui.open('alice', '#/folders', { viewport: { width: 420, height: 420 } });
  const page = folders.page;
  const token = await ui.gw.user('alice@example.com');
  const api = (await ui.gw.api('GET', '/api/v1/folders', { token })).json.folders as { path: string; total: number; unread: number; new: number }[];
  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name: `Open ${name} in webmail` }) });
  await row('Inbox').waitFor();
  for (const f of api) {
    const cells = await row(f.path === 'INBOX' ? 'Inbox' : f.path).getByRole('cell').allInnerTexts();
    assert.deepEqual(cells.map(Number), [f.new, f.unread, f.total], f.path);
  }
  const soundsBefore = (await sounds(contacts.page)).length;
  await ui.deliver('alice', 'Carol <carol@example.com>', 'Numbers for Q3');
  await until('INBOX new count 2', async () => (await row('Inbox').getByRole('cell').first().innerText()) === '2');
  // This mail's pop-up sound too, so the next test counts only its own (on a busy machine it came late and was counted there).
  await until('the Q3 pop-up’s sound', async () => (await sounds(contacts.page)).length > soundsBefore);
});

test('a message dropped into the Maildir raises a pop-up (sender, subject, folder) and its skin’s sound plays', async () => {
  const page = contacts.page;
  const before = (await sounds(page)).length;
  await ui.deliver('alice', 'Dora <dora@example.com>', 'Contract signed');
  const note = page.getByRole('button', { name: /Dora <dora@example.com>.*Contract signed/s });
  await note.waitFor();
  assert.match(await note.innerText(), /Herald\s+Dora <dora@example.com>\s+Contract signed\s+Inbox/);
  // The pop-up leaves the title bar and the mail counts visible.
  const box = (await note.boundingBox())!;
  for (const covered of [page.locator('.titlebar'), page.getByRole('button', { name: /new in your mail/ })]) {
    const b = (await covered.boundingBox())!;
    assert.ok(box.y >= b.y + b.height || box.y + box.height <= b.y, `the pop-up (y ${box.y}–${box.y + box.height}) leaves ${await covered.evaluate((e) => e.className)} (y ${b.y}–${b.y + b.height}) uncovered`);
  }
  // The page played the skin's sound (its recorder); the file it names is served as audio. (Not
  // by waiting for the page's own fetch: the earlier pop-up may have put the file in its cache.)
  // (Within the pop-up's 10 s on screen: the next test clicks it.)
  await until('the new-mail sound played', async () => (await sounds(page)).length > before).catch(async (e: Error) => {
    // What to look at if it fails: where the preview sent pop-ups and sounds, what the page
    // recorded, and what the core would play.
    const core = ui.preview.profile('alice').core;
    const why = { recorded: await sounds(page), before, sounds: core.settings().effective.sounds, skinSound: core.activeSkin()?.sounds.NewMail?.file ?? null, log: ui.previewLog.slice(-30) };
    throw new Error(`${e.message}\n${JSON.stringify(why, null, 1)}`);
  });
  assert.deepEqual((await sounds(page)).slice(before), ['/skins/Default/sounds/new-mail.wav']);
  const res = await page.request.get(new URL('/skins/Default/sounds/new-mail.wav', page.url()).href);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-type'], 'audio/wav');
  assert.equal(ui.preview.profile('alice').tray()?.icon, 'new-mail');
});

test('clicking the pop-up opens webmail at the folder and the folder is no longer new', async () => {
  const page = contacts.page;
  // The browser is sent to webmail (there is none on this machine: the request is what counts).
  const request = contacts.context.waitForEvent('request', (r) => r.url().startsWith('https://mail.example.com/'));
  await page.getByRole('button', { name: /Contract signed/ }).click();
  assert.equal((await request).url(), WEBMAIL.replace('{folder}', 'INBOX'));
  for (const p of contacts.context.pages().slice(1)) await p.close();
  assert.deepEqual(ui.preview.profile('alice').opened, [WEBMAIL.replace('{folder}', 'INBOX')]);
  const inbox = folders.page.getByRole('row').filter({ has: folders.page.getByRole('button', { name: 'Open Inbox in webmail' }) });
  await until('INBOX new count 0', async () => (await inbox.getByRole('cell').first().innerText()) === '0');
  await page.getByRole('button', { name: /1 new in your mail/ }).waitFor();
});

test('settings persist (quiet hours, a folder’s pop-ups, start at login said honestly); the sound preview plays', async () => {
  const s = await ui.open('alice', '#/settings', { viewport: { width: 660, height: 600 } });
  const page = s.page;
  await page.getByText('This system does not let Herald start at login.').waitFor();
  await page.getByRole('tab', { name: 'Alerts' }).click();
  await page.getByRole('checkbox', { name: 'Quiet hours' }).check();
  await page.getByLabel('From').fill('21:30');
  await page.getByLabel('From').blur();
  await page.getByRole('checkbox', { name: 'Projects/Herald' }).uncheck();
  const core = ui.preview.profile('alice').core;
  await until('settings saved', () => core.settings().user.alerts.quietHours.from === '21:30' && core.settings().user.alerts.folders['Projects/Herald'] === false);
  assert.equal(core.settings().user.alerts.quietHours.enabled, true);
  // Keyboard: the tabs move with the arrow keys.
  await page.getByRole('tab', { name: 'Alerts' }).focus();
  await page.keyboard.press('ArrowDown');
  await page.getByRole('tab', { name: 'My alert rules', selected: true }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.getByRole('tab', { name: 'Sounds', selected: true }).waitFor();
  await page.getByRole('button', { name: 'Play the sound for New mail' }).click();
  await until('preview sound', async () => (await sounds(page)).includes('/skins/Default/sounds/new-mail.wav'));
  await page.getByRole('combobox', { name: 'Incoming message' }).selectOption('none');
  await until('sound choice saved', () => core.settings().user.sounds.events.MessageIn === 'none');
  assert.equal(await page.getByRole('button', { name: 'Play the sound for Incoming message' }).isDisabled(), true);
  await core.updateSettings({ alerts: { quietHours: { enabled: false } }, sounds: { events: {} } });
  assert.deepEqual(s.problems, []);
  await s.close();
});

test('a skin switch applies live in every open window; a bad skin name is refused and nothing changes', async () => {
  const s = await ui.open('alice', '#/settings', { viewport: { width: 660, height: 600 } });
  await s.page.getByRole('tab', { name: 'Skins' }).click();
  await s.page.getByRole('radio', { name: 'Use Dark' }).click();
  for (const p of [s.page, contacts.page, folders.page]) {
    await until('Dark applied', async () => (await cssVar(p, '--herald-window')) === 'rgb(30, 33, 40)');
    assert.equal(await p.evaluate('document.documentElement.dataset.skin'), 'Dark');
  }
  await s.page.getByRole('radio', { name: 'Use Classic' }).click();
  await until('Classic applied', async () => (await cssVar(contacts.page, '--herald-button-dk-shadow')) === 'rgb(64, 64, 64)');
  assert.equal(await contacts.page.evaluate("document.documentElement.hasAttribute('data-bevel')"), true, 'Classic draws 3D bevels');
  assert.equal(await cssVar(contacts.page, '--herald-window'), 'rgb(255, 255, 255)');
  // Straight through the bridge, as a compromised page would: refused by the contract, nothing changes.
  const r = await s.page.evaluate("window.herald.updateSettings({ skin: 'x'.repeat(500) }).then(() => 'ok', (e) => e.code + ': ' + e.message)");
  assert.match(String(r), /^bad_request: herald:settings:update: invalid payload at "skin"/);
  assert.equal(ui.preview.profile('alice').core.settings().user.skin, 'Classic');
  await ui.preview.profile('alice').core.updateSettings({ skin: 'Default' });
  await until('Default back', async () => (await cssVar(contacts.page, '--herald-window')) === 'rgb(255, 255, 255)' && !(await contacts.page.evaluate("document.documentElement.hasAttribute('data-bevel')")));
  assert.deepEqual(s.problems, []);
  await s.close();
});

test('the bridge answers only pages of its own origin', async () => {
  const url = `${ui.preview.url.replace('http', 'ws')}/bridge?profile=alice`;
  const status = (origin: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { origin } });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
  assert.equal(await status('https://evil.example'), 403);
  assert.equal(await status('null'), 403);
  assert.equal(await status(ui.preview.url), 101);
  const pick = await fetch(`${ui.preview.url}/pick?profile=alice&conn=1&name=x`, { method: 'POST', body: 'x', headers: { origin: 'https://evil.example' } });
  assert.equal(pick.status, 403, 'no file can be slipped in from elsewhere');
  // The page kept working.
  await contacts.page.getByRole('button', { name: /new in your mail/ }).waitFor();
});

test('screenshots: every mail and settings view in every bundled skin (test/artifacts/desktop-*.png)', async () => {
  const carol = await ui.open('carol', '#/sign-in', { viewport: { width: 440, height: 560 } });
  await carol.page.getByRole('heading', { name: 'Sign in to Herald' }).waitFor();
  const about = await ui.open('alice', '#/about', { viewport: { width: 420, height: 440 } });
  await about.page.getByText(/Version \d/).waitFor();
  const settings = await ui.open('alice', '#/settings', { viewport: { width: 660, height: 600 } });
  await settings.page.getByRole('tab', { name: 'Skins' }).click();
  const alerts = await ui.open('alice', '#/settings', { viewport: { width: 660, height: 600 } });
  await alerts.page.getByRole('tab', { name: 'Alerts' }).click();
  for (const skin of SKINS) {
    await ui.preview.profile('alice').core.updateSettings({ skin });
    await ui.preview.profile('carol').core.updateSettings({ skin });
    const lower = skin.toLowerCase();
    await shoot(contacts.page, `contacts-${lower}`);
    await shoot(folders.page, `folders-${lower}`);
    await shoot(settings.page, `settings-skins-${lower}`);
    await shoot(alerts.page, `settings-alerts-${lower}`);
    await shoot(about.page, `about-${lower}`);
    await shoot(carol.page, `sign-in-${lower}`);
  }
  await ui.preview.profile('alice').core.updateSettings({ skin: 'Default' });
  const de = await ui.open('alice', '#/settings', { viewport: { width: 660, height: 600 }, locale: 'de-DE' });
  await de.page.getByRole('tab', { name: 'Benachrichtigungen' }).click();
  await shoot(de.page, 'settings-alerts-default-de');
  for (const o of [carol, about, settings, alerts, de]) {
    assert.deepEqual(o.problems, [], 'no console errors or CSP violations');
    await o.close();
  }
});
