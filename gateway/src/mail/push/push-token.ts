// The shared secret Dovecot's push script sends (Authorization: Bearer): made once, kept in
// <dataDir>/mail-push.token (0600, like the data folder's other secrets); the admin copies it into
// Dovecot's config (deploy/dovecot-herald-push.conf). Compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PUSH_TOKEN_FILE = 'mail-push.token';

/** The token in `<dataDir>/mail-push.token`, made (256 random bits) if there is none. */
export function loadOrCreatePushToken(dataDir: string): string {
  const file = path.join(dataDir, PUSH_TOKEN_FILE);
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t.length >= 16) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Whether an Authorization header carries `Bearer <token>`; hashes first so lengths leak nothing either. */
export function pushTokenMatches(authorization: string, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return false;
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(m[1]!), h(token));
}
