// Issue 5's "done when", as a script that uses only the desktop core (no Electron, no DOM): signs in
// with a provisioned one-time token, prints the user's folders (again when counts change), one line
// per alert (what the Notifier port is asked to show), and chats: a 1:1 message to --peer and an
// ad-hoc room with --peer invited, then whatever comes in. It keeps running — across gateway
// restarts, as the tray app would — until stdin ends or says `quit`.
//
//   npm run desktop:core-demo -- --provision provision.json [--data DIR] [--peer bob@example.com] [--room NAME]
//
// The gateway's URL comes from the (signed) provision file. Output, one event a line, tab-separated:
//   signed-in <address>          state <state> [detail]       folder <path> <total> <unread> <new>
//   alert <kind> <title> <first body line> <folder>          chat <offline|connecting|online>
//   room <jid> <name>             message <conversation> <from> <in|out> <id> <text>      error <text>
// Commands on stdin: `say <jid> <text>`, `room <text>` (to the demo room), `quit`.
// The device token lives in memory only (the Electron app keeps it in the OS keychain): a new run
// needs a new provision, or signs in again.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createXmppChat } from '../src/core/chat/xmpp-chat.ts';
import { createHeraldCore } from '../src/core/herald-core.ts';
import { createDirStorage } from '../src/core/storage/dir-storage.ts';

const USAGE = 'usage: core-demo --provision FILE [--data DIR] [--peer JID] [--room NAME]';
const { values } = parseArgs({ options: { provision: { type: 'string' }, data: { type: 'string' }, peer: { type: 'string' }, room: { type: 'string' } } });
if (!values.provision) {
  console.error(USAGE);
  process.exit(2);
}

const out = (...fields: (string | number)[]) => process.stdout.write(`${fields.map((f) => String(f).replace(/[\t\r\n]/g, ' ')).join('\t')}\n`);

const data = values.data ?? mkdtempSync(path.join(tmpdir(), 'herald-core-demo-'));
mkdirSync(data, { recursive: true });
// The provision goes where a packaged app has it: in its own resources (a key it brings is trusted there).
const resourcesDir = mkdtempSync(path.join(tmpdir(), 'herald-core-demo-resources-'));
try {
  copyFileSync(values.provision, path.join(resourcesDir, 'provision.json'));
} catch (e) {
  console.error(`cannot read the provision file: ${(e as Error).message}`);
  process.exit(2);
}

const secrets = new Map<string, string>();
const storage = createDirStorage(data);
const core = createHeraldCore({
  storage,
  secrets: { get: async (k) => secrets.get(k), set: async (k, v) => void secrets.set(k, v), delete: async (k) => void secrets.delete(k) },
  notifier: { show: (n) => out('alert', n.kind, n.title, n.body.split('\n')[0] ?? '', n.folder ?? '') },
  sound: { play: () => {} },
  tray: { render: () => {} },
  browser: { open: async () => {} },
  places: { resourcesDir, userDataDir: data },
  styles: { bundledDir: path.resolve(import.meta.dirname, '../../styles') },
  deviceName: 'core demo',
  tuning: { backoff: { minMs: 200, maxMs: 2000 } },
});
const chat = createXmppChat({ storage, historyDir: path.join(data, 'History') });

let lastState = '';
let lastFolders = '';
let signedIn = '';
core.onState((s) => {
  const st = `${s.connection.state}\t${s.connection.detail ?? ''}`;
  if (st !== lastState) {
    lastState = st;
    out('state', s.connection.state, s.connection.detail ?? '');
  }
  if (s.user && s.user.address !== signedIn) {
    signedIn = s.user.address;
    out('signed-in', signedIn);
  }
  const folders = JSON.stringify(s.folders.map((f) => [f.path, f.total, f.unread, f.new]));
  if (s.folders.length && folders !== lastFolders) {
    lastFolders = folders;
    for (const f of s.folders) out('folder', f.path, f.total, f.unread, f.new);
  }
});

const peer = values.peer;
let room: string | undefined;
let greeted = false;
const fail = (e: unknown) => out('error', (e as Error).message ?? String(e));
chat.onEvent((e) => {
  if (e.type === 'connection') out('chat', e.state, e.detail ?? '');
  if (e.type === 'message') out('message', e.message.with, e.message.from, e.message.direction, e.message.id, e.message.body);
  if (e.type === 'connection' && e.state === 'online' && peer && !greeted) {
    greeted = true;
    void (async () => {
      await chat.send({ to: peer, kind: 'chat', body: `Hello ${peer.split('@')[0]}, from the Herald core demo` });
      const r = await chat.createRoom(values.room ?? 'Core demo', [peer]);
      room = r.jid;
      out('room', r.jid, r.name);
    })().catch(fail);
  }
});

const s = await core.start();
core.attachChat(chat);
if (s.connection.state === 'signed-out') out('signed-out', s.signIn?.reason ?? '', s.signIn?.message ?? '');

async function command(line: string): Promise<boolean> {
  const [cmd, ...rest] = line.trim().split(' ');
  if (!cmd) return true;
  if (cmd === 'quit') return false;
  if (cmd === 'say' && rest.length >= 2) await chat.send({ to: rest[0]!, kind: 'chat', body: rest.slice(1).join(' ') });
  else if (cmd === 'room' && rest.length >= 1) {
    if (!room) throw new Error('no room yet');
    await chat.send({ to: room, kind: 'groupchat', body: rest.join(' ') });
  } else throw new Error(`unknown command: ${line.trim()} (say <jid> <text> | room <text> | quit)`);
  return true;
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const go = await command(line).catch((e: unknown) => {
    fail(e);
    return true;
  });
  if (!go) break;
}
await core.stop();
out('stopped');
process.exit(0);
