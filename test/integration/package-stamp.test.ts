// Per-user stamping of generic builds (gateway/src/provisioning/) against archives made by the
// system's zip and tar, read back by unzip, tar and Python's zipfile/tarfile — and the real
// desktop core (provisioning + session) enrolling with what was stamped, against our real gateway:
// exactly once; a second use, an expired provision and a tampered one refused with clear words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream, copyFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { ProvisionFileSchema, type ProvisionFile } from '../../gateway/src/protocol/provision.ts';
import { ArtifactError } from '../../gateway/src/provisioning/app-resources.ts';
import { PUBLIC_KEYS_FILE, SIGNING_KEY_FILE, loadSigningKey } from '../../gateway/src/provisioning/signing-key.ts';
import { PROVISION_KEYS_FILE } from '../../desktop/src/core/provisioning/provision-sources.ts';
import { verifyProvision } from '../../desktop/src/core/provisioning/provision-verify.ts';
import { systemClock } from '../../desktop/src/core/ports/clock.ts';
import { createSession, DEVICE_TOKEN_KEY, type StartResult } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { MemorySecretStore } from '../../desktop/test-support/fake-ports.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { makeGenericBuild, resourcesPathOf, unpack, type BuildOs } from '../fixtures/generic-build.ts';

let root: string;
let gw: TestGateway;

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-stamp-'));
  gw = await startTestGateway({ 'xmpp.enabled': false });
  for (const u of ['bob', 'carol', 'dave', 'erin']) await gw.user(`${u}@example.com`, `${u} password`);
});
after(async () => {
  await gw.destroy();
  rmSync(root, { recursive: true, force: true });
});

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
/** A Python reader nobody here wrote: lists and reads members through zipfile / tarfile. */
const python = (code: string, file: string) => sh('/usr/bin/python3', ['-c', code, file]);

/** A stamped copy written as the download page sends it (stream) or as bulk packaging writes it (file). */
async function stampTo(build: string, user: string, via: 'stream' | 'file' = 'stream'): Promise<{ file: string; size: number; entryName: string }> {
  const { pkg } = await gw.provisioning.package(build, user);
  const file = path.join(mkdtempSync(path.join(root, 'out-')), path.basename(build));
  if (via === 'stream') await pipeline(pkg.stream(), createWriteStream(file));
  else await pkg.writeTo(file);
  return { file, size: pkg.size, entryName: pkg.entryName };
}

