// Per-user Windows installers that keep their signature, on a real signed program: a tiny
// mingw-w64 build signed by osslsigncode with a test CA (test/fixtures/signed-pe.ts). Herald's
// stamper tags a user's signed provision into the Authenticode signature's unauthenticated
// attributes; `osslsigncode verify` against the test CA still passes (and the PE checksum is
// right); the desktop core reads the tag back from the .exe and verifies the provision; a changed
// tag is refused by the provision's own signature; a changed byte of code fails osslsigncode
// (so its "ok" means something). Skipped, saying why, where the Debian tools are missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { provisionFileBytes } from '../../gateway/src/provisioning/provision-signer.ts';
import { ArtifactError } from '../../gateway/src/provisioning/app-resources.ts';
import { createStamper, stampableBuildOf } from '../../gateway/src/provisioning/stamper.ts';
import { buildFor, listBuilds, platformById } from '../../gateway/src/provisioning/build-catalog.ts';
import { locatePe, readCertificateTableTag } from '../../gateway/src/protocol/pe-tag.ts';
import { findProvision } from '../../desktop/src/core/provisioning/provision-sources.ts';
import { ProvisionError, verifyProvision } from '../../desktop/src/core/provisioning/provision-verify.ts';
import { readInstallerTag } from '../../desktop/src/core/provisioning/installer-tag.ts';
import { createTestSigner, provisionPayload } from '../../desktop/test-support/provision-signer.ts';
import { makeSignedPe, nsisUnavailable, osslVerify, signedPeUnavailable, type SignedPe } from '../fixtures/signed-pe.ts';

const skip = signedPeUnavailable();
const NOW = Date.now();
const signer = createTestSigner('gw-pe');
const provision = (user: string) => provisionFileBytes(signer.sign(provisionPayload({ gateway: 'https://gw.example.com', user, token: 'hen_abcdefghijklmnop', now: NOW })));
let pe: SignedPe;

before(() => {
  if (!skip) pe = makeSignedPe();
});
after(() => pe?.cleanup());

/** Stamps `file` (copied under a build name) for `bytes`, both ways out; returns the written file. */
async function stamp(file: string, bytes: Buffer, name: string): Promise<string> {
  const build = path.join(pe.dir, `Herald-1.0.0-win-x64-${name}.exe`);
  copyFileSync(file, build);
  const out = path.join(pe.dir, `stamped-${name}.exe`);
  const stamper = createStamper();
  const pkg = await stamper.stamp(build, bytes);
  await pkg.writeTo(out);
  const streamed: Buffer[] = [];
  for await (const chunk of (await stamper.stamp(build, bytes)).stream()) streamed.push(chunk as Buffer);
  const written = readFileSync(out);
  assert.equal(written.length, pkg.size, 'size announced = size written');
  assert.ok(Buffer.concat(streamed).equals(written), 'the streamed copy is the written copy');
  return out;
}

