// The browser preview of the desktop app: serves the real renderer (its Vite build) and gives it
// `window.herald` over a WebSocket bridge to a real desktop core — the same IPC router, handlers
// and shell that the Electron main process uses (desktop/src/main), with browser stand-ins for
// what only Electron has: notifications become in-page pop-ups, new windows become browser
// windows, the file dialog is the browser's file chooser, secrets stay in memory.
//
// One core per profile (`?profile=alice` in the page's URL), so two people can chat in one
// browser. Only pages from this server's own origin may use the bridge (the Origin header is
// checked like main checks a sender's frame), so no other website can drive it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import { createXmppChat } from '../src/core/chat/xmpp-chat.ts';
import { createHeraldCore, type HeraldCore } from '../src/core/herald-core.ts';
import { systemClock } from '../src/core/ports/clock.ts';
import { createDirStorage } from '../src/core/storage/dir-storage.ts';
import { createAppFiles } from '../src/main/app-files.ts';
import { CSP } from '../src/main/csp.ts';
import { createIpcHandlers } from '../src/main/ipc-handlers.ts';
import { createIpcRouter } from '../src/main/ipc-router.ts';
import { mainStrings } from '../src/main/main-strings.ts';
import { createShell, type Shell } from '../src/main/shell.ts';
import type { TrayLook } from '../src/main/tray-menu.ts';
import { parseRouteHash, routeHash } from '../src/main/window-routes.ts';
import { EVENTS, type PickedFile } from '../src/shared/ipc.ts';
import { BRIDGE_PATH, PICK_PATH, type ClientMessage, type ServerMessage } from './bridge-protocol.ts';
import { memorySecrets } from './memory-secrets.ts';

export interface PreviewOptions {
  /** The built renderer (vite build's outDir). */
  rendererDir: string;
  /** The bundled skins (styles/). */
  stylesDir: string;
  /** Profiles' user data folders go here. */
  dataDir: string;
  host?: string;
  port?: number;
  /** The locale the main process's and the core's words follow (as Electron's app.getLocale()); default English. */
  locale?: string;
  /** The gateway the sign-in form offers (the preview's own or the one given with --gateway). */
  gatewayUrl?: string;
  /** Faster pop-up timings for tests. */
  tuning?: Parameters<typeof createHeraldCore>[0]['tuning'];
  /** How often the chat's auto-away reads the idle time (default 15 s; tests make it quick). */
  idleCheckMs?: number;
  log?: (message: string) => void;
}

interface Conn {
  id: number;
  ws: WebSocket;
  hash: string;
  focused: boolean;
}

export interface PreviewProfile {
  name: string;
  core: HeraldCore;
  shell: Shell;
  /** The last tray drawn (the preview shows no system tray; tests read it). */
  tray(): TrayLook | undefined;
  /** URLs the core asked the system browser to open. */
  opened: string[];
  /** Folders the app asked the file manager to open (the preview logs them instead). */
  openedFolders: string[];
  /** Exports saved (the preview writes them into the profile's Exports folder, no dialog). */
  saved: string[];
  /** The seconds without input that the chat's auto-away sees: a browser tells none, so 0 unless a test sets it. */
  idle: { seconds: number };
  /** Resolves when the profile's core has started. */
  ready: Promise<void>;
}

interface Profile extends PreviewProfile {
  conns: Map<number, Conn>;
  picks: Map<number, PickedFile>;
  route: ReturnType<typeof createIpcRouter>;
  notes: Map<string, () => void>;
}

const BRIDGE_CLIENT = path.resolve(import.meta.dirname, 'client/bridge-client.ts');
const PROFILE = /^[a-z0-9][a-z0-9_-]{0,31}$/i;
const MAX_PICK_BYTES = 64 * 1024 * 1024;

