// The console's navigation fits without sideways scrolling — German (the longest labels) on a
// 1280 px laptop screen, and on a 390 px phone in dark mode: every page link is inside the
// viewport and the page itself is no wider than the window. Screenshots:
// test/artifacts/admin-nav-de-1280-light.png, admin-nav-de-390-dark.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, openPage, screenshot } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { signInForm } from './admin-console-helpers.ts';

const skip = chromiumMissing();
const ADMIN = 'ann@example.com';
const PW = 'admin password 123';
let gw: TestGateway;
let browser: Browser;

before(async () => {
  if (skip) return;
  gw = await startTestGateway({});
  await gw.user(ADMIN, PW);
  gw.services.store.accounts.setAdmin(ADMIN, true);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await gw?.destroy();
});

/** What overflows sideways: the nav's scroll width past its box, links past the window's right edge, the page past the window. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const nav = document.querySelector('nav.pages')!;
    const links = Array.from(nav.querySelectorAll('a'));
    return {
      links: links.length,
      nav: nav.scrollWidth - nav.clientWidth,
      outside: links.filter((a) => a.getBoundingClientRect().right > window.innerWidth + 0.5).map((a) => a.textContent),
      page: document.documentElement.scrollWidth - window.innerWidth,
    };
  });

for (const [width, scheme] of [
  [1280, 'light'],
  [390, 'dark'],
] as const) {
  test(`German nav at ${width} px (${scheme}): every page link visible, no sideways scrolling`, { skip }, async () => {
    const tab = await openPage(browser, { viewport: { width, height: 800 }, locale: 'de-DE', colorScheme: scheme });
    try {
      assert.equal(await signInForm(tab.page, gw.url, ADMIN, PW), 303);
      await tab.page.goto(`${gw.url}/admin/users`);
      assert.equal(await tab.page.getAttribute('html', 'lang'), 'de');
      const o = await overflow(tab.page);
      await screenshot(tab.page, `admin-nav-de-${width}-${scheme}`);
      assert.ok(o.links >= 10, `the nav has its links (${o.links})`);
      assert.deepEqual({ nav: o.nav, outside: o.outside, page: o.page }, { nav: 0, outside: [], page: 0 });
    } finally {
      await tab.close();
    }
  });
}
