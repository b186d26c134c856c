// How `herald-gateway status` (another process, same machine, same OS user) finds and
// authenticates to the running `serve`: serve writes <data>/run/admin-api.json (0600, in a 0700
// folder) with its local URL, a random token, its pid and, on HTTPS, its certificate's SHA-256
// fingerprint (the CLI pins it instead of trusting a self-signed certificate blindly). Whoever can
// read the file can read the database anyway. The token only reads GET /api/v1/admin/status.
// serve removes the file when it closes; a file left by a killed serve is told apart by the pid
// and by nobody answering.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LocalAdminEndpoint {
  url: string;
  token: string;
  pid: number;
  /** SHA-256 fingerprint of the HTTPS certificate (colon-separated hex, as Node reports it), when url is https. */
  fingerprint256?: string;
}

export const localTokenFileOf = (dataDir: string) => path.join(dataDir, 'run', 'admin-api.json');

export function writeLocalEndpoint(dataDir: string, e: Omit<LocalAdminEndpoint, 'token' | 'pid'>): { token: string; remove(): void } {
  const file = localTokenFileOf(dataDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, JSON.stringify({ ...e, token, pid: process.pid } satisfies LocalAdminEndpoint), { mode: 0o600 });
  return {
    token,
    remove() {
      try {
        const now = JSON.parse(readFileSync(file, 'utf8')) as LocalAdminEndpoint;
        if (now.token === token) rmSync(file, { force: true });
      } catch {
        // gone already
      }
    },
  };
}

export function readLocalEndpoint(dataDir: string): LocalAdminEndpoint | undefined {
  try {
    return JSON.parse(readFileSync(localTokenFileOf(dataDir), 'utf8')) as LocalAdminEndpoint;
  } catch {
    return undefined;
  }
}

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