export async function startPreview(o: PreviewOptions) {
  const log = o.log ?? ((m: string) => console.error(`[preview] ${m}`));
  const bridgeJs = (await build({ entryPoints: [BRIDGE_CLIENT], bundle: true, write: false, format: 'iife', target: 'chrome120', minify: true, logLevel: 'silent' })).outputFiles[0]!.text;
  const profiles = new Map<string, Profile>();
  let origin = '';
  let connSeq = 0;

  const send = (c: Conn | undefined, m: ServerMessage) => {
    if (c && c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(m));
  };
  /** The page that stands in for the app's always-open contacts window: the oldest one. */
  const primary = (p: Profile) => [...p.conns.values()][0];

  function profile(name: string): Profile {
    const existing = profiles.get(name);
    if (existing) return existing;
    const dir = path.join(o.dataDir, 'profiles', name);
    mkdirSync(dir, { recursive: true });
    const storage = createDirStorage(dir);
    let tray: TrayLook | undefined;
    const opened: string[] = [];
    const openedFolders: string[] = [];
    const saved: string[] = [];
    const notes = new Map<string, () => void>();
    const conns = new Map<number, Conn>();
    const picks = new Map<number, PickedFile>();
    // The shell needs the files before the core exists; the core needs the shell's ports.
    const late: { core?: HeraldCore } = {};
    const appFiles = createAppFiles({ rendererDir: o.rendererDir, skins: () => late.core?.skins() ?? { skins: [], rejected: [] }, userSoundDirs: () => [late.core?.userSoundsDir()] });
    const shell = createShell({
      strings: mainStrings(o.locale ?? 'en'),
      clock: systemClock,
      appFiles,
      origin: '',
      adapters: {
        broadcast: (channel, payload) => {
          for (const c of conns.values()) send(c, { t: 'event', channel, payload });
        },
        playSound: (payload) => {
          const c = primary(p);
          log(`${name}: sound ${payload.url} to window ${c?.id ?? '(none open)'}`);
          send(c, { t: 'event', channel: EVENTS.sound, payload });
        },
        drawTray: (look) => {
          if (JSON.stringify(look) === JSON.stringify(tray)) return;
          tray = look;
          for (const c of conns.values()) send(c, { t: 'tray', icon: look.icon, tooltip: look.tooltip, badge: look.badge, menu: look.menu });
        },
        notify: (n, onClick) => {
          notes.set(n.id, onClick);
          const c = primary(p);
          log(`${name}: pop-up ${n.id} "${n.title}" to window ${c?.id ?? '(none open)'}`);
          send(c, { t: 'note', ...n });
        },
        openWindow: (route) => {
          const hash = routeHash(route);
          send(primary(p), { t: 'open-window', hash });
        },
        focusedConversation: () => {
          for (const c of conns.values()) {
            const r = c.focused ? parseRouteHash(c.hash) : undefined;
            if (r && (r.view === 'chat' || r.view === 'room')) return r.jid;
          }
          return undefined;
        },
        quit: () => log(`${name}: quit is not available in the preview`),
        log: (m) => log(`${name}: ${m}`),
      },
    });
    const c = createHeraldCore({
      storage,
      secrets: memorySecrets(),
      notifier: shell.ports.notifier,
      sound: shell.ports.sound,
      tray: shell.ports.tray,
      browser: {
        async open(url) {
          opened.push(url);
          send(primary(p), { t: 'open-url', url });
        },
      },
      places: { userDataDir: dir },
      styles: { bundledDir: o.stylesDir, userDir: path.join(dir, 'Styles') },
      deviceName: `Herald preview (${name})`,
      ...(o.gatewayUrl ? { suggestedGatewayUrl: o.gatewayUrl } : {}),
      locale: o.locale,
      ...(o.tuning ? { tuning: o.tuning } : {}),
    });
    late.core = c;
    shell.attach(c);
    const idle = { seconds: 0 };
    c.attachChat(
      createXmppChat({
        storage,
        historyDir: path.join(dir, 'History'),
        locale: o.locale,
        idle: { idleSeconds: () => idle.seconds },
        ...(o.idleCheckMs ? { tuning: { idleCheckMs: o.idleCheckMs } } : {}),
      }),
    );
    const handlers = createIpcHandlers({
      core: c,
      setPresence: shell.setPresence,
      shell: {
        startup: { get: async () => ({ openAtLogin: false, supported: false }), set: async () => ({ openAtLogin: false, supported: false }) },
        appInfo: () => ({ version: appVersion(), platform: `browser preview (${process.platform})`, secretStorage: 'memory' }),
        async openPath(folder) {
          openedFolders.push(folder);
          log(`${name}: open folder ${folder} (a file manager would open it)`);
        },
        async saveFile(_sender, suggested, content) {
          const exports = path.join(dir, 'Exports');
          mkdirSync(exports, { recursive: true });
          const file = path.join(exports, path.basename(suggested));
          writeFileSync(file, content, { mode: 0o600 });
          saved.push(file);
          log(`${name}: export saved to ${file}`);
          return file;
        },
        async pickFile(sender) {
          const picked = picks.get(sender.id) ?? null;
          picks.delete(sender.id);
          return picked;
        },
      },
    });
    const route = createIpcRouter({ handlers, sender: { origins: [origin], isOurs: (id) => conns.has(id) }, log: (m) => log(`${name}: ${m}`) });
    const p: Profile = { name, core: c, shell, tray: () => tray, opened, openedFolders, saved, idle, conns, picks, route, notes, ready: Promise.resolve() };
    p.ready = c.start().then(() => undefined);
    p.ready.catch((e: Error) => log(`${name}: the core did not start: ${e.message}`));
    profiles.set(name, p);
    return p;
  }

  const indexHtml = () => {
    const html = readFileSync(path.join(o.rendererDir, 'index.html'), 'utf8');
    // The bridge defines window.herald before the app's module runs (classic scripts run first).
    return html.replace('<script type="module"', '<script src="./bridge.js"></script>\n    <script type="module"');
  };
  const headers = (type: string) => ({ 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });

  async function pick(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const p = profiles.get(url.searchParams.get('profile') ?? '');
    const conn = Number(url.searchParams.get('conn'));
    if (req.headers.origin !== origin || !p || !p.conns.has(conn)) return void res.writeHead(403).end('forbidden');
    const name = path.basename(String(url.searchParams.get('name') ?? 'file')).replace(/[\u0000-\u001f]/g, '') || 'file';
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PICK_BYTES) return void res.writeHead(413).end('too large');
      chunks.push(chunk as Buffer);
    }
    const dir = path.join(o.dataDir, 'picked', randomBytes(8).toString('hex'));
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    await writeFile(file, Buffer.concat(chunks));
    p.picks.set(conn, { file, name, bytes: size });
    res.writeHead(204).end();
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://preview');
    if (req.method === 'POST' && url.pathname === PICK_PATH) {
      pick(req, res, url).catch((e: Error) => res.writeHead(500).end(e.message));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    if (url.pathname === '/' || url.pathname === '/index.html') return void res.writeHead(200, headers('text/html; charset=utf-8')).end(indexHtml());
    if (url.pathname === '/bridge.js') return void res.writeHead(200, headers('text/javascript; charset=utf-8')).end(bridgeJs);
    // Skins, user sounds and the renderer's assets: exactly what the app:// protocol serves.
    const anyProfile = [...profiles.values()][0];
    const files = createAppFiles({ rendererDir: o.rendererDir, skins: () => anyProfile?.core.skins() ?? { skins: [], rejected: [] }, userSoundDirs: () => [...profiles.values()].map((x) => x.core.userSoundsDir()) });
    const hit = files.resolve(url.pathname);
    if (!hit) return void res.writeHead(404).end('not found');
    readFile(hit.file).then(
      (body) => res.writeHead(200, headers(hit.type)).end(body),
      () => res.writeHead(404).end('not found'),
    );
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://preview');
    const name = url.searchParams.get('profile') ?? 'default';
    if (url.pathname !== BRIDGE_PATH || req.headers.origin !== origin || !PROFILE.test(name)) {
      log(`bridge connection refused (origin ${JSON.stringify(req.headers.origin ?? null)}, path ${url.pathname})`);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void attach(ws, profile(name)));
  });

  async function attach(ws: WebSocket, p: Profile): Promise<void> {
    const conn: Conn = { id: ++connSeq, ws, hash: '', focused: false };
    p.conns.set(conn.id, conn);
    log(`${p.name}: window ${conn.id} connected`);
    ws.on('close', () => {
      p.conns.delete(conn.id);
      log(`${p.name}: window ${conn.id} closed`);
    });
    send(conn, { t: 'hello', conn: conn.id });
    const started = p.ready.catch(() => {});
    ws.on('message', (data) => {
      let m: ClientMessage;
      try {
        m = JSON.parse(String(data)) as ClientMessage;
      } catch {
        return;
      }
      if (m.t === 'invoke' && typeof m.id === 'number' && typeof m.channel === 'string') {
        void started
          .then(() => p.route(m.channel, m.payload, { id: conn.id, url: origin, mainFrame: true }))
          .then((reply) => send(conn, { t: 'reply', id: m.id, reply }));
      } else if (m.t === 'focus' && typeof m.hash === 'string') {
        conn.hash = m.hash;
        conn.focused = !!m.focused;
        const r = conn.focused ? parseRouteHash(m.hash) : undefined;
        if (r && (r.view === 'chat' || r.view === 'room')) p.shell.seen(r.jid);
      } else if (m.t === 'note-click' && typeof m.id === 'string') {
        p.notes.get(m.id)?.();
      }
    });
  }

  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  origin = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;

  return {
    url: origin,
    /** A profile's core and shell (created on first use). */
    profile: (name: string): PreviewProfile => profile(name),
    async close(): Promise<void> {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const p of profiles.values()) await p.core.stop().catch(() => {});
    },
  };
}
export type Preview = Awaited<ReturnType<typeof startPreview>>;

function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
