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

/** The installer path the installer left in the resources (first line), or undefined. */
export async function installerPathIn(resourcesDir: string | undefined): Promise<string | undefined> {
  if (!resourcesDir) return undefined;
  try {
    const text = await readFile(path.join(resourcesDir, INSTALLER_PATH_FILE), 'utf8');
    const first = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0]!.trim();
    return first && first.length < 4096 ? first : undefined;
  } catch {
    return undefined;
  }
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
