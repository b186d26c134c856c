// Provisioning: a one-time enrollment token per package, signed into a provision.json (gateway
// URL, user, token, issuer, expiry) that is stamped into a copy of a generic build — for the
// download page (http/routes/download-routes.ts) and bulk packaging (cli/package-commands.ts).
import path from 'node:path';
import type { TokenService } from '../directory/tokens.ts';
import { provisionDeepLink, type ProvisionFile } from '../protocol/provision.ts';
import type { AccountRow } from '../store/index.ts';
import { listBuilds, buildFor, type BuildFile, type Platform } from './build-catalog.ts';
import { provisionFileBytes, signProvision } from './provision-signer.ts';
import { loadSigningKey } from './signing-key.ts';
import { createStamper, type StampedPackage } from './stamper.ts';

export interface ProvisioningDeps {
  dataDir: string;
  tokens: TokenService;
  /** The gateway's public base URL, as the desktop will reach it. */
  gatewayUrl: string;
  /** Shown by the app; default: the gateway URL's host name. */
  issuer?: string | undefined;
  /** Where the generic builds are (`%data%` = the data folder). */
  buildsDir: string;
  /** Told once per file (and reason) about a build file that is not offered (build-catalog.ts listBuilds). */
  onSkippedBuild?: (message: string) => void;
}

export interface IssuedProvision {
  account: AccountRow;
  /** The one-time enrollment token inside it (never shown to anyone but through the package). */
  token: string;
  expiresAt: Date;
  file: ProvisionFile;
  /** provision.json as stamped. */
  bytes: Buffer;
  /** herald://provision?jws=… for installers that cannot carry the file. */
  deepLink: string;
}

export const buildsDirOf = (template: string, dataDir: string) => path.resolve(template.replaceAll('%data%', dataDir));

export function createProvisioning(d: ProvisioningDeps) {
  const key = loadSigningKey(d.dataDir);
  const stamper = createStamper();
  const gateway = d.gatewayUrl.replace(/\/+$/, '');
  const issuer = d.issuer ?? new URL(gateway).hostname;
  const buildsDir = buildsDirOf(d.buildsDir, d.dataDir);
  const told = new Set<string>();
  const list = () =>
    listBuilds(buildsDir, (name, why) => {
      const said = `${name}: ${why}`;
      if (told.has(said) || !d.onSkippedBuild) return;
      if (told.size > 1000) told.clear();
      told.add(said);
      d.onSkippedBuild(`builds folder ${buildsDir}: ${said}`);
    });

  /** Issues a fresh one-time enrollment token for `address` and signs its provision. */
  function issue(address: string, ttlMs?: number, now = new Date()): IssuedProvision {
    const t = d.tokens.issueEnroll(address, ttlMs);
    const file = signProvision(key, {
      v: 1,
      gateway,
      user: t.account.address,
      enrollmentToken: t.token,
      issuer,
      issuedAt: now.toISOString(),
      expiresAt: t.expiresAt.toISOString(),
    });
    return { account: t.account, token: t.token, expiresAt: t.expiresAt, file, bytes: provisionFileBytes(file), deepLink: provisionDeepLink(file) };
  }

  return {
    key,
    buildsDir,
    gatewayUrl: gateway,

    /** Issues a fresh one-time enrollment token for `address` and signs its provision (for installers: sidecar file, deep link). */
    issue,

    /** The generic builds in the builds folder, read afresh (an admin may drop one in at any time). */
    builds(): BuildFile[] {
      return list();
    },

    buildFor(platform: Platform): BuildFile | undefined {
      return buildFor(list(), platform);
    },

    /**
     * A stamped copy of a zip or tar.gz build for `address`, with a fresh one-time token. The build
     * is checked first: a build that cannot be stamped throws ArtifactError and issues no token.
     */
    async package(file: string, address: string, ttlMs?: number): Promise<{ pkg: StampedPackage; issued: IssuedProvision }> {
      let issued: IssuedProvision | undefined;
      const pkg = await stamper.stamp(file, () => (issued = issue(address, ttlMs)).bytes);
      return { pkg, issued: issued! };
    },
  };
}
export type Provisioning = ReturnType<typeof createProvisioning>;
