// Hostile files on the desktop side, in plain Node: mutated SEM files through the gateway's SEM
// parser, mutated .msstyles skins (encodings, sections, paths that try to leave the skin folder
// by ../, absolute paths, UNC names or symlinks) through the skin loader, and mutated provision
// files and deep links through the provisioning verifier. Each case must end in a result or the
// loader's own typed error — nothing else thrown — and no skin asset may lie outside its folder.
import { cpSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROVISION_FILE_NAME, provisionDeepLink, type ProvisionFile } from '../../gateway/src/protocol/provision.ts';
import { parseSemFile, SemFormatError } from '../../gateway/src/im/spool/sem-file.ts';
import { findProvision, parseDeepLink } from '../../desktop/src/core/provisioning/provision-sources.ts';
import { ProvisionError, verifyProvision } from '../../desktop/src/core/provisioning/provision-verify.ts';
import { decodeMsstyles, SkinFormatError } from '../../desktop/src/core/skins/msstyles-ini.ts';
import { loadSkin, SkinLoadError } from '../../desktop/src/core/skins/skin-load.ts';
import { createTestSigner, provisionPayload } from '../../desktop/test-support/provision-signer.ts';
import { mutateJson, randomJson, type Rng } from './prng.ts';
import { count, newTally, type Tally } from './target.ts';

const STYLES = path.resolve(import.meta.dirname, '../../styles');
export const SEM_MAX_BYTES = 256 * 1024;

/** Bytes changed at random: flipped, inserted, deleted, truncated, or a hostile piece spliced in. */
export function mutateBytes(rng: Rng, b: Buffer): Buffer {
  const op = rng.int(6);
  const at = rng.int(b.length + 1);
  if (op === 0) return Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(8)), b.subarray(at)]);
  if (op === 1) return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(20)))]);
  if (op === 2) return b.subarray(0, at);
  if (op === 3) {
    const c = Buffer.from(b);
    for (let k = 0; k < 1 + rng.int(4) && c.length; k++) {
      const j = rng.int(c.length);
      c[j] = c[j]! ^ (1 << rng.int(8));
    }
    return c;
  }
  if (op === 4) return Buffer.concat([b.subarray(0, at), Buffer.from(rng.text()), b.subarray(at)]);
  return Buffer.concat([rng.pick([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff]), Buffer.alloc(0)]), b]);
}

/** A SEM file's bytes: valid ones mutated, or hostile from the start. */
export function semCase(rng: Rng, to: string, from: string): Buffer {
  const valid = Buffer.from(`${to}\n${from}\n\nhello ${rng.int(1e6)}\nsecond line\n`);
  const kind = rng.int(8);
  if (kind <= 3) return mutateBytes(rng, kind === 0 ? valid : mutateBytes(rng, valid));
  if (kind === 4) return Buffer.from(rng.pick([`${from}\n${to}\n\n`, `${to}\r\n${from}\r\n\r\ntext\r\n`, `${to}\n${from}\ntext\n`, `\n\n\n\n`, `${to}\n${from}\n\n\u0000\n`, `<${to}>\n${from}\n\nx`]));
  if (kind === 5) return Buffer.concat([valid, Buffer.alloc(rng.pick([SEM_MAX_BYTES, 10]), 0x61)]);
  if (kind === 6) return Buffer.from(`\ufeff${to}\n${from}\n\n${rng.text()}`, rng.pick(['utf8', 'utf16le', 'latin1'] as const));
  return rng.bytes(rng.int(200));
}

/** The SEM parser: a message or SemFormatError, nothing else; a message has what it promises. */
export function fuzzSemParser(rng: Rng, cases: number): { tally: Tally; failures: string[] } {
  const tally = newTally('SEM parser');
  const failures: string[] = [];
  for (let i = 0; i < cases; i++) {
    const bytes = semCase(rng, 'fz0001@example.com', 'fz0000@example.com');
    tally.cases++;
    try {
      const m = parseSemFile(bytes, { maxBytes: SEM_MAX_BYTES });
      count(tally, 'parsed');
      if (!/^[^@\s]+@[^@\s]+$/.test(m.to) || !/^[^@\s]+@[^@\s]+$/.test(m.from) || !m.text.trim() || /[\u0000-\u0008]/.test(m.text)) failures.push(`#${i}: parsed into an unusable message ${JSON.stringify(m).slice(0, 200)}`);
    } catch (e) {
      if (e instanceof SemFormatError && e.message) count(tally, 'SemFormatError');
      else {
        tally.serverErrors++;
        failures.push(`#${i}: ${(e as Error).stack} for ${bytes.toString('hex').slice(0, 200)}`);
      }
    }
  }
  return { tally, failures };
}