const enrollCount = () => {
  const db = new Database(path.join(gw.dataDir, 'herald.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM enroll_tokens').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** The desktop core's session on a fresh (or given) user data folder, with these app resources. */
function desktop(resourcesDir: string, userData = mkdtempSync(path.join(root, 'user-'))) {
  const secrets = new MemorySecretStore();
  const session = createSession({ storage: createDirStorage(userData), secrets, clock: systemClock, places: { resourcesDir, userDataDir: userData }, deviceName: 'test laptop', apiTimeoutMs: 5000 });
  return { session, secrets, userData };
}
const promptOf = (r: StartResult) => {
  assert.ok('prompt' in r, `expected the sign-in form, got ${JSON.stringify(r)}`);
  return r.prompt;
};

test('the signing key is made once: private key 0600, public JWK Set exported, same key on the next start', () => {
  const dir = path.join(gw.dataDir, 'provisioning');
  assert.equal(statSync(path.join(dir, SIGNING_KEY_FILE)).mode & 0o777, 0o600);
  const keys = JSON.parse(readFileSync(path.join(dir, PUBLIC_KEYS_FILE), 'utf8'));
  assert.deepEqual(keys, gw.provisioning.key.keySet);
  assert.equal(keys.keys.length, 1);
  assert.equal(keys.keys[0]!.x, gw.provisioning.key.publicJwk.x);
  const again = loadSigningKey(gw.dataDir);
  assert.equal(again.created, false);
  assert.equal(again.kid, gw.provisioning.key.kid);
  assert.ok(!readFileSync(path.join(dir, PUBLIC_KEYS_FILE), 'utf8').includes('"d"'), 'no private part in the exported keys');
});

for (const [os, format, via] of [['linux', 'tar.gz', 'stream'], ['linux', 'tar.gz', 'file'], ['win', 'zip', 'stream'], ['win', 'zip', 'file'], ['mac', 'zip', 'stream']] as [BuildOs, 'zip' | 'tar.gz', 'stream' | 'file'][]) {
  test(`${os} ${format} as a ${via}: a stamped copy keeps every original byte, passes the standard tools and carries a genuine provision.json`, async () => {
    const build = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os, format });
    const original = readFileSync(build);
    const { file, size, entryName } = await stampTo(build, 'bob@example.com', via);
    const stamped = readFileSync(file);
    assert.equal(stamped.length, size, 'the announced size (Content-Length) is exact');
    const wanted = `${resourcesPathOf(os)}/provision.json`;
    assert.equal(entryName, wanted);
    assert.ok(stamped.length - original.length < 4096, `only a few hundred bytes are added (${stamped.length - original.length})`);

    let json: string;
    if (format === 'zip') {
      // Everything before the original central directory (every entry's bytes) is unchanged.
      const cdOffset = original.readUInt32LE(original.length - 22 + 16);
      assert.ok(stamped.subarray(0, cdOffset).equals(original.subarray(0, cdOffset)), 'local entries copied byte for byte');
      const t = sh('unzip', ['-t', file]);
      assert.equal(t.status, 0, t.stdout + t.stderr);
      assert.match(t.stdout, /No errors detected/);
      assert.match(t.stdout, new RegExp(`testing: ${wanted.replace(/[.]/g, '\\.')}\\s+OK`));
      json = sh('unzip', ['-p', file, wanted]).stdout;
      const py = python('import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))', file);
      assert.equal(py.status, 0, py.stderr);
      assert.equal(Number(py.stdout), Number(python('import sys,zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))', build).stdout) + 1);
    } else {
      assert.ok(stamped.subarray(stamped.length - original.length).equals(original), 'the original file follows the new gzip member byte for byte');
      const t = sh('tar', ['-tzf', file]);
      assert.equal(t.status, 0, t.stderr);
      const listed = t.stdout.trim().split('\n');
      const before = sh('tar', ['-tzf', build]).stdout.trim().split('\n');
      assert.deepEqual(listed.slice(1), before, 'every original entry is still listed, in order');
      assert.equal(listed[0], wanted);
      json = sh('tar', ['-xzOf', file, wanted]).stdout;
      const py = sh('/usr/bin/python3', ['-c', 'import sys,tarfile; t=tarfile.open(sys.argv[1]); sys.stdout.write(t.extractfile(t.getmember(sys.argv[2])).read().decode())', file, wanted]);
      assert.equal(py.status, 0, py.stderr);
      assert.equal(py.stdout, json, 'Python tarfile reads the same provision');
    }
    const provision = ProvisionFileSchema.parse(JSON.parse(json));
    const v = verifyProvision(provision, { trusted: [], origin: 'resources', now: Date.now() });
    assert.equal(v.payload.user, 'bob@example.com');
    assert.equal(v.payload.gateway, gw.url);
    assert.equal(v.payload.issuer, '127.0.0.1');
    assert.match(v.payload.enrollmentToken, /^hen_/);
    assert.equal(v.key.x, gw.provisioning.key.publicJwk.x);
    const ttl = Date.parse(v.payload.expiresAt) - Date.parse(v.payload.issuedAt);
    assert.ok(Math.abs(ttl - gw.settings.tokens.enrollTtlHours * 3600_000) < 5000, 'expires when the token does');
  });
}

test('the desktop core enrolls with a stamped package exactly once; the second copy of it is refused', async () => {
  for (const [os, format, user] of [['linux', 'tar.gz', 'carol'], ['mac', 'zip', 'dave']] as [BuildOs, 'zip' | 'tar.gz', string][]) {
    const build = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os, format });
    const { file } = await stampTo(build, `${user}@example.com`, os === 'mac' ? 'file' : 'stream');
    const app = unpack(file, mkdtempSync(path.join(root, 'app-')));
    const resources = path.join(app, resourcesPathOf(os));

    const first = desktop(resources);
    const r = await first.session.start();
    assert.ok('signedIn' in r, `signed in without a question: ${JSON.stringify(r)}`);
    assert.equal(r.signedIn.user.address, `${user}@example.com`);
    assert.equal(r.signedIn.gatewayUrl, gw.url);
    assert.match(first.secrets.values.get(DEVICE_TOKEN_KEY)!, /^hdt_/);
    const folders = await gw.api('GET', '/api/v1/folders', { token: r.signedIn.token });
    assert.equal(folders.status, 200, 'the device token works');

    const restarted = createSession({ storage: createDirStorage(first.userData), secrets: first.secrets, clock: systemClock, places: { resourcesDir: resources, userDataDir: first.userData }, deviceName: 'test laptop' });
    assert.ok('signedIn' in (await restarted.start()), 'a restart keeps the session (no second enrollment)');

    const second = desktop(resources); // the same package opened on another computer
    const p = promptOf(await second.session.start());
    assert.equal(p.reason, 'enrollment-refused');
    assert.match(p.message, /already been used; ask your administrator for a new one/);
    assert.equal(p.user, `${user}@example.com`, 'the sign-in form is prefilled');
    assert.equal(p.gatewayUrl, gw.url);
  }
});

