// What the app origin serves: the renderer folder's files, the skins' declared assets and sounds
// the user chose — never a file outside them, whatever the encoding of `..`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverSkins } from '../core/skins/skin-catalog.ts';
import type { SkinCatalog } from '../shared/skins.ts';
import { createAppFiles } from './app-files.ts';

const STYLES = path.resolve(import.meta.dirname, '../../../styles');
let dir: string;
let catalog: SkinCatalog;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-appfiles-'));
  mkdirSync(path.join(dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html>');
  writeFileSync(path.join(dir, 'renderer', 'assets', 'app.js'), '');
  writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  catalog = await discoverSkins({ bundledDir: STYLES });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('renderer files, declared skin assets and chosen sounds are served; the rest is not', () => {
  const files = createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => catalog });
  assert.deepEqual(files.resolve('/'), { file: path.join(dir, 'renderer', 'index.html'), type: 'text/html; charset=utf-8' });
  assert.deepEqual(files.resolve('/assets/app.js'), { file: path.join(dir, 'renderer', 'assets', 'app.js'), type: 'text/javascript; charset=utf-8' });
  const wav = files.resolve('/skins/Default/sounds/new-mail.wav')!;
  assert.equal(wav.file, path.join(STYLES, 'Default', 'sounds', 'new-mail.wav'));
  assert.equal(wav.type, 'audio/wav');
  assert.equal(files.resolve('/skins/Classic/images/tray-idle.png')!.type, 'image/png');
  for (const p of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/%00index.html',
    '/skins/Default/Default.msstyles', // in the skin's folder, but not one of its declared assets
    '/skins/Default/../../package.json',
    '/skins/Nope/sounds/new-mail.wav',
    '/user-sounds/0/x.wav', // nothing chosen yet
    '/%E0%A4%A',
  ]) {
    assert.equal(files.resolve(p), undefined, p);
  }
});

test('sound paths: a skin sound by its skin path, a user’s file under a registered number only', () => {
  const files = createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => catalog });
  assert.equal(files.soundPath(path.join(STYLES, 'Default', 'sounds', 'new-mail.wav')), '/skins/Default/sounds/new-mail.wav');
  const mine = path.join(dir, 'my ding.wav');
  writeFileSync(mine, 'RIFF');
  const p = files.soundPath(mine);
  assert.equal(p, '/user-sounds/0/my%20ding.wav');
  assert.equal(files.soundPath(mine), p, 'the same file keeps its number');
  assert.equal(files.resolve(p)!.file, mine);
  assert.equal(files.resolve('/user-sounds/1/x.wav'), undefined);
});

test('a sound the core keeps (<userData>/Sounds/<sha256>.<format>) is served under its name; no other name, no other folder', () => {
  const kept = path.join(dir, 'user', 'Sounds');
  mkdirSync(kept, { recursive: true });
  const name = `${'ab'.repeat(32)}.wav`;
  writeFileSync(path.join(kept, name), 'RIFF');
  writeFileSync(path.join(kept, 'notes.wav'), 'RIFF');
  const files = createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => catalog, userSoundDirs: () => [undefined, kept] });
  assert.equal(files.soundPath(path.join(kept, name)), `/user-sounds/${name}`);
  assert.equal(files.resolve(`/user-sounds/${name}`)?.file, path.join(kept, name));
  assert.equal(files.resolve(`/user-sounds/${name}`)?.type, 'audio/wav');
  for (const p of [`/user-sounds/${'cd'.repeat(32)}.wav`, '/user-sounds/notes.wav', `/user-sounds/${'AB'.repeat(32)}.wav`, '/user-sounds/..%2F..%2Fsecret.txt', `/user-sounds/${'ab'.repeat(32)}.exe`]) {
    assert.equal(files.resolve(p), undefined, p);
  }
  // Without the folder (signed-out preview profile gone): nothing.
  assert.equal(createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => catalog }).resolve(`/user-sounds/${name}`), undefined);
});