const SKIN_PATHS = (outside: string) => [
  '..\\outside\\secret.png', '../outside/secret.png', '..\\..\\..\\..\\..\\etc\\passwd', outside, outside.replaceAll('/', '\\'), 'images\\link.png', 'images/../../outside/secret.png',
  'images\\..\\images\\tray-idle.png', '\\\\server\\share\\x.png', 'C:\\Windows\\x.png', 'images/', '', 'images\\tray-idle.png\u0000.txt', `images\\${'a'.repeat(300)}.png`, 'images\\tray-idle.png',
  'sounds\\new-mail.wav', 'images\\dir', '~/secret.png', '%APPDATA%\\x.png', 'file:///etc/passwd',
];

/** A copy of the Default skin, a secret beside it, a symlink out and a folder named like an image. */
export function prepareSkinPlayground(root: string): { skins: string; outside: string; base: string } {
  const skins = path.join(root, 'skins');
  mkdirSync(skins, { recursive: true });
  mkdirSync(path.join(root, 'outside'), { recursive: true });
  const outside = path.join(root, 'outside', 'secret.png');
  cpSync(path.join(STYLES, 'Default', 'images', 'tray-idle.png'), outside);
  const base = decodeMsstyles(readFileSync(path.join(STYLES, 'Default', 'Default.msstyles')));
  return { skins, outside: realpathSync(outside), base };
}

/** A mutated .msstyles text, encoded one way or another. */
function skinCase(rng: Rng, base: string, outside: string): Buffer {
  let lines = base.split(/\r?\n/);
  // Four in ten: only an asset's path changes, so a path that escapes would load (and be caught).
  if (rng.chance(0.4)) {
    const assets = lines.flatMap((l, i) => (/^(TrayIdle|TrayNewMail|TrayOffline|TrayChat|NewMail|MessageIn)=/i.test(l) ? [i] : []));
    const i = rng.pick(assets);
    lines[i] = `${lines[i]!.split('=')[0]}=${rng.pick(SKIN_PATHS(outside))}`;
    const text = lines.join('\r\n');
    return rng.chance(0.5) ? Buffer.from(text) : Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  }
  for (let k = 0; k < 1 + rng.int(4); k++) {
    const op = rng.chance(0.4) ? 0 : rng.int(6);
    const at = rng.int(lines.length);
    if (op === 0) lines[at] = `${rng.pick(['TrayIdle', 'TrayNewMail', 'TrayOffline', 'WindowIcon', 'Background', 'NewMail', 'MessageIn', 'Window', 'Name'])}=${rng.pick(SKIN_PATHS(outside))}`;
    else if (op === 1) lines.splice(at, 0, rng.pick(['[Images]', '[Sounds]', '[Theme]', '[SysMetrics]', '[', ']', '[[x]]', '=', 'x==y', `Name=${rng.text()}`, `Window=${rng.pick(['1 2', '256 0 0', '-1 0 0', 'red', '0 0 0 0', '1e3 1 1', 'url(x)'])}`]));
    else if (op === 2) lines.splice(at, 1);
    else if (op === 3) lines[at] = rng.text();
    else if (op === 4) lines = lines.concat(Array.from({ length: rng.pick([10, 10, 3000]) }, (_, k) => `Extra${k}=Tahoma, 8`));
    else lines[at] = `${lines[at]}${rng.text()}`;
  }
  const text = lines.join(rng.pick(['\r\n', '\n', '\r']));
  const enc = rng.chance(0.5) ? 5 : rng.int(6);
  if (enc === 0) return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  if (enc === 1) return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
  if (enc === 2) return Buffer.from(text, 'utf16le');
  if (enc === 3) return mutateBytes(rng, Buffer.from(text));
  return Buffer.from(enc === 4 ? `\ufeff${text}` : text);
}

