import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeScram, encodeScram, scramClientProof, scramKeys, verifyScramProof } from './scram.ts';

test('RFC 5802 §5 test vector (SCRAM-SHA-1, user/pencil)', async () => {
  const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
  const keys = await scramKeys('sha1', 'pencil', salt, 4096);
  const authMessage = 'n=user,r=fyko+d2lbbFgONRv9qkxdawL,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j';
  const proof = Buffer.from('v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=', 'base64');
  const serverSignature = verifyScramProof('sha1', keys, authMessage, proof);
  assert.equal(serverSignature?.toString('base64'), 'rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  assert.equal(verifyScramProof('sha1', keys, authMessage, Buffer.alloc(20)), undefined);
});

test('RFC 7677 §3 test vector (SCRAM-SHA-256), and keys survive encoding', async () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const keys = decodeScram(encodeScram(await scramKeys('sha256', 'pencil', salt, 4096)))!;
  const authMessage = 'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const { proof } = await scramClientProof('sha256', 'pencil', salt, 4096, authMessage);
  assert.equal(proof.toString('base64'), 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  assert.equal(verifyScramProof('sha256', keys, authMessage, proof)?.toString('base64'), '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

test('PLAIN checked against stored keys: the right password passes, a wrong one and unknown users (no keys) fail', async () => {
  const { checkScramPassword } = await import('./scram.ts');
  const keys = decodeScram(encodeScram(await scramKeys('sha1', 'pencil sharpener')))!;
  assert.equal(await checkScramPassword('sha1', keys, 'pencil sharpener'), true);
  assert.equal(await checkScramPassword('sha1', keys, 'pencil sharpenex'), false);
  assert.equal(await checkScramPassword('sha1', undefined, 'pencil sharpener'), false);
  // NFKC, as the keys were made (SASLprep approximation): a full-width letter is the same password.
  assert.equal(await checkScramPassword('sha1', keys, 'pencil sharpene\uff52'), true);
});