test('a stamped signed installer still verifies with osslsigncode, and the desktop reads the tag back', { skip }, async () => {
  const before = osslVerify(pe.signed, pe.caFile);
  assert.ok(before.ok, `the unstamped program verifies: ${before.output}`);
  const bytes = provision('alice@example.com');
  const out = await stamp(pe.signed, bytes, 'alice');
  assert.ok(readFileSync(out).length > readFileSync(pe.signed).length, 'the tag is in the file');

  const v = osslVerify(out, pe.caFile);
  assert.ok(v.ok, `osslsigncode verify of the stamped program: ${v.output}`);
  assert.match(v.output, /Signature verification: ok/);
  assert.doesNotMatch(v.output, /invalid PE checksum/i, 'the CheckSum field is recomputed');

  const tag = await readInstallerTag(out);
  assert.ok(tag?.equals(bytes), 'the tag is the provision.json bytes');
  const found = await findProvision({ places: { installer: out }, trusted: [signer.publicJwk], used: new Set(), now: NOW });
  assert.equal(found.found?.origin, 'installer');
  assert.equal(found.found?.payload.user, 'alice@example.com');
  assert.equal(await readInstallerTag(pe.signed), undefined, 'the generic build carries no tag');
  assert.equal(await readInstallerTag(pe.unsigned), undefined, 'an unsigned program carries nothing');
  assert.equal(await readInstallerTag(path.join(pe.dir, 'gone.exe')), undefined, 'a deleted installer is no error');

  // Stamping a stamped copy replaces its tag (one Herald attribute, never two).
  const again = await stamp(out, provision('bob@example.com'), 'restamped');
  assert.ok(osslVerify(again, pe.caFile).ok, 'restamped still verifies');
  const raw = readFileSync(again);
  const l = locatePe(raw, raw.length);
  assert.match(readCertificateTableTag(raw.subarray(l.tableOffset))!.toString(), /"payload"/);
  assert.equal(verifyProvision(JSON.parse((await readInstallerTag(again))!.toString()), { trusted: [signer.publicJwk], origin: 'installer', now: NOW }).payload.user, 'bob@example.com');
  assert.equal(raw.toString('latin1').split('HERALD-PROVISION').length - 1, 1, 'exactly one tag');

  // Stamped again with a much smaller tag: the copy is shorter than its build (truncated, not left with the old tail).
  const small = await stamp(again, Buffer.from('{}'), 'small');
  assert.ok(readFileSync(small).length < raw.length);
  assert.ok(osslVerify(small, pe.caFile).ok);
  assert.equal((await readInstallerTag(small))?.toString(), '{}');
});

test('a changed tag is refused; a changed byte of code fails osslsigncode verify', { skip }, async () => {
  const bytes = provision('carol@example.com');
  const out = await stamp(pe.signed, bytes, 'carol');
  const raw = readFileSync(out);

  // Change the provision inside the tag: carol → carel. Authenticode does not cover the tag, so
  // osslsigncode still says ok — the provision's own signature is what refuses it.
  const payloadB64 = JSON.parse(bytes.toString()).payload as string;
  const at = raw.indexOf(Buffer.from(payloadB64.slice(20, 40)));
  assert.ok(at > 0);
  const tampered = Buffer.from(raw);
  tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
  const bad = path.join(pe.dir, 'tampered-tag.exe');
  writeFileSync(bad, tampered);
  assert.ok(osslVerify(bad, pe.caFile).ok, 'the tag is outside the Authenticode signature');
  const r = await findProvision({ places: { installer: bad }, trusted: [signer.publicJwk], used: new Set(), now: NOW });
  assert.equal(r.found, undefined, 'a tampered tag is refused');
  assert.deepEqual(r.problems.map((p) => p.origin), ['installer']);
  assert.ok(['bad-signature', 'malformed'].includes(r.problems[0]!.error.reason), r.problems[0]!.error.message);

  // A foreign key in the tag, even brought along in the header, is not trusted.
  const foreign = createTestSigner('evil');
  const evil = await stamp(pe.signed, provisionFileBytes(foreign.sign(provisionPayload({ gateway: 'https://phish.example.net', user: 'carol@example.com', token: 'hen_abcdefghijklmnop', now: NOW }), { embedKey: true })), 'evil');
  const e = await findProvision({ places: { installer: evil }, trusted: [signer.publicJwk], used: new Set(), now: NOW });
  assert.deepEqual(e.problems.map((p) => [p.origin, p.error.reason]), [['installer', 'untrusted-key']]);

  // A byte of code changed (in the first section, after the headers): the signature breaks.
  const code = Buffer.from(raw);
  code.writeUInt8(code[0x600]! ^ 0xff, 0x600);
  const broken = path.join(pe.dir, 'tampered-code.exe');
  writeFileSync(broken, code);
  const v = osslVerify(broken, pe.caFile);
  assert.equal(v.ok, false, `osslsigncode must refuse changed code: ${v.output}`);

  // A damaged signature table is a clear refusal, not a crash.
  const l = locatePe(raw, raw.length);
  const cut = Buffer.from(raw);
  cut.writeUInt32LE(0x30000, l.tableOffset + 8 + 2); // garbage inside the PKCS#7 lengths
  writeFileSync(path.join(pe.dir, 'damaged.exe'), cut);
  await assert.rejects(readInstallerTag(path.join(pe.dir, 'damaged.exe')), (err: unknown) => err instanceof ProvisionError && err.reason === 'malformed');
});

