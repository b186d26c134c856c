// Shared setup of the desktop UI tests: a real gateway in-process (Maildir, XMPP, uploads), the
// renderer built by Vite into a temporary folder, the preview server bridging it to real desktop
// cores (one per profile: alice, bob, ...), and Debian's Chromium. Pages record the sounds they
// play and the progress bars they show (by observing the page, not by replacing anything).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import type { ChatService } from '../../desktop/src/core/chat/chat-service.ts';
import type { Contact } from '../../desktop/src/shared/chat.ts';
import { startPreview, type Preview } from '../../desktop/preview/preview-server.ts';
import { buildRenderer } from '../../desktop/tools/build-renderer.ts';
import { launchChromium, openPage, screenshot, type OpenedPage, type PageOptions } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

export const STYLES = path.resolve(import.meta.dirname, '../../styles');
export const WEBMAIL = 'https://mail.example.com/roundcube/?_task=mail&_mbox={folder}';
export const SKINS = ['Default', 'Dark', 'Classic'] as const;
export const PASSWORDS: Record<string, string> = { alice: 'alice wonderland 1', bob: 'bob the builder 2', carol: 'carol singer 3' };

/** What a page played and showed, recorded in the page as it happens. */
const RECORDER = `
  window.__sounds = [];
  window.__progress = [];
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    window.__sounds.push(new URL(this.currentSrc || this.src, location.href).pathname);
    return play.call(this);
  };
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[role=progressbar]')) {
      const v = Number(el.getAttribute('aria-valuenow'));
      if (window.__progress.at(-1) !== v) window.__progress.push(v);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
`;

export interface DesktopUi {
  gw: TestGateway;
  preview: Preview;
  browser: Browser;
  root: string;
  /** What the preview logged (windows, pop-ups and sounds it sent where), with times: for failure messages. */
  previewLog: string[];
  /**
   * A page of a profile at a route (`#/contacts`), recording sounds, progress bars and problems.
   * Windows it opens report problems too, but record nothing else: a window.open'ed page keeps the
   * window of its first about:blank document, whose recorder watched that document, not the app.
   */
  open(profile: string, hash: string, o?: PageOptions): Promise<OpenedPage>;
  deliver(local: string, from: string, subject: string, folder?: string): Promise<void>;
  signIn(profile: string): Promise<void>;
  close(): Promise<void>;
}

/** `idleCheckMs`: how often the chats' auto-away reads the idle time a test sets (profile.idle). */
export async function startDesktopUi(opts: { idleCheckMs?: number; gateway?: Record<string, unknown> } = {}): Promise<DesktopUi> {
  const root = mkdtempSync(path.join(tmpdir(), 'herald-ui-'));
  // As `serve --demo` and the desktop preview: the app's chat uses the ws:// URL of a loopback gateway.
  const gw = await startTestGateway({ 'client.webmailUrl': WEBMAIL, 'xmpp.plainWebSocketFromLoopback': true, ...opts.gateway }, { dataDir: path.join(root, 'gateway') });
  for (const [local, pw] of Object.entries(PASSWORDS)) await gw.user(`${local}@example.com`, pw);
  const rendererDir = await buildRenderer(path.join(root, 'renderer'));
  mkdirSync(path.join(root, 'profiles'));
  const previewLog: string[] = [];
  const preview = await startPreview({
    rendererDir,
    stylesDir: STYLES,
    dataDir: path.join(root, 'profiles'),
    log: (m) => void previewLog.push(`${new Date().toISOString()} ${m}`),
    // soundGapMs 0: every pop-up here plays its sound. With 50, a mail delivered right after the
    // previous pop-up's sound (49 ms later in one run) was silent by design and the test waited for
    // a sound that never came. The gap itself is tested with a fake clock (alert-policy.test.ts).
    tuning: { graceMs: 300, burstMs: 200, soundGapMs: 0, backoff: { minMs: 100, maxMs: 800 }, apiTimeoutMs: 5000 },
    ...(opts.idleCheckMs ? { idleCheckMs: opts.idleCheckMs } : {}),
  });
  // Sounds play without a click first (the app's own pages would; a browser wants a gesture).
  const browser = await launchChromium({ args: ['--autoplay-policy=no-user-gesture-required'] });

  const mailRoot = (local: string) => path.join(gw.dataDir, 'mail', 'example.com', local);
  return {
    gw,
    preview,
    previewLog,
    browser,
    root,
    async open(profile, hash, o = {}) {
      const opened = await openPage(browser, o);
      await opened.context.addInitScript({ content: RECORDER });
      opened.context.on('page', (p: Page) => {
        p.on('pageerror', (e) => opened.problems.push(`popup exception: ${e.message}`));
        p.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && opened.problems.push(`popup console: ${m.text()}`));
      });
      await opened.page.goto(`${preview.url}/?profile=${profile}${hash}`);
      return opened;
    },
    async deliver(local, from, subject, folder) {
      await deliverToMaildir(mailRoot(local), composeMessage({ from, to: `${local}@example.com`, subject, body: `${subject}\n` }), folder ? { folder } : {});
    },
    async signIn(profile) {
      const p = preview.profile(profile);
      await p.ready;
      if (p.core.state().user) return;
      const r = await p.core.signIn(gw.url, `${profile}@example.com`, PASSWORDS[profile]!);
      if (!r.ok) throw new Error(`${profile} could not sign in: ${r.message}`);
    },
    async close() {
      await browser.close().catch(() => {});
      await preview.close().catch(() => {});
      await gw.close().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export const sounds = (page: Page) => page.evaluate('window.__sounds') as Promise<string[]>;
export const progressSeen = (page: Page) => page.evaluate('window.__progress') as Promise<number[]>;
/** The value of a CSS custom property on the page's root element. */
export const cssVar = (page: Page, name: string) => page.evaluate(`getComputedStyle(document.documentElement).getPropertyValue(${JSON.stringify(name)}).trim()`) as Promise<string>;

export async function shoot(page: Page, name: string): Promise<void> {
  // The preview's stand-in for OS notifications is not part of the app's window.
  await page.evaluate("document.getElementById('herald-preview-notifications')?.remove()");
  await page.waitForTimeout(150); // let a skin switch repaint
  await screenshot(page, `desktop-${name}`);
}

export async function until<T>(what: string, fn: () => T | Promise<T>, ms = 8000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the tests read behind the UI: a profile's chat core, its contacts, and the gateway's roster rows. `ui` is read when called. */
export function chatLookups(ui: () => DesktopUi) {
  const chatOf = (profile: string): ChatService => {
    const c = ui().preview.profile(profile).core.chat();
    if (!c) throw new Error(`${profile} has no chat service`);
    return c;
  };
  return {
    chatOf,
    online: (profile: string) => ui().preview.profile(profile).core.chat()?.connection().state === 'online',
    contactOf: (profile: string, jid: string): Contact | undefined => chatOf(profile).contacts().find((c) => c.jid === jid),
    rosterRow: (owner: string, jid: string) => {
      const account = ui().gw.services.directory.get(owner);
      if (!account) throw new Error(`no account ${owner} on the gateway`);
      return ui().gw.services.store.roster.get(account.id, jid);
    },
  };
}
