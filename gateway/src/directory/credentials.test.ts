import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../store/index.ts';
import { createCredentials, type CredentialEvent } from './credentials.ts';

function fixture() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-cred-'));
  const store = createStore(dir);
  store.domains.add('example.com');
  const alice = store.accounts.add({ address: 'alice@example.com', local: 'alice', domain: 'example.com', displayName: 'Alice', passwordHash: 'x' });
  const device = store.tokens.addDevice(alice.id, Buffer.from('hash-a'), 'a');
  return { store, alice, device, done: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

test('each change is journalled in its own transaction; a refused change writes no row', () => {
  const { store, alice, device, done } = fixture();
  try {
    const c = createCredentials({ store });
    const start = c.mark();
    assert.deepEqual(c.revokeDevices(alice.id, device), { devices: 1, enrollments: 0 });
    assert.deepEqual(c.revokeDevices(alice.id, device), { devices: 0, enrollments: 0 }, 'already revoked: nothing ended, no row');
    assert.throws(() => c.removeAccount('nobody@example.com'), /no user/);
    assert.throws(() => c.setDomainIm('nowhere.example', false), /no domain/);
    c.setDomainIm('example.com', false);
    c.setDomainIm('example.com', false); // already off: no second row
    c.removeAccount('alice@example.com');
    assert.deepEqual(
      store.credentialEvents.after(start).map((e) => [e.ends, e.reason, e.accountId, e.deviceId, e.domain]),
      [
        ['device', 'signed-out', alice.id, device, null],
        ['domain-im', 'im-off', null, null, 'example.com'],
        ['account', 'account-removed', alice.id, null, null],
      ],
    );
    assert.equal(c.endedSince(start, { accountId: alice.id, domain: 'example.com', deviceId: device })?.ends, 'device');
    assert.equal(c.endedSince(c.mark(), { accountId: alice.id, domain: 'example.com', deviceId: undefined }), undefined);
  } finally {
    done();
  }
});

test('the pump hands rows to every listener in order, after an in-process change and for rows of another connection; one failing listener does not stop the rest', async () => {
  const { store, alice, device, done } = fixture();
  const other = createStore(path.dirname(store.db.name));
  try {
    const failures: unknown[] = [];
    const c = createCredentials({ store, onListenerError: (e) => failures.push(e) });
    const heard: CredentialEvent[] = [];
    c.onEnded(() => {
      throw new Error('a broken holder');
    });
    c.onEnded((e) => heard.push(e));
    c.revokeDevices(alice.id, device);
    assert.equal(heard.length, 0, 'not while the change runs: on the next microtask');
    await Promise.resolve();
    assert.deepEqual(heard.map((e) => e.ends), ['device']);
    // The CLI's connection: nothing arrives until the server pumps (when data_version moved).
    createCredentials({ store: other }).removeAccount('alice@example.com');
    await Promise.resolve();
    assert.equal(heard.length, 1);
    c.pump();
    assert.deepEqual(heard.map((e) => e.ends), ['device', 'account']);
    assert.equal(failures.length, 2);
  } finally {
    other.close();
    done();
  }
});

test('pending upload slots end with the credential that asked for them, in the same transaction; uploaded ones stay', () => {
  const { store, alice, device, done } = fixture();
  try {
    const c = createCredentials({ store });
    const now = Date.now();
    const make = (deviceId: number | null) => {
      const s = store.uploads.create(
        { owner: 'alice@example.com', filename: 'f.txt', size: 1, contentType: '', createdAt: now, expiresAt: now + 60_000, accountId: alice.id, deviceId },
        { quotaBytes: 0, maxPendingSlots: 100 },
      );
      assert.ok('id' in s);
      return s.id;
    };
    const [byDevice, byPassword, uploaded] = [make(device), make(null), make(device)];
    assert.ok(store.uploads.markUploaded(uploaded, 'text/plain'));
    const revoked = (id: string) => store.uploads.get(id)!.revokedAt !== undefined;

    c.revokeDevices(alice.id, device);
    assert.deepEqual([revoked(byDevice), revoked(byPassword), revoked(uploaded)], [true, false, false]);
    assert.equal(store.uploads.markUploaded(byDevice, 'text/plain'), false, 'a revoked slot takes no file');
    c.changePassword('alice@example.com', { hash: 'y', scram: { sha1: '', sha256: '' } }, true);
    assert.deepEqual([revoked(byPassword), revoked(uploaded)], [true, false]);
  } finally {
    done();
  }
});

test('removeDomain: refused with accounts unless forced; forced, one account row each in the journal and the links go', () => {
  const { store, alice, done } = fixture();
  try {
    store.domains.add('example.org');
    store.domainLinks.link('example.com', 'example.org');
    store.tokens.addEnroll(alice.id, Buffer.from('enroll-a'), Date.now() + 3600_000);
    const c = createCredentials({ store });
    const start = c.mark();
    assert.throws(() => c.removeDomain('example.com'), (e: Error & { code?: string }) => e.code === 'conflict' && /still has 1 account/.test(e.message));
    assert.equal(c.mark(), start, 'refused: no journal row');
    assert.ok(store.domains.get('example.com'));
    assert.deepEqual(c.removeDomain('example.com', { force: true }), { accounts: ['alice@example.com'], devices: 1, enrollments: 1, links: ['example.org'] });
    assert.deepEqual(
      store.credentialEvents.after(start).map((e) => [e.ends, e.reason, e.accountId]),
      [['account', 'account-removed', alice.id]],
    );
    assert.equal(store.domains.get('example.com'), undefined);
    assert.deepEqual(store.domainLinks.list(), []);
    assert.throws(() => c.removeDomain('example.com'), /no domain example\.com/);
    assert.deepEqual(c.removeDomain('example.org'), { accounts: [], devices: 0, enrollments: 0, links: [] }, 'an empty domain goes without --force');
  } finally {
    done();
  }
});
