// The Help window in Debian's Chromium through the preview bridge: F1 opens it at the section of
// the window it is pressed in; every Settings page's "Help: …" link lands at its own section
// (scrolled to, heading focused); German text in a German browser. Screenshots:
// test/artifacts/desktop-help-en.png, desktop-help-de.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { shoot, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

let ui: DesktopUi;
before(async () => {
  ui = await startDesktopUi();
});
after(async () => {
  await ui?.close();
});

/** The section whose heading has the focus and is scrolled into view in the help page. */
async function landedAt(help: Page): Promise<string> {
  return (await help.evaluate(`(() => {
    const h = document.activeElement;
    if (!h || !h.id.startsWith('help-')) return 'no help heading focused';
    const main = h.closest('.help-body').getBoundingClientRect();
    const top = h.getBoundingClientRect().top - main.top;
    return top >= 0 && top < 40 ? h.id.slice(5) : h.id.slice(5) + ' focused but not scrolled to (' + top + ')';
  })()`)) as string;
}

test('F1 opens Help at the section of the window it is pressed in', async () => {
  const s = await ui.open('alice', '#/settings', { viewport: { width: 700, height: 600 } });
  await s.page.getByRole('tab', { name: 'Sounds' }).click();
  const opened = s.context.waitForEvent('page');
  await s.page.keyboard.press('F1');
  const help = await opened;
  await help.waitForLoadState();
  await until('help at sounds', async () => (await landedAt(help).catch(() => '')) === 'sounds');
  assert.match(help.url(), /#\/help\/sounds$/);
  assert.equal(await help.title(), 'Help — Herald');
  for (const topic of ['The tray icon', 'Chat', 'Alerts and quiet times', 'Skins', 'Signing in']) await help.getByRole('heading', { name: topic }).waitFor();
  assert.deepEqual(s.problems, []);
  await s.close();
});

test('every Settings page links to its own Help section', async () => {
  const s = await ui.open('alice', '#/settings', { viewport: { width: 700, height: 600 } });
  const pages: [string, string, string][] = [
    ['General', 'general', 'General settings'],
    ['Alerts', 'alerts', 'Alerts and quiet times'],
    ['Sounds', 'sounds', 'Sounds'],
    ['Skins', 'skins', 'Skins'],
    ['History', 'history', 'Conversation history'],
    ['Account', 'account', 'Your account'],
  ];
  let help: Page | undefined;
  for (const [tab, section, title] of pages) {
    await s.page.getByRole('tab', { name: tab }).click();
    const link = s.page.getByRole('link', { name: `Help: ${title}` });
    assert.equal(await link.getAttribute('href'), `#/help/${section}`);
    const next = help ? undefined : s.context.waitForEvent('page');
    await link.click();
    help ??= await next!;
    await until(`help at ${section}`, async () => (await landedAt(help!).catch(() => '')) === section).catch(async (e) => { throw new Error(`${(e as Error).message}: ${help!.url()} ${await landedAt(help!)}`); });
    assert.ok(help.url().endsWith(`#/help/${section}`), help.url());
    if (section === 'alerts') await shoot(help, 'help-en');
  }
  assert.equal(s.context.pages().length, 2, 'one Help window, moved from section to section');
  assert.deepEqual(s.problems, []);
  await s.close();
});

test('in a German browser the Help window is German', async () => {
  const de = await ui.open('alice', '#/help/alerts', { locale: 'de-DE', viewport: { width: 620, height: 640 } });
  const page = de.page;
  await page.getByRole('heading', { name: 'Benachrichtigungen und Ruhezeiten' }).waitFor();
  await until('German help at alerts', async () => (await landedAt(page)) === 'alerts');
  assert.equal(await page.title(), 'Hilfe — Herald');
  await page.getByText('„Nicht stören“ hält alle Hinweise und Töne zurück').waitFor();
  for (const topic of ['Das Symbol im Infobereich', 'Chat', 'Skins', 'Anmelden']) await page.getByRole('heading', { name: topic }).waitFor();
  await shoot(page, 'help-de');
  // The German Settings link names the German section.
  const s = await ui.open('alice', '#/settings', { locale: 'de-DE', viewport: { width: 700, height: 600 } });
  await s.page.getByRole('link', { name: 'Hilfe: Allgemeine Einstellungen' }).waitFor();
  assert.deepEqual([...de.problems, ...s.problems], []);
  await s.close();
  await de.close();
});