test('only signed Herald installers are stamped, before any token is issued', { skip }, async () => {
  const stamper = createStamper();
  for (const [file, why] of [
    [pe.unsigned, /not signed/],
    [pe.foreign, /not a Herald installer/],
    // The product name alone is not the marker: one marker (HeraldBuild), signed or not.
    [pe.productOnly, /not a Herald installer: its version resource carries no HeraldBuild marker/],
  ] as const) {
    const build = path.join(pe.dir, 'Herald-1.0.0-win-x64.exe');
    copyFileSync(file, build);
    let issued = false;
    await assert.rejects(
      stamper.stamp(build, () => {
        issued = true;
        return Buffer.from('{}');
      }),
      (err: unknown) => err instanceof ArtifactError && why.test(err.message),
    );
    assert.equal(issued, false, 'no token for a build that cannot be stamped');
  }
});

test('the catalogue and bulk packaging tell a signed Herald installer by content; it wins over the zip at one version', { skip }, () => {
  const dir = path.join(pe.dir, 'builds');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Herald-1.0.0-win-x64.zip'), 'a zip');
  copyFileSync(pe.signed, path.join(dir, 'Herald-1.0.0-win-x64.exe'));
  copyFileSync(pe.unsigned, path.join(dir, 'Herald-1.0.0-win-arm64.exe'));
  copyFileSync(pe.foreign, path.join(dir, 'Herald-0.9.0-win-x64.exe'));
  copyFileSync(pe.productOnly, path.join(dir, 'Herald-0.8.0-win-arm64.exe'));
  const builds = listBuilds(dir);
  const kind = (name: string) => builds.find((b) => b.name === name)?.stampable;
  assert.equal(kind('Herald-1.0.0-win-x64.exe'), 'exe');
  assert.equal(kind('Herald-1.0.0-win-arm64.exe'), undefined, 'unsigned: served as it is');
  assert.equal(kind('Herald-0.9.0-win-x64.exe'), undefined, 'signed, but not Herald');
  assert.equal(kind('Herald-0.8.0-win-arm64.exe'), undefined, 'signed, named Herald, but without the marker');
  assert.equal(buildFor(builds, platformById('win-x64')!)?.name, 'Herald-1.0.0-win-x64.exe');
  assert.equal(buildFor(builds, platformById('win-x64')!, (b) => b.stampable === 'zip')?.name, 'Herald-1.0.0-win-x64.zip');
  // `herald-gateway package --from`: a signed Herald .exe is stamped; another gets a provision.json beside it.
  assert.equal(stampableBuildOf(path.join(dir, 'Herald-1.0.0-win-x64.exe')), 'exe');
  assert.equal(stampableBuildOf(path.join(dir, 'Herald-1.0.0-win-arm64.exe')), undefined);
  assert.equal(stampableBuildOf(path.join(dir, 'Herald-0.9.0-win-x64.exe')), undefined);
  assert.equal(stampableBuildOf(path.join(dir, 'Herald-1.0.0-win-x64.zip')), 'zip');
});

test('a real NSIS installer (makensis, with build/installer.nsh) keeps its signature when stamped', { skip: nsisUnavailable() }, async () => {
  assert.ok(osslVerify(pe.nsis!, pe.caFile).ok, 'the signed installer verifies');
  const bytes = provision('dave@example.com');
  const out = await stamp(pe.nsis!, bytes, 'nsis');
  const v = osslVerify(out, pe.caFile);
  assert.ok(v.ok && /Signature verification: ok/.test(v.output), v.output);
  assert.doesNotMatch(v.output, /invalid PE checksum/i);
  assert.ok((await readInstallerTag(out))?.equals(bytes));
  // NSIS appends its compressed payload after its own PE: the marker is read from the PE alone.
  const raw = readFileSync(pe.nsis!);
  assert.ok(locatePe(raw, raw.length).sectionsEnd < locatePe(raw, raw.length).tableOffset - 1000, 'there is a payload between the sections and the signature');
});