test('an expired provision is refused by the app (and its token by the gateway): the sign-in form, prefilled', async () => {
  const build = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os: 'win', format: 'zip' });
  const { pkg, issued } = await gw.provisioning.package(build, 'erin@example.com', 50);
  const file = path.join(mkdtempSync(path.join(root, 'out-')), 'expired.zip');
  await pipeline(pkg.stream(), createWriteStream(file));
  await new Promise((r) => setTimeout(r, 80));
  const app = unpack(file, mkdtempSync(path.join(root, 'app-')));
  const p = promptOf(await desktop(path.join(app, 'resources')).session.start());
  assert.equal(p.reason, 'provision-expired');
  assert.match(p.message, /^The provisioning for erin@example\.com expired on .+\. Sign in with your password\.$/);
  assert.equal(p.user, 'erin@example.com');
  assert.equal(p.gatewayUrl, gw.url);
  const direct = await gw.api('POST', '/api/v1/enroll', { body: { token: issued.token } });
  assert.equal(direct.status, 401);
  assert.equal(direct.json.error.code, 'token_expired');
});

test('a tampered package is refused: an edited provision.json by the app, edited archive bytes by unzip', async () => {
  const build = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os: 'linux', format: 'tar.gz' });
  const { file } = await stampTo(build, 'bob@example.com');
  const app = unpack(file, mkdtempSync(path.join(root, 'app-')));
  const resources = path.join(app, resourcesPathOf('linux'));
  const provisionPath = path.join(resources, 'provision.json');
  const f = JSON.parse(readFileSync(provisionPath, 'utf8')) as ProvisionFile;
  const payload = JSON.parse(Buffer.from(f.payload, 'base64url').toString());
  const devicesBefore = gw.services.tokens.listDevices('bob@example.com').length;
  for (const edit of [{ user: 'mallory@example.com' }, { gateway: 'https://phish.example.net' }, { expiresAt: '2099-01-01T00:00:00.000Z' }]) {
    writeFileSync(provisionPath, JSON.stringify({ ...f, payload: Buffer.from(JSON.stringify({ ...payload, ...edit })).toString('base64url') }));
    const p = promptOf(await desktop(resources).session.start());
    assert.equal(p.reason, 'provision-invalid', JSON.stringify(edit));
    assert.match(p.message, /the file was changed after it was signed/);
  }
  assert.equal(gw.services.tokens.listDevices('bob@example.com').length, devicesBefore, 'nothing was enrolled');

  const zipBuild = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os: 'win', format: 'zip' });
  const z = await stampTo(zipBuild, 'bob@example.com', 'file');
  const bytes = readFileSync(z.file);
  const at = bytes.indexOf(Buffer.from('"signature"'));
  bytes[at + 20] = bytes[at + 20] === 0x41 ? 0x42 : 0x41;
  writeFileSync(z.file, bytes);
  const t = sh('unzip', ['-t', z.file]);
  assert.notEqual(t.status, 0);
  assert.match(t.stdout, /resources\/provision\.json\s+bad CRC/);
});

