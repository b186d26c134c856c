// The gateway's update feed read by electron-updater's own code, over real HTTP: its
// GenericProvider (channel file name per platform, YAML parsing, file resolution), its
// ElectronHttpExecutor.download with builder-util-runtime's checksum check (base64 SHA-512 over the
// whole file) — only the transport is Node's http instead of Electron's net (electron-updater's main
// entry requires electron, so the provider and executor modules are imported by path). Also: a
// corrupted file is caught, a missing build is a 404 that says so, a wrong token is a 401, a domain
// with updates off gets none, the beta channel, byte ranges.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancellationToken, HttpError, type UpdateInfo } from 'builder-util-runtime';
import { ElectronHttpExecutor } from 'electron-updater/out/electronHttpExecutor.js';
import { GenericProvider } from 'electron-updater/out/providers/GenericProvider.js';
import { findFile } from 'electron-updater/out/providers/Provider.js';
import { writeChannelFile } from '../fixtures/channel-file.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

/** electron-updater's executor with Node's http as the transport (Electron's net is not here). */
class NodeTransportExecutor extends ElectronHttpExecutor {
  override createRequest(options: http.RequestOptions, callback: (res: http.IncomingMessage) => void): ReturnType<ElectronHttpExecutor['createRequest']> {
    // A fresh connection each: electron-updater adds a timeout listener per request to the socket.
    return http.request({ ...options, agent: false }, callback) as never; // typed as Electron's ClientRequest
  }
  override addRedirectHandlers(): void {}
}

let root: string;
let gw: TestGateway;
let builds: string;
let token: string;
const files: Record<string, Buffer> = {};

const put = (name: string, bytes: Buffer) => {
  files[name] = bytes;
  writeFileSync(path.join(builds, name), bytes);
};
const b64sha512 = (b: Buffer) => createHash('sha512').update(b).digest('base64');

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-feed-'));
  const dataDir = path.join(root, 'data');
  builds = path.join(dataDir, 'builds');
  mkdirSync(builds, { recursive: true });
  put('Herald-1.1.0-win-x64.exe', randomBytes(50_000));
  put('Herald-1.2.0-win-x64.exe', randomBytes(3_000_000));
  put('Herald-1.2.0-win-arm64.exe', randomBytes(200_000));
  put('Herald-1.3.0-beta.1-win-x64.exe', randomBytes(100_000));
  put('Herald-1.2.0-win-x64.zip', randomBytes(10_000)); // a portable zip: not what NsisUpdater installs
  put('Herald-1.2.0-mac-arm64.zip', randomBytes(300_000));
  put('Herald-1.2.0-mac-x64.zip', randomBytes(300_000));
  put('Herald-1.2.0-mac-arm64.dmg', randomBytes(1000)); // Squirrel.Mac installs from the zip
  put('Herald-1.2.0-linux-x64.AppImage', randomBytes(400_000));
  put('Herald-1.2.0-win-x64.exe.blockmap', randomBytes(500));
  // The channel files of their builds vouch for the dmg and the AppImage (build-catalog.ts).
  writeChannelFile(builds, 'latest-mac.yml', ['Herald-1.2.0-mac-arm64.zip', 'Herald-1.2.0-mac-arm64.dmg'], '1.2.0');
  writeChannelFile(builds, 'latest-linux.yml', ['Herald-1.2.0-linux-x64.AppImage'], '1.2.0');
  gw = await startTestGateway({}, { dataDir });
  token = await gw.user('bob@example.com');
  await gw.user('eve@other.example');
});
after(async () => {
  await gw?.destroy();
  rmSync(root, { recursive: true, force: true });
});

const feedUrl = (channel = 'stable') => `${gw.url}/updates/${channel}`;
function provider(platform: 'win32' | 'darwin' | 'linux', o: { bearer?: string; channel?: string } = {}) {
  const executor = new NodeTransportExecutor();
  // What the desktop adapter passes to autoUpdater.setFeedURL (desktop/src/main/electron-updater-adapter.ts).
  const p = new GenericProvider({ provider: 'generic', url: feedUrl(o.channel), useMultipleRangeRequest: false }, { channel: null, isAddNoCacheQuery: false } as never, {
    platform,
    executor,
    isUseMultipleRangeRequest: false,
  });
  p.setRequestHeaders({ authorization: `Bearer ${o.bearer ?? token}` });
  return { p, executor };
}

