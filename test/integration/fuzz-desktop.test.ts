// Hostile files on the desktop side (test/fuzz/desktop-fuzz.ts), fixed CI seed, plain Node: the
// SEM parser, the skin loader (msstyles INI in UTF-8/UTF-16, [Images]/[Sounds] paths that try to
// leave the folder) and provision.json / herald:// links. A result or the typed error, nothing else.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fuzzProvisioning, fuzzSemParser, fuzzSkins } from '../fuzz/desktop-fuzz.ts';
import { createRng, seedFrom } from '../fuzz/prng.ts';
import { describeTally } from '../fuzz/target.ts';

const SEED = seedFrom(process.env, 0x11a7);
const root = mkdtempSync(path.join(tmpdir(), 'herald-fuzz-desktop-'));
after(() => rmSync(root, { recursive: true, force: true }));

test(`SEM parser: 1500 mutated files (seed ${SEED}): a message or SemFormatError`, () => {
  const { tally, failures } = fuzzSemParser(createRng(SEED), 1500);
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.ok(tally.answers.get('parsed') && tally.answers.get('SemFormatError'), describeTally(tally));
});

test(`skins: 150 mutated .msstyles (seed ${SEED}): a skin inside its folder, or SkinLoadError/SkinFormatError`, async () => {
  const { tally, failures } = await fuzzSkins(createRng(SEED), root, 150);
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.ok(tally.answers.get('loaded') && tally.answers.get('SkinLoadError') && tally.answers.get('SkinFormatError'), describeTally(tally));
});

test(`provisioning: 600 mutated provision files and links (seed ${SEED}): verified by the trusted key, or ProvisionError`, async () => {
  const { tally, failures } = await fuzzProvisioning(createRng(SEED), root, 600);
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.ok(tally.answers.get('verified') && tally.answers.get('ProvisionError:bad-signature') && tally.answers.get('ProvisionError:malformed'), describeTally(tally));
});