/** The skin loader: a Skin whose every file is inside its folder, or SkinLoadError/SkinFormatError. */
export async function fuzzSkins(rng: Rng, root: string, cases: number): Promise<{ tally: Tally; failures: string[] }> {
  const tally = newTally('skins');
  const failures: string[] = [];
  const play = prepareSkinPlayground(root);
  for (let i = 0; i < cases; i++) {
    const id = `Fuzz${i}`;
    const dir = path.join(play.skins, id);
    cpSync(path.join(STYLES, 'Default'), dir, { recursive: true });
    rmSync(path.join(dir, 'Default.msstyles'));
    symlinkSync(play.outside, path.join(dir, 'images', 'link.png'));
    mkdirSync(path.join(dir, 'images', 'dir'));
    writeFileSync(path.join(dir, `${id}.msstyles`), skinCase(rng, play.base, play.outside));
    tally.cases++;
    try {
      const skin = await loadSkin(dir, id, 'user');
      count(tally, 'loaded');
      const real = realpathSync(dir) + path.sep;
      for (const a of [...Object.values(skin.images), ...Object.values(skin.sounds)]) {
        if (!a || (realpathSync(a.file).startsWith(real) && a.file.startsWith(real))) continue;
        failures.push(`#${i}: asset ${a.file} is outside ${real}`);
      }
      if (JSON.stringify(skin.css).includes('url(')) failures.push(`#${i}: CSS carries a url(): ${JSON.stringify(skin.css)}`);
    } catch (e) {
      if (process.env.FUZZ_DEBUG) console.log(`#${i} ${(e as Error).name}: ${(e as Error).message.slice(0, 120)}`);
      if (e instanceof SkinLoadError || e instanceof SkinFormatError) count(tally, (e as Error).name);
      else {
        tally.serverErrors++;
        failures.push(`#${i}: ${(e as Error).stack}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { tally, failures };
}

/** provision.json and herald://provision links: VerifiedProvision or ProvisionError, nothing else. */
export async function fuzzProvisioning(rng: Rng, root: string, cases: number): Promise<{ tally: Tally; failures: string[] }> {
  const tally = newTally('provisioning');
  const failures: string[] = [];
  const signer = createTestSigner('gw-fuzz');
  const now = Date.UTC(2026, 11, 1);
  const good = () => provisionPayload({ gateway: 'https://gw.example.com', user: 'alice@example.com', token: 'hen_abcdefghijklmnop', now });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url');
  const userData = path.join(root, 'user-data');
  mkdirSync(userData, { recursive: true });
  for (let i = 0; i < cases; i++) {
    const file: ProvisionFile = signer.sign(good());
    const kind = rng.int(7);
    let input: unknown = file;
    let note = '';
    if (kind === 0) [input, note] = [mutateJson(rng, file), 'file mutated'];
    else if (kind === 1) [input, note] = [signer.sign(mutateJson(rng, good()) as Record<string, unknown>), 'payload mutated, then signed'];
    else if (kind === 2) [input, note] = [{ ...file, protected: b64(mutateJson(rng, JSON.parse(Buffer.from(file.protected, 'base64url').toString()))) }, 'header mutated'];
    else if (kind === 3) [input, note] = [{ ...file, payload: b64(mutateJson(rng, good())) }, 'payload mutated after signing'];
    else if (kind === 4) [input, note] = [randomJson(rng), 'random JSON'];
    tally.cases++;
    try {
      if (kind === 5) {
        note = 'provision.json bytes';
        const bytes = rng.chance(0.2) ? Buffer.alloc(70_000, 0x20) : mutateBytes(rng, Buffer.from(JSON.stringify(file)));
        writeFileSync(path.join(userData, PROVISION_FILE_NAME), bytes);
        const r = await findProvision({ places: { userDataDir: userData }, trusted: [signer.publicJwk], used: new Set(), now });
        count(tally, r.found ? 'verified' : r.problems.length ? 'ProvisionError' : 'nothing found');
        continue;
      }
      if (kind === 6) {
        note = 'deep link';
        const link = rng.chance(0.5) ? mutateBytes(rng, Buffer.from(provisionDeepLink(file))).toString('latin1') : `herald://provision?jws=${rng.text()}`;
        input = parseDeepLink(link);
      }
      const v = verifyProvision(input, { trusted: [signer.publicJwk], origin: rng.pick(['deep-link', 'user-data', 'resources'] as const), now });
      count(tally, 'verified');
      if (v.key.x !== signer.publicJwk.x) failures.push(`#${i} (${note}): verified with a key nobody trusts`);
    } catch (e) {
      if (e instanceof ProvisionError) count(tally, `ProvisionError:${e.reason}`);
      else {
        tally.serverErrors++;
        failures.push(`#${i} (${note}): ${(e as Error).stack}`);
      }
    }
  }
  return { tally, failures };
}
