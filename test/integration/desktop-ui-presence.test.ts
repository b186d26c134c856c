// The user's own presence in the desktop renderer, end to end (Debian's Chromium, the preview
// bridge, a real desktop core and its XMPP client, the real gateway): a status set outside the
// window — through the shell, as the tray menu does — shows in a contacts window that is already
// open, in a window opened afterwards, and after a reload (status text included); the tray agrees.
// Auto-away (the preview's idle time, set here) is shown in words in the windows and the tray, and
// goes with the first input, while the chosen status stays what the user chose.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

const CONTACTS_SIZE = { width: 340, height: 620 };
let ui: DesktopUi;
let contacts: OpenedPage;

const alice = () => ui.preview.profile('alice');
const status = (page: Page) => page.getByRole('combobox', { name: 'My status' });
const statusText = (page: Page) => page.getByRole('textbox', { name: 'Status message' });
/** The tray's checked status item(s). */
const trayStatus = () =>
  alice()
    .tray()
    ?.menu.find((i) => i.label === 'Status')
    ?.submenu?.filter((i) => i.checked)
    .map((i) => i.label)
    .join('|');

async function shows(page: Page, show: string, text: string): Promise<void> {
  await until(`the window shows ${show} / ${JSON.stringify(text)}`, async () => (await status(page).inputValue()) === show && (await statusText(page).inputValue()) === text);
}

before(async () => {
  ui = await startDesktopUi({ idleCheckMs: 150 });
  await ui.signIn('alice');
  await until('alice’s chat online', () => alice().core.chat()?.connection().state === 'online', 15000);
  contacts = await ui.open('alice', '#/contacts', { viewport: CONTACTS_SIZE });
  await shows(contacts.page, 'online', '');
});
after(async () => {
  await ui?.close();
});

test('a status set through the shell shows in the open window, in a window opened later, after a reload, and in the tray', async () => {
  await alice().shell.setPresence({ show: 'away', status: 'At lunch' });
  await shows(contacts.page, 'away', 'At lunch');
  assert.equal(trayStatus(), 'Away');

  const settings = await ui.open('alice', '#/settings', { viewport: { width: 560, height: 620 } });
  await shows(settings.page, 'away', 'At lunch');

  await contacts.page.reload();
  await shows(contacts.page, 'away', 'At lunch');

  // From the tray menu: the new status keeps the status text, everywhere.
  await alice().shell.run({ kind: 'presence', show: 'xa' });
  await shows(contacts.page, 'xa', 'At lunch');
  await shows(settings.page, 'xa', 'At lunch');
  assert.equal(trayStatus(), 'Extended away');

  // Set in one window: the other window follows.
  await statusText(settings.page).fill('Back at two');
  await statusText(settings.page).press('Enter');
  await shows(contacts.page, 'xa', 'Back at two');
  assert.deepEqual(alice().core.chat()!.ownPresence().chosen, { show: 'xa', status: 'Back at two' });
  assert.deepEqual([...contacts.problems, ...settings.problems], []);
  await settings.close();
});

test('auto-away is shown in words in the window and the tray while idle, and goes with the first input', async () => {
  await alice().shell.setPresence({ show: 'online', status: 'Back at two' });
  await shows(contacts.page, 'online', 'Back at two');
  const hint = contacts.page.getByText('Shown as “Away” while you are idle');
  assert.equal(await hint.count(), 0);

  alice().idle.seconds = 5 * 60;
  await hint.waitFor();
  assert.equal(await status(contacts.page).inputValue(), 'online', 'the choice stays Online');
  await until('the tray says Away (idle)', () => trayStatus() === 'Away (idle)');
  // A window opened now learns it from the overview.
  const second = await ui.open('alice', '#/contacts', { viewport: CONTACTS_SIZE });
  await second.page.getByText('Shown as “Away” while you are idle').waitFor();

  alice().idle.seconds = 30 * 60;
  await contacts.page.getByText('Shown as “Extended away” while you are idle').waitFor();
  await until('the tray says Extended away (idle)', () => trayStatus() === 'Extended away (idle)');

  alice().idle.seconds = 0;
  await contacts.page.getByText(/while you are idle/).waitFor({ state: 'detached' });
  await second.page.getByText(/while you are idle/).waitFor({ state: 'detached' });
  await until('the tray says Online', () => trayStatus() === 'Online');
  await shows(contacts.page, 'online', 'Back at two');
  assert.deepEqual([...contacts.problems, ...second.problems], []);
  await second.close();
});
