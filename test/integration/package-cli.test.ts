// `herald-gateway package` as an admin runs it: the real CLI process, beside a real `serve --demo`
// process on the same data folder. Every user of the demo domain gets a package in one command, a
// manifest lists them, a package enrolls (the desktop core, against the serving process), a revoked
// one is refused; a progress bar on a terminal (under script(1)), plain lines otherwise; installers
// get provision.json and the sign-in link beside them; bad input fails clearly and makes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILD_MARKER } from '../../gateway/src/provisioning/build-marker.ts';
import { verifyProvision } from '../../desktop/src/core/provisioning/provision-verify.ts';
import { parseDeepLink } from '../../desktop/src/core/provisioning/provision-sources.ts';
import { systemClock } from '../../desktop/src/core/ports/clock.ts';
import { createSession } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { MemorySecretStore } from '../../desktop/test-support/fake-ports.ts';
import { makeGenericBuild, resourcesPathOf, unpack } from '../fixtures/generic-build.ts';
import { makeSignedPe, signedPeUnavailable, type SignedPe } from '../fixtures/signed-pe.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin', 'herald-gateway.mjs');
let root: string;
let dataDir: string;
let serve: ChildProcess;
let url: string;
let build: string;
/** Real Windows programs (mingw-w64, osslsigncode) with and without Herald's marker, where the tools are. */
let pe: SignedPe | undefined;
const noPe = signedPeUnavailable();

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--data', dataDir], { encoding: 'utf8', env: { ...process.env, HERALD_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-package-cli-'));
  dataDir = path.join(root, 'data');
  build = makeGenericBuild(root, { os: 'linux', format: 'tar.gz' });
  if (!noPe) pe = makeSignedPe();
  serve = spawn(process.execPath, [bin, 'serve', '--demo', '--data', dataDir, '--http-port', '0', '--xmpp-port', '0'], {
    env: { ...process.env, HERALD_LOG_LEVEL: 'info', HERALD__HTTP__HOST: '127.0.0.1', HERALD__XMPP__ENABLED: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  serve.stdout!.on('data', (c: Buffer) => (out += c));
  serve.stderr!.on('data', (c: Buffer) => (out += c));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 20_000);
    serve.stdout!.on('data', () => {
      const m = out.match(/"url":"(http:\/\/[^"]+)"/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace('localhost', '127.0.0.1'));
      }
    });
    serve.once('exit', (code) => reject(new Error(`gateway exited ${code}:\n${out}`)));
  });
});
after(() => {
  pe?.cleanup();
  serve?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A copy of `file` under `name` in the test folder. */
function copyAs(file: string, name: string): string {
  const to = path.join(root, name);
  writeFileSync(to, readFileSync(file));
  return to;
}

/** Enrollment tokens in the gateway's database (all, or the live ones of one user). */
function enrollTokens(): number {
  const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM enroll_tokens').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
function liveEnrollTokens(address: string): number {
  const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true, fileMustExist: true });
  try {
    const sql = 'SELECT count(*) AS n FROM enroll_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.address = ? AND t.used_at IS NULL AND t.revoked_at IS NULL';
    return (db.prepare(sql).get(address) as { n: number }).n;
  } finally {
    db.close();
  }
}

const manifestRows = (out: string) =>
  readFileSync(path.join(out, 'manifest.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));

async function enrollWith(file: string) {
  const app = unpack(file, mkdtempSync(path.join(root, 'app-')));
  const userData = mkdtempSync(path.join(root, 'user-'));
  return createSession({ storage: createDirStorage(userData), secrets: new MemorySecretStore(), clock: systemClock, places: { resourcesDir: path.join(app, resourcesPathOf('linux')), userDataDir: userData }, deviceName: 'cli test' }).start();
}

test('every user of the demo domain packaged in one command: plain progress lines, a manifest, packages that enroll once', async () => {
  const out = path.join(root, 'out');
  const r = cli(['package', '--domain', 'example.com', '--from', build, '--out', out, '--url', url]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('packaged')), ['packaged 1/3 alice@example.com', 'packaged 2/3 bob@example.com', 'packaged 3/3 carol@example.com']);
  assert.match(r.stdout, /3 package\(s\) in .*out, listed in manifest\.csv/);
  assert.match(r.stdout, /herald-gateway token revoke <address>/);

  const rows = manifestRows(out);
  assert.deepEqual(rows[0], ['user', 'file', 'token_expires']);
  assert.deepEqual(rows.slice(1).map((x) => [x[0], x[1]]), ['alice', 'bob', 'carol'].map((u) => [`${u}@example.com`, `${u}@example.com/Herald-0.1.0-linux-x64.tar.gz`]));
  const week = Date.now() + 7 * 24 * 3600_000;
  for (const row of rows.slice(1)) assert.ok(Math.abs(Date.parse(row[2]!) - week) < 60_000, `default expiry tokens.enrollTtlHours: ${row[2]}`);
  assert.ok(!readdirSync(path.join(out, 'bob@example.com')).some((f) => f.endsWith('.part')), 'no half-written file left');

  const tokens = new Set<string>();
  for (const u of ['alice', 'bob', 'carol']) {
    const file = path.join(out, `${u}@example.com`, 'Herald-0.1.0-linux-x64.tar.gz');
    const listed = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
    assert.equal(listed.status, 0);
    const json = spawnSync('tar', ['-xzOf', file, 'Herald-0.1.0/resources/provision.json'], { encoding: 'utf8' }).stdout;
    const v = verifyProvision(JSON.parse(json), { trusted: [], origin: 'resources', now: Date.now() });
    assert.equal(v.payload.user, `${u}@example.com`);
    assert.equal(v.payload.gateway, url);
    tokens.add(v.payload.enrollmentToken);
  }
  assert.equal(tokens.size, 3, 'one token per user');

  // carol's package signs carol in against the serving process; bob's is revoked first and refused.
  const carol = await enrollWith(path.join(out, 'carol@example.com', 'Herald-0.1.0-linux-x64.tar.gz'));
  assert.ok('signedIn' in carol, JSON.stringify(carol));
  assert.equal(carol.signedIn.user.address, 'carol@example.com');
  const revoke = cli(['token', 'revoke', 'bob@example.com']);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.match(revoke.stdout, /revoked 1 enrollment token of bob@example\.com/);
  const bob = await enrollWith(path.join(out, 'bob@example.com', 'Herald-0.1.0-linux-x64.tar.gz'));
  assert.ok('prompt' in bob);
  assert.equal(bob.prompt.reason, 'enrollment-refused');
  assert.match(bob.prompt.message, /this enrollment token was revoked/);
});

test('on a terminal a progress bar is drawn (script(1) gives the CLI a pty); --user packages one; --ttl sets the expiry', () => {
  const out = path.join(root, 'out-tty');
  const cmd = [process.execPath, bin, 'package', '--user', 'alice@example.com', '--from', build, '--out', out, '--url', url, '--ttl', '2', '--data', dataDir].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, HERALD_LOG_LEVEL: 'warn' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\r\x1b\[2K\[#{24}\] 1\/1 alice@example\.com/);
  assert.ok(!r.stdout.includes('packaged 1/1'), 'no plain lines on a terminal');
  const rows = manifestRows(out);
  assert.equal(rows.length, 2);
  assert.ok(Math.abs(Date.parse(rows[1]![2]!) - (Date.now() + 2 * 3600_000)) < 60_000);
});

test('an unsigned installer with Herald’s marker gets provision.json and the sign-in link beside a link to it; `package keys` prints the key set builds ship', { skip: noPe }, () => {
  // A real unsigned Windows program whose version resource carries HeraldBuild = herald-build:org.herald.desktop
  // (what build/installer.nsh's VIAddVersionKey puts into the NSIS installer).
  const exe = path.join(root, 'Herald-0.1.0-win-x64.exe');
  writeFileSync(exe, readFileSync(pe!.unsigned));
  const out = path.join(root, 'out-exe');
  const r = cli(['package', '--user', 'bob@example.com', '--from', exe, '--out', out, '--url', url]);
  assert.equal(r.code, 0, r.stderr);
  const dir = path.join(out, 'bob@example.com');
  assert.deepEqual(readdirSync(dir).sort(), ['Herald-0.1.0-win-x64.exe', 'provision.json', 'sign-in-link.txt']);
  assert.equal(statSync(path.join(dir, 'Herald-0.1.0-win-x64.exe')).ino, statSync(exe).ino, 'hard-linked, not copied');
  const keys = cli(['package', 'keys']);
  assert.equal(keys.code, 0, keys.stderr);
  const keySet = JSON.parse(keys.stdout);
  assert.deepEqual(keySet, JSON.parse(readFileSync(path.join(dataDir, 'provisioning', 'provision-keys.json'), 'utf8')));
  const sidecar = verifyProvision(JSON.parse(readFileSync(path.join(dir, 'provision.json'), 'utf8')), { trusted: keySet.keys, origin: 'user-data', now: Date.now() });
  assert.equal(sidecar.payload.user, 'bob@example.com');
  const link = verifyProvision(parseDeepLink(readFileSync(path.join(dir, 'sign-in-link.txt'), 'utf8').trim()), { trusted: keySet.keys, origin: 'deep-link', now: Date.now() });
  assert.equal(link.payload.enrollmentToken, sidecar.payload.enrollmentToken);
  const written = path.join(root, 'keys.json');
  assert.equal(cli(['package', 'keys', '--out', written]).code, 0);
  assert.deepEqual(JSON.parse(readFileSync(written, 'utf8')), keySet);
});

test('bad input fails with a clear message, exit code 2 for usage and 1 otherwise, and makes no package', () => {
  const notApp = path.join(root, 'docs.zip');
  spawnSync('zip', ['-q', '-j', notApp, path.join(repo, 'README.md')]);
  const cases: [string[], number, RegExp][] = [
    [['package', '--domain', 'example.com', '--out', path.join(root, 'x1')], 2, /missing --from <generic build>/],
    [['package', '--domain', 'example.com', '--from', build], 2, /missing --out <folder>/],
    [['package', '--from', build, '--out', path.join(root, 'x2')], 2, /say whom to package for: --domain <domain> \(every user\) or --user <local@domain>/],
    [['package', '--domain', 'nowhere.example', '--from', build, '--out', path.join(root, 'x3')], 1, /no domain nowhere\.example/],
    [['package', '--user', 'zed@example.com', '--from', build, '--out', path.join(root, 'x4')], 1, /no user zed@example\.com/],
    [['package', '--domain', 'example.com', '--from', path.join(root, 'missing.zip'), '--out', path.join(root, 'x5')], 1, /no build file .*missing\.zip/],
    [['package', '--domain', 'example.com', '--from', build, '--out', path.join(root, 'x6'), '--ttl', 'soon'], 2, /--ttl takes a number of hours > 0/],
    [['package', '--domain', 'example.com', '--from', build, '--out', path.join(root, 'x7'), '--url', 'ftp://x'], 2, /--url takes the gateway's public http\(s\) URL/],
    [['package', '--domain', 'example.com', '--from', build, '--out', path.join(root, 'x9'), '--url', 'http://mail.example.com'], 2, /--url must be https:\/\/ for another machine \(got http:\/\/mail\.example\.com\); the desktop refuses plain http:\/\/ there/],
    [['package', '--domain', 'example.com', '--from', notApp, '--out', path.join(root, 'x8'), '--url', url], 1, /no Electron app in this archive/],
    [['package', 'frobnicate'], 2, /unknown command "package frobnicate"/],
  ];
  for (const [args, code, want] of cases) {
    const r = cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
  }
  assert.ok(!existsSync(path.join(root, 'x1')) && !existsSync(path.join(root, 'x3')));
  assert.ok(!existsSync(path.join(root, 'x8')), 'a refused build leaves no folder and no empty manifest');
});

test('what is not a Herald build is refused before any token is issued: /etc/hostname, another Electron app, an installer without the marker', () => {
  const other = makeGenericBuild(mkdtempSync(path.join(root, 'other-')), { os: 'linux', format: 'tar.gz', marker: false });
  const unmarkedExe = path.join(root, 'Other-1.0.0-win-x64.exe');
  writeFileSync(unmarkedExe, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100_000, 1)]));
  // The marker's bytes somewhere in a file are not the marker: it is read from the version resource.
  const scanned = path.join(root, 'Scan-1.0.0-win-x64.exe');
  writeFileSync(scanned, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(5 << 20, 3), Buffer.from(BUILD_MARKER, 'utf16le'), Buffer.from(BUILD_MARKER, 'latin1'), Buffer.alloc(1000, 4)]));
  const dmg = path.join(root, 'Herald-0.1.0-mac-arm64.dmg');
  writeFileSync(dmg, Buffer.concat([Buffer.alloc(1000), Buffer.from(BUILD_MARKER)]));
  const cases: [string, RegExp][] = [
    ['/etc/hostname', /hostname: a file without an extension cannot be checked for Herald's marker/],
    [other, /not a Herald build: an Electron app without Herald-0\.1\.0\/resources\/herald-build\.json/],
    [unmarkedExe, /Other-1\.0\.0-win-x64\.exe is not a Herald build: .*carries no Herald installer marker/],
    [scanned, /Scan-1\.0\.0-win-x64\.exe is not a Herald build: .*carries no Herald installer marker/],
    // Signed and named Herald, without the marker: neither stamped nor packaged (one marker, signed or not).
    ...(pe ? ([[copyAs(pe.productOnly, 'Named-1.0.0-win-x64.exe'), /Named-1\.0\.0-win-x64\.exe is not a Herald build: .*carries no Herald installer marker/]] as [string, RegExp][]) : []),
    [dmg, /a \.dmg cannot be checked for Herald's marker \(its content is compressed\); package the build's \.zip or \.tar\.gz instead/],
  ];
  for (const [from, want] of cases) {
    const before = enrollTokens();
    const out = path.join(mkdtempSync(path.join(root, 'refused-')), 'out');
    const r = cli(['package', '--domain', 'example.com', '--from', from, '--out', out, '--url', url]);
    assert.equal(r.code, 1, `${from}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, want, from);
    assert.equal(enrollTokens(), before, `no token issued for ${from}`);
    assert.ok(!existsSync(out), `nothing written for ${from}`);
  }
});

test('a second run into the same --out appends to its manifest; one that would replace a listed package is refused and issues nothing', () => {
  const out = path.join(root, 'out-twice');
  assert.equal(cli(['package', '--user', 'alice@example.com', '--from', build, '--out', out, '--url', url]).code, 0);
  const second = cli(['package', '--user', 'bob@example.com', '--from', build, '--out', out, '--url', url]);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(manifestRows(out).map((r) => r[0]), ['user', 'alice@example.com', 'bob@example.com'], 'both runs listed, one header');
  const before = enrollTokens();
  const again = cli(['package', '--domain', 'example.com', '--from', build, '--out', out, '--url', url]);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /already holds 2 of these packages \(alice@example\.com\/Herald-0\.1\.0-linux-x64\.tar\.gz, …\): use another --out, or revoke their tokens/);
  assert.equal(enrollTokens(), before, 'no token issued');
  assert.ok(!existsSync(path.join(out, 'carol@example.com')));
  assert.equal(manifestRows(out).length, 3);
});

test('a package that cannot be written has its token revoked, and the failed run lists only what it made', () => {
  const out = path.join(root, 'out-blocked');
  mkdirSync(out);
  writeFileSync(path.join(out, 'bob@example.com'), 'a file where bob’s folder would go');
  const [all, bobLive] = [enrollTokens(), liveEnrollTokens('bob@example.com')];
  const r = cli(['package', '--domain', 'example.com', '--from', build, '--out', out, '--url', url]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the package for bob@example\.com could not be written \(.*\); its sign-in token was revoked/);
  assert.deepEqual(manifestRows(out).map((x) => x[0]), ['user', 'alice@example.com']);
  assert.equal(enrollTokens(), all + 2, 'alice’s and bob’s tokens were issued');
  assert.equal(liveEnrollTokens('bob@example.com'), bobLive, 'bob’s token for the package that was not made is revoked');
  assert.ok(liveEnrollTokens('alice@example.com') >= 1, 'alice’s listed package stays valid');
});

test('without --url the packages point where `serve` with the same settings listens (http.publicUrl, else its host and port), with a warning', () => {
  const out = path.join(root, 'out-port');
  const r = cli(['package', '--user', 'carol@example.com', '--from', build, '--out', out, '--http-port', '4123']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: http\.publicUrl is not set: using http:\/\/127\.0\.0\.1:4123, which works on this machine only/);
  const json = spawnSync('tar', ['-xzOf', path.join(out, 'carol@example.com', 'Herald-0.1.0-linux-x64.tar.gz'), 'Herald-0.1.0/resources/provision.json'], { encoding: 'utf8' }).stdout;
  assert.equal(verifyProvision(JSON.parse(json), { trusted: [], origin: 'resources', now: Date.now() }).payload.gateway, 'http://127.0.0.1:4123');
  const config = path.join(root, 'public.json');
  writeFileSync(config, JSON.stringify({ http: { publicUrl: 'https://chat.example.com:8443' } }));
  const out2 = path.join(root, 'out-public');
  const r2 = cli(['package', '--user', 'carol@example.com', '--from', build, '--out', out2, '--config', config]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.doesNotMatch(r2.stderr, /publicUrl is not set/);
  const json2 = spawnSync('tar', ['-xzOf', path.join(out2, 'carol@example.com', 'Herald-0.1.0-linux-x64.tar.gz'), 'Herald-0.1.0/resources/provision.json'], { encoding: 'utf8' }).stdout;
  assert.equal(verifyProvision(JSON.parse(json2), { trusted: [], origin: 'resources', now: Date.now() }).payload.gateway, 'https://chat.example.com:8443');
});
