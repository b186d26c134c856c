// provision.json verification against real Ed25519 signatures (made as the gateway's packaging
// will make them), and the places a provision is looked for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { provisionDeepLink, toCompactJws, type ProvisionFile } from '../../../../gateway/src/protocol/provision.ts';
import { createTestSigner, provisionPayload } from '../../../test-support/provision-signer.ts';
import { PROVISION_KEYS_FILE, findProvision, parseDeepLink, shippedKeys } from './provision-sources.ts';
import { ProvisionError, verifyProvision } from './provision-verify.ts';

const NOW = Date.UTC(2026, 0, 15, 12);
const signer = createTestSigner('gw-2026');
const stranger = createTestSigner('gw-2026'); // same key id, different key: an impostor
const payload = (over: Record<string, unknown> = {}) => ({ ...provisionPayload({ gateway: 'https://gw.example.com', user: 'Alice@Example.com', token: 'hen_abcdefghijklmnop', now: NOW }), ...over });
const trusted = [signer.publicJwk];
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProvisionError) return `${e.reason}: ${e.message}`;
    throw e;
  }
  return 'accepted';
};

test('a genuine provision verifies; its payload is normalised and fingerprinted', () => {
  const v = verifyProvision(signer.sign(payload()), { trusted, origin: 'deep-link', now: NOW });
  assert.equal(v.payload.user, 'alice@example.com');
  assert.equal(v.payload.enrollmentToken, 'hen_abcdefghijklmnop');
  assert.equal(v.key.kid, 'gw-2026');
  assert.match(v.fingerprint, /^[A-Za-z0-9_-]{43}$/);
});

test('tampering, a foreign key, a wrong algorithm, bad payloads and expiry are refused with their reason', () => {
  const good = signer.sign(payload());
  const forged = (f: ProvisionFile, edit: (p: Record<string, unknown>) => void): ProvisionFile => {
    const p = JSON.parse(Buffer.from(f.payload, 'base64url').toString());
    edit(p);
    return { ...f, payload: Buffer.from(JSON.stringify(p)).toString('base64url') };
  };
  const cases: [string, unknown, 'deep-link' | 'resources', RegExp][] = [
    ['gateway changed after signing', forged(good, (p) => (p.gateway = 'https://phish.example.net')), 'deep-link', /^bad-signature: .*changed after it was signed/],
    ['user changed after signing', forged(good, (p) => (p.user = 'mallory@example.com')), 'deep-link', /^bad-signature/],
    ['signature of another payload', { ...good, signature: signer.sign(payload({ issuer: 'x' })).signature }, 'deep-link', /^bad-signature/],
    ['impostor key with a trusted key id', stranger.sign(payload()), 'deep-link', /^bad-signature/],
    ['key the app does not know', createTestSigner('other').sign(payload()), 'deep-link', /^untrusted-key: .*"other".*deep link/],
    ['embedded key in a deep link', createTestSigner('other').sign(payload(), { embedKey: true }), 'deep-link', /^untrusted-key/],
    ['alg none', signer.sign(payload(), { header: { alg: 'none' } }), 'deep-link', /^malformed: unsupported provision header .*EdDSA/],
    ['HS256', signer.sign(payload(), { header: { alg: 'HS256' } }), 'deep-link', /^malformed/],
    ['not a JWS', { gateway: 'https://gw.example.com', user: 'alice@example.com' }, 'resources', /^malformed: not a provision file/],
    ['javascript: gateway', signer.sign(payload({ gateway: 'javascript:alert(1)' })), 'deep-link', /^malformed: invalid provision payload: "gateway"/],
    ['gateway with credentials', signer.sign(payload({ gateway: 'https://u:p@gw.example.com' })), 'deep-link', /^malformed: .*"gateway"/],
    // Found by test/integration/fuzz-desktop.test.ts: a TypeError (Invalid URL) escaped the verifier.
    ['gateway not a URL', signer.sign(payload({ gateway: 'not a url' })), 'deep-link', /^malformed: invalid provision payload: "gateway"/],
    ['bad user', signer.sign(payload({ user: 'not an address' })), 'deep-link', /^malformed: .*"user"/],
    ['unknown field', signer.sign(payload({ admin: true })), 'deep-link', /^malformed/],
    ['expired', signer.sign(payload({ expiresAt: new Date(NOW - 1000).toISOString() })), 'deep-link', /^expired: the provision for alice@example.com expired/],
  ];
  for (const [what, input, origin, want] of cases) assert.match(reasonOf(() => verifyProvision(input, { trusted, origin, now: NOW })), want, what);
  const expired = (() => {
    try {
      verifyProvision(signer.sign(payload({ expiresAt: new Date(NOW).toISOString() })), { trusted, origin: 'deep-link', now: NOW });
    } catch (e) {
      return e as ProvisionError;
    }
  })()!;
  assert.equal(expired.payload?.gateway, 'https://gw.example.com', 'a genuine expired provision still prefills the sign-in form');
});

