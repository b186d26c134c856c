// `npm run desktop:preview`: the desktop app's real UI in a browser, against a real gateway.
//   --gateway URL   use a running gateway (sign in with the form); default: start a demo gateway
//   --port N        the preview's port (default 5174)        --host H   (default 127.0.0.1)
//   --data DIR      where the demo gateway and the profiles keep their files (default .tmp/preview)
//   --gateway-port N  the demo gateway's HTTP port (default 5180; its chat takes N+1; 0: any free ports)
//   --locale L      the language of the main process's and the core's words (tray, pop-ups, prompts),
//                   like Electron's app.getLocale(): default $LC_ALL, $LC_MESSAGES or $LANG (de_DE.UTF-8
//                   → German), else English. The page's own words follow the browser's language.
// The demo gateway is the `serve --demo` one (example.com: alice, bob, carol, with mail); the
// preview sets fresh passwords for them at each start, prints them, and signs alice and bob in,
// each in a profile of their own — open both URLs to chat with yourself.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { buildRenderer } from '../tools/build-renderer.ts';
import { startPreview } from './preview-server.ts';

const root = path.resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    gateway: { type: 'string' },
    port: { type: 'string', default: '5174' },
    'gateway-port': { type: 'string', default: '5180' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string', default: path.join(root, '.tmp', 'preview') },
    locale: { type: 'string', default: process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || 'en' },
  },
});
const dataDir = path.resolve(values.data!);
mkdirSync(dataDir, { recursive: true });

console.log('building the renderer…');
const rendererDir = await buildRenderer();

let gatewayUrl = values.gateway;
const accounts: { profile: string; address: string; password: string }[] = [];
let stopGateway: (() => Promise<void>) | undefined;
// Fixed ports by default, so the URLs printed below stay the same from one start to the next.
const gatewayPort = Number(values['gateway-port']);
if (!Number.isInteger(gatewayPort) || gatewayPort < 0 || gatewayPort > 65534) {
  console.error(`--gateway-port must be a port number (0 for any free ports), not ${JSON.stringify(values['gateway-port'])}`);
  process.exit(2);
}
if (!gatewayUrl) {
  // The gateway's own modules, started in this process (as `serve --demo` does, with its ws:// chat on loopback).
  const { loadSettings } = await import('../../gateway/src/config/load.ts');
  const { createLogger } = await import('../../gateway/src/config/logger.ts');
  const { createServices, startGateway } = await import('../../gateway/src/main.ts');
  const { seedDemo } = await import('../../gateway/src/cli/demo.ts');
  const settings = loadSettings({ env: process.env, overrides: { dataDir: path.join(dataDir, 'gateway'), 'http.port': gatewayPort, 'http.host': '127.0.0.1', 'xmpp.port': gatewayPort ? gatewayPort + 1 : 0, 'xmpp.host': '127.0.0.1', 'xmpp.plainWebSocketFromLoopback': true } });
  const log = createLogger(process.env.HERALD_LOG_LEVEL ?? 'warn');
  const services = createServices(settings, log);
  await seedDemo(settings, services.directory, services.tokens);
  for (const local of ['alice', 'bob', 'carol']) {
    const password = randomBytes(9).toString('base64url'); // 12 characters: directory.minPasswordLength is 10
    await services.directory.setPassword(`${local}@example.com`, password);
    accounts.push({ profile: local, address: `${local}@example.com`, password });
  }
  services.store.close();
  const gw = await startGateway(settings, log);
  gatewayUrl = gw.url;
  stopGateway = () => gw.close();
}

const preview = await startPreview({
  rendererDir,
  stylesDir: path.join(root, 'styles'),
  dataDir: path.join(dataDir, 'profiles'),
  host: values.host,
  port: Number(values.port),
  locale: values.locale,
  gatewayUrl,
});

for (const a of accounts.filter((x) => x.profile !== 'carol')) {
  const { core, ready } = preview.profile(a.profile);
  await ready;
  if (!core.state().user) {
    const r = await core.signIn(gatewayUrl, a.address, a.password);
    if (!r.ok) console.error(`signing ${a.address} in failed: ${r.message}`);
  }
}

console.log(`
Herald desktop preview — the real renderer, bridged to a real desktop core
  gateway   ${gatewayUrl}${stopGateway ? ' (demo, started here)' : ''}
`);
for (const a of accounts) {
  console.log(`  ${a.address.padEnd(20)} password ${a.password.padEnd(10)} ${preview.url}/?profile=${a.profile}#/contacts${a.profile === 'carol' ? '   (signs in with the form)' : ''}`);
}
if (!accounts.length) console.log(`  open ${preview.url}/?profile=me#/sign-in and sign in to ${gatewayUrl}`);
console.log(`
  other windows: #/folders  #/settings  #/history  #/about  #/chat/<address>  #/room/<room address>
  new mail: ${stopGateway ? `drop a message file into ${path.join(dataDir, 'gateway', 'mail', 'example.com', 'alice', 'new')}/` : `deliver it to your mail server (the gateway at ${gatewayUrl} watches it)`}
  Ctrl+C stops.`);

const stop = async () => {
  await preview.close();
  await stopGateway?.();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