async function download(executor: NodeTransportExecutor, url: URL, sha512: string, bearer = token): Promise<string> {
  const dest = path.join(root, `dl-${randomBytes(4).toString('hex')}`);
  return executor.download(url, dest, { headers: { authorization: `Bearer ${bearer}` }, sha512, cancellationToken: new CancellationToken() } as never);
}

test('Windows: latest.yml names the newest NSIS installers (each arch), and the download passes electron-updater\'s sha512 check', async () => {
  const { p, executor } = provider('win32');
  const info: UpdateInfo = await p.getLatestVersion();
  assert.equal(info.version, '1.2.0', 'newest stable; the beta and 1.1.0 are not it');
  assert.deepEqual(info.files.map((f) => f.url).sort(), ['Herald-1.2.0-win-arm64.exe', 'Herald-1.2.0-win-x64.exe']);
  assert.equal(info.path, info.files[0]!.url);
  assert.ok(!Number.isNaN(Date.parse(info.releaseDate)));
  const resolved = p.resolveFiles(info);
  for (const f of resolved) {
    const name = decodeURIComponent(path.basename(f.url.pathname));
    assert.equal(f.info.sha512, b64sha512(files[name]!), name);
    assert.equal(f.info.size, files[name]!.length);
  }
  const x64 = findFile(resolved.filter((f) => f.url.pathname.includes('x64')), 'exe')!;
  const got = await download(executor, x64.url, x64.info.sha512);
  assert.deepEqual(readFileSync(got), files['Herald-1.2.0-win-x64.exe']);
});

test('macOS: latest-mac.yml lists the zips (not the dmg); Linux: latest-linux.yml the AppImage', async () => {
  const mac = await provider('darwin').p.getLatestVersion();
  assert.deepEqual(mac.files.map((f) => f.url).sort(), ['Herald-1.2.0-mac-arm64.zip', 'Herald-1.2.0-mac-x64.zip']);
  const { p, executor } = provider('linux');
  assert.equal(process.arch, 'x64', 'electron-updater asks latest-linux.yml on x64 only (else latest-linux-<arch>.yml)');
  const linux = await p.getLatestVersion();
  assert.deepEqual(linux.files.map((f) => f.url), ['Herald-1.2.0-linux-x64.AppImage']);
  const [f] = p.resolveFiles(linux);
  await download(executor, f!.url, f!.info.sha512);
});

test('a corrupted file (changed after the feed was read) is refused by the checksum check', async () => {
  // An installer the gateway can check itself (an .exe): a changed AppImage is no longer offered at
  // all, its build's latest-linux.yml not vouching for it (build-catalog.ts).
  const { p, executor } = provider('win32');
  const name = 'Herald-1.2.0-win-arm64.exe';
  const ours = (fs: ReturnType<typeof p.resolveFiles>) => fs.find((x) => x.url.href.endsWith(`/${name}`));
  const f = ours(p.resolveFiles(await p.getLatestVersion()));
  const bad = Buffer.from(files[name]!);
  bad[1234] = bad[1234]! ^ 0xff;
  writeFileSync(path.join(builds, name), bad);
  try {
    await assert.rejects(download(executor, f!.url, f!.info.sha512), (e: Error & { code?: string }) => e.code === 'ERR_CHECKSUM_MISMATCH' && /sha512 checksum mismatch/.test(e.message));
    // The feed notices the change (new mtime): it now announces the new file's hash.
    const again = ours(p.resolveFiles(await p.getLatestVersion()));
    assert.equal(again!.info.sha512, b64sha512(bad));
    await download(executor, again!.url, again!.info.sha512);
  } finally {
    put(name, files[name]!);
  }
});

test('beta channel: pre-releases too', async () => {
  const info = await provider('win32', { channel: 'beta' }).p.getLatestVersion();
  assert.equal(info.version, '1.3.0-beta.1');
  assert.deepEqual(info.files.map((f) => f.url), ['Herald-1.3.0-beta.1-win-x64.exe']);
});

