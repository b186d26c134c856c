// The browser side of the preview bridge: defines `window.herald` (exactly the DesktopApi, built by
// the same createDesktopApi the Electron preload uses) over a WebSocket to the preview server, and
// does in the page what Electron would do outside it: shows notifications as pop-ups in the
// corner (a click is sent back, as an OS notification's would be), opens windows and links, and
// lets the user choose a file with the browser's file chooser. Served as /bridge.js by the
// preview server; never part of the renderer's build.
import { createDesktopApi } from '../../src/preload/desktop-api.ts';
import { INVOKE, type EventChannel, type IpcReply } from '../../src/shared/ipc.ts';
import type { ClientMessage, ServerMessage } from '../bridge-protocol.ts';

const profile = new URLSearchParams(location.search).get('profile') ?? 'default';
const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge?profile=${encodeURIComponent(profile)}`);
const pending = new Map<number, (r: IpcReply) => void>();
const listeners = new Map<string, Set<(payload: unknown) => void>>();
let seq = 0;
let conn = 0;
const open = new Promise<void>((resolve, reject) => {
  ws.addEventListener('open', () => resolve());
  ws.addEventListener('error', () => reject(new Error('the preview bridge is not reachable')));
});
const hello = new Promise<void>((resolve) => {
  ws.addEventListener('message', function first(ev) {
    const m = JSON.parse(String(ev.data)) as ServerMessage;
    if (m.t === 'hello') {
      conn = m.conn;
      ws.removeEventListener('message', first);
      resolve();
    }
  });
});

const post = async (m: ClientMessage) => {
  await open;
  ws.send(JSON.stringify(m));
};

ws.addEventListener('message', (ev) => {
  const m = JSON.parse(String(ev.data)) as ServerMessage;
  switch (m.t) {
    case 'reply':
      pending.get(m.id)?.(m.reply);
      pending.delete(m.id);
      break;
    case 'event':
      for (const l of listeners.get(m.channel) ?? []) l(m.payload);
      break;
    case 'note':
      showNote(m.id, m.title, m.body);
      break;
    case 'open-window':
      window.open(`${location.pathname}${location.search}${m.hash}`, `herald-${m.hash.slice(2).replace(/[^a-z0-9]+/gi, '-')}`);
      break;
    case 'open-url':
      window.open(m.url, '_blank', 'noopener');
      break;
  }
});
ws.addEventListener('close', () => {
  for (const done of pending.values()) done({ ok: false, error: { code: 'internal', message: 'the preview bridge closed' } });
  pending.clear();
});

async function invoke(channel: string, payload: unknown): Promise<unknown> {
  if (channel === INVOKE.chatPickFile) await chooseFile();
  await Promise.all([open, hello]);
  const n = ++seq;
  return new Promise((resolve) => {
    pending.set(n, resolve);
    ws.send(JSON.stringify({ t: 'invoke', id: n, channel, payload } satisfies ClientMessage));
  });
}

/** The browser's file chooser in place of Electron's dialog: the chosen file goes to the server first. */
function chooseFile(): Promise<void> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.addEventListener('cancel', () => resolve());
    input.addEventListener('change', () => {
      const f = input.files?.[0];
      if (!f) return resolve();
      void hello
        .then(() => fetch(`/pick?profile=${encodeURIComponent(profile)}&conn=${conn}&name=${encodeURIComponent(f.name)}`, { method: 'POST', body: f }))
        .finally(() => resolve());
    });
    input.click();
  });
}

// ---- notifications as in-page pop-ups (a shadow root keeps their look out of the app's CSS) ----
const NOTE_CSS = `
:host { all: initial; }
/* Bottom corner, above the window's button bar: at the top they covered the title bar and the mail counts people look at. */
.stack { position: fixed; bottom: 60px; right: 12px; z-index: 2147483647; display: flex; flex-direction: column-reverse; gap: 8px; font: 13px system-ui, sans-serif; max-height: calc(100vh - 140px); overflow: hidden; }
.note { width: min(300px, calc(100vw - 24px)); box-sizing: border-box; padding: 10px 12px; border-radius: 10px; background: #1f2430; color: #f4f6fa; box-shadow: 0 8px 28px rgb(0 0 0 / 35%); cursor: pointer; border: 0; text-align: left; font: inherit; }
.note:hover { background: #283042; }
.title { font-weight: 600; margin-bottom: 2px; }
.body { white-space: pre-line; opacity: 0.85; }
.app { font-size: 11px; opacity: 0.6; margin-bottom: 4px; }`;
let stack: HTMLElement | undefined;
function showNote(noteId: string, title: string, body: string): void {
  if (!stack) {
    const host = document.createElement('div');
    host.id = 'herald-preview-notifications';
    const root = host.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(NOTE_CSS);
    root.adoptedStyleSheets = [sheet];
    stack = document.createElement('div');
    stack.className = 'stack';
    stack.setAttribute('role', 'region');
    stack.setAttribute('aria-label', 'Notifications');
    root.append(stack);
    document.body.append(host);
  }
  stack.querySelector(`[data-note="${CSS.escape(noteId)}"]`)?.remove();
  const el = document.createElement('button');
  el.className = 'note';
  el.dataset.note = noteId;
  const app = document.createElement('div');
  app.className = 'app';
  app.textContent = 'Herald';
  const t = document.createElement('div');
  t.className = 'title';
  t.textContent = title;
  const b = document.createElement('div');
  b.className = 'body';
  b.textContent = body;
  el.append(app, t, b);
  el.addEventListener('click', () => {
    void post({ t: 'note-click', id: noteId });
    el.remove();
  });
  stack.prepend(el);
  setTimeout(() => el.remove(), 10_000);
}

// ---- focus: chat pop-ups are skipped for a conversation the user is looking at ----
const focus = () => void post({ t: 'focus', hash: location.hash, focused: document.hasFocus() });
window.addEventListener('focus', focus);
window.addEventListener('blur', focus);
window.addEventListener('hashchange', focus);
void hello.then(focus);

const api = createDesktopApi({
  invoke: (channel, payload) => invoke(channel, payload),
  on(channel: EventChannel, listener) {
    if (!listeners.has(channel)) listeners.set(channel, new Set());
    listeners.get(channel)!.add(listener);
    return () => {
      listeners.get(channel)?.delete(listener);
    };
  },
});
Object.defineProperty(window, 'herald', { value: Object.freeze(api), enumerable: true });
