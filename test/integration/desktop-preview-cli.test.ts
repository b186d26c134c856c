// `npm run desktop:preview` as a person runs it: the same ports from one start to the next (the
// printed URLs stay valid), the new-mail hint names a folder only when the preview's own demo
// gateway is behind it, and a fresh profile's sign-in form already holds the gateway the preview
// knows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromiumMissing, launchChromium } from '../fixtures/chromium.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'herald-preview-cli-'));
const children: ChildProcess[] = [];
after(async () => {
  await Promise.all(children.map((c) => stop(c)));
  rmSync(dir, { recursive: true, force: true });
});

const free = (port = 0) =>
  new Promise<number | undefined>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
/** Two free ports in a row (the demo gateway's HTTP port and its chat port). */
async function freePair(): Promise<number> {
  for (;;) {
    const p = (await free())!;
    if (p < 65534 && (await free(p + 1))) return p;
  }
}

function start(args: string[]): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'desktop/preview/preview.ts', ...args], { cwd: root, env: { ...process.env, HERALD_LOG_LEVEL: 'silent', LANG: 'en_US.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ctrl+C stops.')) resolve({ child, out });
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`the preview exited (${code}) before it was ready:\n${out}`)));
  });
}
const stop = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  });

test('the preview keeps its ports, pre-fills the sign-in form, and names the Maildir only for its own gateway', { skip: chromiumMissing() }, async () => {
  const gatewayPort = await freePair();
  const port = (await free())!;
  const data = path.join(dir, 'own');
  const own = await start(['--data', data, '--port', String(port), '--gateway-port', String(gatewayPort)]);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  assert.match(own.out, new RegExp(`gateway\\s+${gatewayUrl} \\(demo, started here\\)`), own.out);
  assert.ok(own.out.includes(`drop a message file into ${path.join(data, 'gateway', 'mail', 'example.com', 'alice', 'new')}/`), own.out);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/?profile=newcomer#/sign-in`);
    const field = page.getByLabel('Gateway address');
    await field.waitFor();
    assert.equal(await field.inputValue(), gatewayUrl, 'a fresh profile’s form holds the preview’s gateway');
  } finally {
    await browser.close();
  }

  // Against a gateway running elsewhere: no folder of this machine is named for new mail.
  const other = await start(['--data', path.join(dir, 'other'), '--port', String((await free())!), '--gateway', gatewayUrl]);
  assert.match(other.out, new RegExp(`gateway\\s+${gatewayUrl}\\n`));
  assert.ok(!other.out.includes('drop a message file'), other.out);
  assert.ok(other.out.includes(`deliver it to your mail server (the gateway at ${gatewayUrl} watches it)`), other.out);
  await stop(other.child);

  // A bad port is refused in words before anything starts.
  const bad = spawn(process.execPath, ['--import', 'tsx', 'desktop/preview/preview.ts', '--data', path.join(dir, 'bad'), '--gateway-port', 'many'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  bad.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--gateway-port must be a port number \(0 for any free ports\), not "many"/);
});
