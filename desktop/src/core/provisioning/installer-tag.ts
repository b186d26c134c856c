// The provision a per-user Windows installer carries in its signature (gateway/src/protocol/pe-tag.ts).
// The installer tells the app where it was run from (build/installer.nsh writes its own path,
// $EXEPATH, to `installer-path.txt` in the app's resources); at first start the app reads the tag
// from that file. The tag is outside what the signature covers, so what it holds is verified like
// a deep link: signed by a key the app ships or pinned, never by a key it brings along.
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PE_HEAD_BYTES, PeTagError, locatePe, readCertificateTableTag } from '../../../../gateway/src/protocol/pe-tag.ts';
import { ProvisionError } from './provision-verify.ts';

/** Written by the installer into the app's resources: the path of the installer that was run. */
export const INSTALLER_PATH_FILE = 'installer-path.txt';

/**
 * The provision.json bytes tagged into the signed program at `exePath`, or undefined when the
 * file is gone (a downloaded installer gets deleted) or carries no tag. A damaged file or tag is
 * a ProvisionError('malformed'): the caller reports it like any other unusable provision.
 */
export async function readInstallerTag(exePath: string): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(exePath, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProvisionError('malformed', `cannot read the installer ${exePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, PE_HEAD_BYTES));
    await fh.read(head, 0, head.length, 0);
    const layout = locatePe(head, size);
    const table = Buffer.alloc(layout.tableSize); // bounded by locatePe (PE_MAX_CERT_TABLE)
    const { bytesRead } = await fh.read(table, 0, table.length, layout.tableOffset);
    if (bytesRead !== table.length) throw new PeTagError('truncated', 'the installer ends inside its certificate table');
    return readCertificateTableTag(table);
  } catch (e) {
    if (e instanceof PeTagError) {
      // An unsigned installer simply carries nothing (a test build, or one signed elsewhere).
      if (e.reason === 'unsigned') return undefined;
      throw new ProvisionError('malformed', `the installer's provision cannot be read: ${e.message}`);
    }
    throw e;
  } finally {
    await fh.close();
  }
}

/** The command-line argument naming the installer (`--provisioned-by=<path>`), for an installer that starts the app itself. */
export const PROVISIONED_BY_ARG = '--provisioned-by=';

/** The installer path given on the command line, or undefined. */
export function installerPathArg(argv: readonly string[]): string | undefined {
  const arg = argv.find((a) => a.startsWith(PROVISIONED_BY_ARG));
  const value = arg?.slice(PROVISIONED_BY_ARG.length).trim();
  return value && value.length < 4096 ? value : undefined;
}

/**
 * The installer path the installer left in the resources (first line), or undefined. NSIS writes
 * it as UTF-16LE with a byte-order mark (FileWriteUTF16LE: a path may hold any letter); UTF-8 is
 * read too.
 */
export async function installerPathIn(resourcesDir: string | undefined): Promise<string | undefined> {
  if (!resourcesDir) return undefined;
  let raw: Buffer;
  try {
    raw = await readFile(path.join(resourcesDir, INSTALLER_PATH_FILE));
  } catch {
    return undefined;
  }
  if (raw.length > 16 * 1024) return undefined;
  const text = raw[0] === 0xff && raw[1] === 0xfe ? raw.subarray(2).toString('utf16le') : raw.toString('utf8').replace(/^\uFEFF/, '');
  const first = text.split(/\r?\n/)[0]!.replace(/\0+$/, '').trim();
  return first || undefined;
}

/** The tag as JSON for the verifier (a broken JSON is 'malformed', like a broken provision.json). */
export async function installerProvision(exePath: string): Promise<unknown> {
  const bytes = await readInstallerTag(exePath);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ProvisionError('malformed', `the provision in ${exePath} is not JSON`);
  }
}
