// Where a provision comes from: a `herald://provision?jws=...` deep link (newest intent), the
// user data folder (an admin or installer dropped it there), the tag in the signed Windows installer
// it was installed from (installer-tag.ts), or the app's resources (stamped
// into this copy of the app). The first genuine, unexpired, not-yet-used one wins; the others'
// problems are reported. Trusted keys: provision-keys.json (a JWK Set) in the resources, plus
// keys pinned after an earlier enrollment.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROVISION_FILE_NAME, ProvisionKeySetSchema, fromCompactJws, type Ed25519Jwk } from '../../../../gateway/src/protocol/provision.ts';
import { installerPathIn, installerProvision } from './installer-tag.ts';
import { ProvisionError, verifyProvision, type ProvisionOrigin, type VerifiedProvision } from './provision-verify.ts';

export const PROVISION_KEYS_FILE = 'provision-keys.json';
const MAX_FILE_BYTES = 64 * 1024;
const MAX_LINK_CHARS = 16 * 1024;

export interface ProvisionPlaces {
  /** The app's resources folder (read-only, part of the package). */
  resourcesDir?: string;
  /** The user's data folder. */
  userDataDir?: string;
  /**
   * The signed installer this copy was installed from (its tag carries a provision): given on the
   * command line (`--provisioned-by=<path>`), else read from installer-path.txt in the resources.
   */
  installer?: string;
}

export interface ProvisionCandidateProblem {
  origin: ProvisionOrigin;
  error: ProvisionError;
}

/** The compact JWS inside a deep link, or a ProvisionError. */
export function parseDeepLink(link: string): unknown {
  if (link.length > MAX_LINK_CHARS) throw new ProvisionError('malformed', 'the provisioning link is too long');
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw new ProvisionError('malformed', 'not a link');
  }
  if (u.protocol !== 'herald:' || u.hostname !== 'provision') throw new ProvisionError('malformed', 'not a herald://provision link');
  const jws = u.searchParams.get('jws');
  const file = jws ? fromCompactJws(jws) : undefined;
  if (!file) throw new ProvisionError('malformed', 'the provisioning link carries no valid jws parameter');
  return file;
}

async function readJsonFile(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_FILE_BYTES) throw new ProvisionError('malformed', `${file} is larger than ${MAX_FILE_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof ProvisionError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProvisionError('malformed', `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new ProvisionError('malformed', `${file} is not JSON`);
  }
}

/** Keys shipped with the app; a broken key file trusts nothing (and says so). */
export async function shippedKeys(resourcesDir: string | undefined): Promise<{ keys: Ed25519Jwk[]; problem?: string }> {
  if (!resourcesDir) return { keys: [] };
  const file = path.join(resourcesDir, PROVISION_KEYS_FILE);
  try {
    const raw = await readJsonFile(file);
    if (raw === undefined) return { keys: [] };
    const r = ProvisionKeySetSchema.safeParse(raw);
    if (!r.success) return { keys: [], problem: `${file} is not a JWK Set of Ed25519 keys` };
    return { keys: r.data.keys };
  } catch (e) {
    return { keys: [], problem: (e as Error).message };
  }
}

/**
 * Looks in every place, verifies, and returns the first usable provision (not in `used`) plus
 * the problems of the others.
 */
export async function findProvision(o: {
  places: ProvisionPlaces;
  deepLink?: string;
  trusted: readonly Ed25519Jwk[];
  used: ReadonlySet<string>;
  now: number;
}): Promise<{ found?: VerifiedProvision; problems: ProvisionCandidateProblem[] }> {
  const problems: ProvisionCandidateProblem[] = [];
  const candidates: [ProvisionOrigin, () => Promise<unknown>][] = [];
  if (o.deepLink !== undefined) candidates.push(['deep-link', async () => parseDeepLink(o.deepLink!)]);
  if (o.places.userDataDir) candidates.push(['user-data', () => readJsonFile(path.join(o.places.userDataDir!, PROVISION_FILE_NAME))]);
  const installer = o.places.installer ?? (await installerPathIn(o.places.resourcesDir));
  if (installer) candidates.push(['installer', () => installerProvision(installer)]);
  if (o.places.resourcesDir) candidates.push(['resources', () => readJsonFile(path.join(o.places.resourcesDir!, PROVISION_FILE_NAME))]);
  for (const [origin, read] of candidates) {
    try {
      const raw = await read();
      if (raw === undefined) continue;
      const v = verifyProvision(raw, { trusted: o.trusted, origin, now: o.now });
      if (o.used.has(v.fingerprint)) continue; // enrolled with it before: the token is spent
      return { found: v, problems };
    } catch (e) {
      if (!(e instanceof ProvisionError)) throw e;
      problems.push({ origin, error: e });
    }
  }
  return { problems };
}