test('a provision inside the app’s resources may bring its own key (same trust as the app), but only there', () => {
  const own = createTestSigner('packaged');
  const file = own.sign(payload(), { embedKey: true });
  assert.equal(verifyProvision(file, { trusted: [], origin: 'resources', now: NOW }).key.x, own.publicJwk.x);
  assert.match(reasonOf(() => verifyProvision(file, { trusted: [], origin: 'user-data', now: NOW })), /^untrusted-key/);
  assert.match(reasonOf(() => verifyProvision({ ...file, signature: signer.sign(payload()).signature }, { trusted: [], origin: 'resources', now: NOW })), /^bad-signature/, 'the embedded key must still have signed it');
});

test('deep links carry the compact JWS; anything else is refused', () => {
  const file = signer.sign(payload());
  const link = provisionDeepLink(file);
  assert.ok(link.startsWith('herald://provision?jws='));
  assert.deepEqual(parseDeepLink(link), file);
  for (const bad of ['https://provision?jws=' + toCompactJws(file), 'herald://other?jws=' + toCompactJws(file), 'herald://provision', 'herald://provision?jws=a.b', 'herald://provision?jws=' + 'x'.repeat(20_000), 'not a link']) {
    assert.throws(() => parseDeepLink(bad), ProvisionError, bad.slice(0, 40));
  }
});

let root: string;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-provision-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('places: deep link, then user folder, then resources; used ones are skipped; problems are reported', async () => {
  const resourcesDir = path.join(root, 'resources');
  const userDataDir = path.join(root, 'user');
  mkdirSync(resourcesDir);
  mkdirSync(userDataDir);
  writeFileSync(path.join(resourcesDir, PROVISION_KEYS_FILE), JSON.stringify({ keys: [signer.publicJwk] }));
  const fromResources = signer.sign(payload({ issuer: 'resources' }));
  writeFileSync(path.join(resourcesDir, 'provision.json'), `\uFEFF${JSON.stringify(fromResources)}`);
  const keys = await shippedKeys(resourcesDir);
  assert.deepEqual(keys, { keys: [signer.publicJwk] });

  const places = { resourcesDir, userDataDir };
  let r = await findProvision({ places, trusted: keys.keys, used: new Set(), now: NOW });
  assert.equal(r.found?.payload.issuer, 'resources', 'a BOM in front of the JSON is fine');

  writeFileSync(path.join(userDataDir, 'provision.json'), JSON.stringify(signer.sign(payload({ issuer: 'user-data' }))));
  r = await findProvision({ places, trusted: keys.keys, used: new Set(), now: NOW });
  assert.equal(r.found?.payload.issuer, 'user-data');

  const link = provisionDeepLink(signer.sign(payload({ issuer: 'link' })));
  r = await findProvision({ places, deepLink: link, trusted: keys.keys, used: new Set(), now: NOW });
  assert.equal(r.found?.payload.issuer, 'link');

  const bad = provisionDeepLink(createTestSigner('evil').sign(payload({ gateway: 'https://phish.example.net' }), { embedKey: true }));
  r = await findProvision({ places, deepLink: bad, trusted: keys.keys, used: new Set([r.found!.fingerprint]), now: NOW });
  assert.equal(r.found?.payload.issuer, 'user-data', 'a foreign deep link is refused and the next place is used');
  assert.deepEqual(r.problems.map((p) => [p.origin, p.error.reason]), [['deep-link', 'untrusted-key']]);

  const usedAll = new Set<string>();
  for (const f of [fromResources]) usedAll.add(verifyProvision(f, { trusted: keys.keys, origin: 'resources', now: NOW }).fingerprint);
  writeFileSync(path.join(userDataDir, 'provision.json'), '{ not json');
  r = await findProvision({ places, trusted: keys.keys, used: usedAll, now: NOW });
  assert.equal(r.found, undefined, 'the resources one was used already; the user-folder one is broken');
  assert.deepEqual(r.problems.map((p) => [p.origin, p.error.reason]), [['user-data', 'malformed']]);

  writeFileSync(path.join(resourcesDir, PROVISION_KEYS_FILE), '{"keys":[{"kty":"RSA"}]}');
  assert.match((await shippedKeys(resourcesDir)).problem!, /not a JWK Set of Ed25519 keys/);
  assert.deepEqual((await shippedKeys(path.join(root, 'nowhere'))).keys, []);
});