test('no build of that kind: a 404 that says why; electron-updater reports the channel file missing', async () => {
  const { p } = provider('linux');
  unlinkSync(path.join(builds, 'Herald-1.2.0-linux-x64.AppImage'));
  try {
    await assert.rejects(p.getLatestVersion(), (e: Error & { code?: string }) => e.code === 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND');
    const res = await fetch(`${feedUrl()}/latest-linux.yml`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /no stable AppImage build for linux x64 in the gateway's builds folder/);
    const gone = await fetch(`${feedUrl()}/Herald-1.2.0-linux-x64.AppImage`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(gone.status, 404);
  } finally {
    put('Herald-1.2.0-linux-x64.AppImage', files['Herald-1.2.0-linux-x64.AppImage']!);
  }
  assert.equal((await p.getLatestVersion()).version, '1.2.0', 'the same request works with the build there');
});

test('wrong or missing token: 401 for the channel file and the files', async () => {
  await assert.rejects(provider('win32', { bearer: 'not-a-token-at-all' }).p.getLatestVersion(), (e: unknown) => e instanceof HttpError && e.statusCode === 401);
  for (const f of ['latest.yml', 'Herald-1.2.0-win-x64.exe']) {
    assert.equal((await fetch(`${feedUrl()}/${f}`)).status, 401, f);
    assert.equal((await fetch(`${feedUrl()}/${f}`, { headers: { authorization: 'Bearer nope' } })).status, 401, f);
    assert.equal((await fetch(`${feedUrl()}/${f}`, { headers: { authorization: `Bearer ${token}` } })).status, 200, `${f} with the token`);
  }
});

test('only files the feed names are served (not other builds, not other paths)', async () => {
  const get = (f: string) => fetch(`${feedUrl()}/${f}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await get('Herald-1.2.0-win-x64.exe.blockmap')).status, 200, 'the blockmap beside a listed installer');
  put('Herald-1.0.0-win-x64.exe.blockmap', randomBytes(300)); // the installed version's, its installer gone
  assert.equal((await get('Herald-1.0.0-win-x64.exe.blockmap')).status, 200, 'an older version\'s blockmap (differential download)');
  assert.equal((await get('Herald-1.2.0-win-arm64.exe.blockmap')).status, 404, 'a blockmap that is not there');
  put('Herald-1.2.0-mac-arm64.dmg.blockmap', randomBytes(300));
  assert.equal((await get('Herald-1.2.0-mac-arm64.dmg.blockmap')).status, 404, 'not of a feed kind');
  for (const f of ['Herald-1.2.0-mac-arm64.dmg', 'Herald-1.1.0-win-x64.exe', 'Herald-1.3.0-beta.1-win-x64.exe', 'Herald-1.2.0-win-x64.zip', '..%2Fherald.db', 'latest-solaris.yml']) {
    assert.equal((await get(f)).status, 404, f);
  }
  assert.equal((await fetch(`${gw.url}/updates/nightly/latest.yml`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
});

test('byte ranges: 206 with the slice, 416 past the end, the whole file for several ranges', async () => {
  const name = 'Herald-1.2.0-win-x64.exe';
  const whole = files[name]!;
  const get = (range: string, extra: Record<string, string> = {}) => fetch(`${feedUrl()}/${name}`, { headers: { authorization: `Bearer ${token}`, range, ...extra } });
  let res = await get('bytes=1000-1999');
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes 1000-1999/${whole.length}`);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(1000, 2000));
  res = await get('bytes=-10');
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(whole.length - 10));
  res = await get(`bytes=${whole.length}-`);
  assert.equal(res.status, 416);
  assert.equal(res.headers.get('content-range'), `bytes */${whole.length}`);
  await res.arrayBuffer();
  res = await get('bytes=0-9,20-29');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  assert.equal((await res.arrayBuffer()).byteLength, whole.length);
  res = await get('bytes=0-9', { 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' });
  assert.equal(res.status, 200, 'If-Range of another version: the whole file');
  await res.arrayBuffer();
});

test('the domain setting: in /config with the feed URL; off means no feed for that domain', async () => {
  const cfg = await gw.api('GET', '/api/v1/config', { token });
  assert.deepEqual(cfg.json.updates, { mode: 'notify', feedUrl: `${gw.url}/updates/stable` });
  gw.services.directory.setDomainUpdates('example.com', 'automatic');
  assert.equal((await gw.api('GET', '/api/v1/config', { token })).json.updates.mode, 'automatic');
  gw.services.directory.setDomainUpdates('example.com', 'off');
  try {
    assert.equal((await gw.api('GET', '/api/v1/config', { token })).json.updates.mode, 'off');
    const res = await gw.api('GET', '/updates/stable/latest.yml', { token });
    assert.equal(res.status, 403);
    assert.match(res.json.error.message, /desktop updates are off for example\.com/);
  } finally {
    gw.services.directory.setDomainUpdates('example.com', 'notify');
  }
  assert.equal((await gw.api('GET', '/updates/stable/latest.yml', { token })).status, 200);
});