test('bad builds are refused with a clear reason, and no enrollment token is issued for them', async () => {
  const dir = mkdtempSync(path.join(root, 'bad-'));
  const good = makeGenericBuild(dir, { os: 'linux', format: 'tar.gz' });
  const goodZip = makeGenericBuild(dir, { os: 'win', format: 'zip' });
  const cases: [string, () => string, RegExp][] = [
    ['random bytes named .zip', () => (writeFileSync(path.join(dir, 'a.zip'), Buffer.alloc(5000, 7)), path.join(dir, 'a.zip')), /not a ZIP file \(no end of central directory record\)/],
    ['random bytes named .tar.gz', () => (writeFileSync(path.join(dir, 'a.tar.gz'), Buffer.alloc(5000, 7)), path.join(dir, 'a.tar.gz')), /not a gzip file/],
    ['gzip of something that is not tar', () => (writeFileSync(path.join(dir, 'b.tar.gz'), gzipSync(Buffer.alloc(4096, 65))), path.join(dir, 'b.tar.gz')), /bad tar header checksum at byte 0/],
    ['a truncated tar.gz', () => { const f = path.join(dir, 'cut.tar.gz'); copyFileSync(good, f); truncateSync(f, Math.floor(statSync(f).size / 2)); return f; }, /damaged gzip data|ends early/],
    ['a truncated zip', () => { const f = path.join(dir, 'cut.zip'); copyFileSync(goodZip, f); truncateSync(f, statSync(f).size - 10); return f; }, /not a ZIP file/],
    ['a zip without an Electron app', () => { const f = path.join(dir, 'docs.zip'); sh('zip', ['-q', '-j', f, path.join(import.meta.dirname, '../../README.md')]); return f; }, /no Electron app in this archive: expected resources\/app\.asar/],
    ['another Electron app (zip, no Herald marker)', () => makeGenericBuild(mkdtempSync(path.join(dir, 'other-')), { os: 'win', format: 'zip', marker: false }), /not a Herald build: an Electron app without resources\/herald-build\.json/],
    ['another Electron app (tar.gz, no Herald marker)', () => makeGenericBuild(mkdtempSync(path.join(dir, 'other-')), { os: 'linux', format: 'tar.gz', marker: false }), /not a Herald build: an Electron app without Herald-0\.1\.0\/resources\/herald-build\.json/],
    ['an installer', () => (writeFileSync(path.join(dir, 'Herald-0.1.0-win-x64.exe'), 'MZ'), path.join(dir, 'Herald-0.1.0-win-x64.exe')), /not a signed Herald installer: the file ends inside its DOS header/],
    ['a missing file', () => path.join(dir, 'nothing.zip'), /cannot open .*nothing\.zip: ENOENT/],
  ];
  for (const [what, make, want] of cases) {
    const file = make();
    const tokens = enrollCount();
    await assert.rejects(gw.provisioning.package(file, 'bob@example.com'), (e: Error) => e instanceof ArtifactError && want.test(e.message), what);
    assert.equal(enrollCount(), tokens, `no token issued for ${what}`);
  }
  for (const format of ['zip', 'tar.gz'] as const) {
    const once = await stampTo(format === 'zip' ? goodZip : good, 'bob@example.com');
    await assert.rejects(gw.provisioning.package(once.file, 'bob@example.com'), /already contains .*provision\.json: stamp the generic build, not a stamped copy/, `a stamped ${format} again`);
  }
  await assert.rejects(gw.provisioning.package(good, 'nobody@example.com'), /no user nobody@example\.com/);
});

test('ZIP64 archives (zip -fz) are stamped with ZIP64 end records', async () => {
  const build = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os: 'win', format: 'zip', zipArgs: ['-fz'] });
  const original = readFileSync(build);
  assert.ok(original.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'the system zip wrote a ZIP64 end record');
  const { file } = await stampTo(build, 'bob@example.com');
  const t = sh('unzip', ['-t', file]);
  assert.equal(t.status, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /testing: resources\/provision\.json\s+OK/);
  const py = python('import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(z.read("resources/provision.json").decode())', file);
  assert.equal(py.status, 0, py.stderr);
  assert.equal(verifyProvision(JSON.parse(py.stdout), { trusted: [], origin: 'resources', now: Date.now() }).payload.user, 'bob@example.com');
});

test('the exported key set lets the app trust a deep link (installers) — and only links signed by that key', async () => {
  const resources = mkdtempSync(path.join(root, 'installed-'));
  writeFileSync(path.join(resources, PROVISION_KEYS_FILE), readFileSync(path.join(gw.dataDir, 'provisioning', PUBLIC_KEYS_FILE)));
  const issued = gw.provisioning.issue('bob@example.com');
  const d = desktop(resources);
  await d.session.start(); // no provision in the resources: the form
  const r = await d.session.provision(issued.deepLink);
  assert.ok('signedIn' in r, JSON.stringify(r));
  assert.equal(r.signedIn.user.address, 'bob@example.com');

  const other = desktop(mkdtempSync(path.join(root, 'installed-'))); // a build without provision-keys.json
  await other.session.start();
  const p = promptOf(await other.session.provision(gw.provisioning.issue('bob@example.com').deepLink));
  assert.equal(p.reason, 'provision-invalid');
  assert.match(p.message, /which this app does not trust/);
});
