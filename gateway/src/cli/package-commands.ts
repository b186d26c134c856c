// `herald-gateway package`: per-user packages in bulk. Every user of a domain (or one user) gets a
// copy of one generic build with a signed provision.json (a fresh one-time enrollment token)
// stamped in — <out>/<address>/<build name> — and a line in <out>/manifest.csv (user, file, token
// expiry). Installers that cannot be stamped are linked (or copied) per user with provision.json
// and the herald:// sign-in link beside them. A progress bar on a terminal, plain lines otherwise.
// `package keys` prints the public key set (provision-keys.json) for builds to ship.
// Nothing is issued before the build is known to be Herald's (provisioning/build-marker.ts) and the
// --out folder is known to take the packages: every live token in --out is a row of its manifest
// (rows are appended to an existing one; a token whose package could not be written is revoked).
import { isLoopbackHost, publicUrlOf } from '../config/exposure.ts';
import { existsSync, linkSync, copyFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import type { createServices } from '../main.ts';
import { HeraldError } from '../protocol/errors.ts';
import { ArtifactError } from '../provisioning/app-resources.ts';
import { installerHasMarker } from '../provisioning/pe-marker.ts';
import { createStamper, stampableBuildOf } from '../provisioning/stamper.ts';
import { createProvisioning, type Provisioning } from '../provisioning/provisioning.ts';
import { UsageError, type Flags } from './admin-commands.ts';

type Services = ReturnType<typeof createServices>;

export const MANIFEST_FILE = 'manifest.csv';

export interface PackageIo {
  out: (line: string) => void;
  /** Progress and warnings (stderr). */
  err: (text: string) => void;
  /** Draw a progress bar (stderr is a terminal) instead of one line per user. */
  tty: boolean;
}

const csv = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The URL the desktop will use: --url, http.publicUrl, else the local default (with a warning). */
function gatewayUrlOf(settings: Settings, flags: Flags, io: PackageIo): string {
  if (typeof flags.url === 'string') {
    if (!/^https?:\/\/[^/]/.test(flags.url)) throw new UsageError(`--url takes the gateway's public http(s) URL (got ${flags.url})`);
    // The desktop refuses plain http:// to another machine: such a package could never sign in.
    if (/^http:/i.test(flags.url) && !isLoopbackHost(new URL(flags.url).hostname)) throw new UsageError(`--url must be https:// for another machine (got ${flags.url}); the desktop refuses plain http:// there`);
    return flags.url;
  }
  // The URL `serve` gives clients with these settings (http.publicUrl, else its loopback host and port).
  const pub = publicUrlOf(settings.http, settings.http.port);
  if (pub.warning) io.err(`warning: ${pub.warning}; or give --url\n`);
  return pub.url;
}

/** Throws (before any token is issued) unless `from` is a Herald build this command can package. */
async function checkBuild(from: string): Promise<void> {
  // A zip/tar.gz, or a signed installer carrying Herald's marker in its version resource (stamped in its signature).
  if (stampableBuildOf(from)) {
    const probe = await createStamper().stamp(from, Buffer.alloc(0)); // plans the archive: the marker, the resources folder
    await probe.discard();
    return;
  }
  let marked: boolean;
  try {
    marked = await installerHasMarker(from);
  } catch (e) {
    throw new ArtifactError(`${path.basename(from)}: ${(e as Error).message}`);
  }
  if (!marked) throw new ArtifactError(`${path.basename(from)} is not a Herald build: it is not a .zip or .tar.gz, and carries no Herald installer marker`);
}

function progress(io: PackageIo, done: number, total: number, label: string): void {
  if (!io.tty) return io.out(`packaged ${done}/${total} ${label}`);
  const width = 24;
  const filled = Math.round((done / total) * width);
  io.err(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`);
  if (done === total) io.err('\n');
}

/** Hard link when the output is on the same file system (no copy of a 100 MB installer per user), else a copy. */
function linkOrCopy(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

async function packageOne(s: Services, p: Provisioning, from: string, address: string, dir: string, ttlMs: number | undefined): Promise<{ file: string; expiresAt: Date }> {
  const target = path.join(dir, path.basename(from));
  if (!stampableBuildOf(from)) {
    mkdirSync(dir, { recursive: true });
    const issued = p.issue(address, ttlMs);
    try {
      linkOrCopy(from, target);
      writeFileSync(path.join(dir, 'provision.json'), issued.bytes);
      writeFileSync(path.join(dir, 'sign-in-link.txt'), `${issued.deepLink}\n`);
    } catch (e) {
      revokeUnlisted(s, issued.token, address, e);
    }
    return { file: target, expiresAt: issued.expiresAt };
  }
  const { pkg, issued } = await p.package(from, address, ttlMs); // checks the build before anything is made
  const part = `${target}.part`; // a crash never leaves a half package under the real name
  try {
    mkdirSync(dir, { recursive: true });
    await pkg.writeTo(part);
    renameSync(part, target);
  } catch (e) {
    try {
      rmSync(part, { force: true });
    } catch {
      // nothing was written there
    }
    await pkg.discard();
    revokeUnlisted(s, issued.token, address, e);
  }
  return { file: target, expiresAt: issued.expiresAt };
}

/** A token was issued but its package could not be written: it must not stay live and unlisted. */
function revokeUnlisted(s: Services, token: string, address: string, cause: unknown): never {
  s.tokens.revokeEnroll(token);
  throw new HeraldError('internal', `the package for ${address} could not be written (${(cause as Error).message}); its sign-in token was revoked`);
}

export async function runPackageCommand(settings: Settings, s: Services, args: string[], flags: Flags, io: PackageIo): Promise<void> {
  const [action] = args;
  if (action === 'keys') {
    const p = createProvisioning({ dataDir: settings.dataDir, tokens: s.tokens, gatewayUrl: settings.http.publicUrl ?? 'http://localhost', buildsDir: settings.provisioning.buildsDir });
    const text = `${JSON.stringify(p.key.keySet, null, 2)}\n`;
    if (typeof flags.out === 'string') {
      writeFileSync(flags.out, text);
      return io.out(`wrote the provisioning public key (${p.key.kid}) to ${flags.out}; ship it as provision-keys.json in the app's resources`);
    }
    return io.out(text.trimEnd());
  }
  if (action !== undefined) throw new UsageError(`unknown command: package ${action}`);

  const from = typeof flags.from === 'string' ? path.resolve(flags.from) : undefined;
  const out = typeof flags.out === 'string' ? path.resolve(flags.out) : undefined;
  if (!from) throw new UsageError('missing --from <generic build> (a .zip or .tar.gz; an installer gets a provision.json beside it)');
  if (!out) throw new UsageError('missing --out <folder>');
  if (!existsSync(from) || !statSync(from).isFile()) throw new HeraldError('not_found', `no build file ${from}`);
  const hours = flags.ttl === undefined ? undefined : Number(flags.ttl);
  if (hours !== undefined && !(hours > 0)) throw new UsageError('--ttl takes a number of hours > 0');

  let users: string[];
  if (typeof flags.user === 'string') {
    const u = s.directory.get(flags.user);
    if (!u) throw new HeraldError('not_found', `no user ${flags.user}`);
    if (typeof flags.domain === 'string' && u.domain !== flags.domain.toLowerCase()) throw new UsageError(`${u.address} is not in ${flags.domain}`);
    users = [u.address];
  } else if (typeof flags.domain === 'string') {
    const domain = flags.domain.toLowerCase();
    if (!s.directory.listDomains().some((d) => d.name === domain)) throw new HeraldError('not_found', `no domain ${domain}`);
    users = s.directory.listUsers(domain).map((u) => u.address);
    if (users.length === 0) throw new HeraldError('not_found', `${domain} has no users`);
  } else throw new UsageError('say whom to package for: --domain <domain> (every user) or --user <local@domain>');

  const gatewayUrl = gatewayUrlOf(settings, flags, io);
  await checkBuild(from);
  // A package already in --out has a live token listed in its manifest: overwriting the package
  // would leave that token live with nothing to show for it. Refused before anything is issued.
  const clashes = users.map((u) => path.join(out, u, path.basename(from))).filter((f) => existsSync(f));
  if (clashes.length) {
    throw new UsageError(`${out} already holds ${clashes.length} of these packages (${path.relative(out, clashes[0]!)}${clashes.length > 1 ? ', …' : ''}): use another --out, or revoke their tokens (herald-gateway token revoke <address>) and remove them first`);
  }
  const p = createProvisioning({ dataDir: settings.dataDir, tokens: s.tokens, gatewayUrl, issuer: settings.provisioning.issuer, buildsDir: settings.provisioning.buildsDir });
  if (p.key.warning) io.err(`warning: ${p.key.warning}\n`);
  const manifest = path.join(out, MANIFEST_FILE);
  const ttlMs = hours === undefined ? undefined : hours * 3600_000;
  let lastExpiry: Date | undefined;
  for (const [i, address] of users.entries()) {
    const made = await packageOne(s, p, from, address, path.join(out, address), ttlMs);
    // Rows are appended as packages are made (a failed run lists what it made; a second run into
    // the same folder adds its rows); the header comes with the first row.
    if (!existsSync(manifest)) writeFileSync(manifest, 'user,file,token_expires\n');
    appendFileSync(manifest, `${csv(address)},${csv(path.relative(out, made.file))},${made.expiresAt.toISOString()}\n`);
    lastExpiry = made.expiresAt;
    progress(io, i + 1, users.length, address);
  }
  io.out(`${users.length} package(s) in ${out}, listed in ${MANIFEST_FILE}; the sign-ins expire ${lastExpiry!.toISOString()}`);
  io.out("a package must reach no one but its user; to cancel one: herald-gateway token revoke <address> (also signs out that user's devices)");
}
