// Where passwords are checked. `local`: scrypt hashes in our own table, at most a few at once
// (hash-gate.ts). `imap`: an IMAP LOGIN against the mail server; the password is never stored.
import type { AccountRow } from '../store/index.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { HashGate } from './hash-gate.ts';
import { DUMMY_HASH, verifyPassword } from './password-hash.ts';

export interface AuthBackend {
  readonly name: 'local' | 'imap';
  /** True for a right password, false for a wrong one; throws directory_unavailable when it cannot tell. */
  verify(address: string, account: AccountRow | undefined, password: string): Promise<boolean>;
}

export function createLocalBackend(gate: HashGate): AuthBackend {
  return {
    name: 'local',
    async verify(_address, account, password) {
      // Unknown users cost the same scrypt time, so timing does not reveal who exists.
      const hash = account?.passwordHash ?? DUMMY_HASH;
      const ok = await gate.run(() => verifyPassword(password, hash));
      return ok && account?.passwordHash != null;
    },
  };
}

export interface ImapServerSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  rejectUnauthorized: boolean;
}

export function createImapBackend(server: ImapServerSettings, timeoutMs = 10_000): AuthBackend {
  return {
    name: 'imap',
    async verify(address, _account, password) {
      // Loaded on the first IMAP sign-in: a gateway with the local backend and Maildir never needs
      // imapflow (and its charset tables), which is several MB of a resting gateway's memory.
      const { ImapFlow } = await import('imapflow');
      const client = new ImapFlow({
        host: server.host,
        port: server.port,
        secure: server.secure,
        doSTARTTLS: server.secure ? undefined : server.requireTls ? true : undefined,
        tls: { rejectUnauthorized: server.rejectUnauthorized },
        auth: { user: address, pass: password },
        logger: false,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        disableAutoIdle: true,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.logout().catch(() => {});
        return true;
      } catch (e) {
        const err = e as { authenticationFailed?: boolean; code?: string; message?: string };
        if (err.authenticationFailed) return false;
        throw new HeraldError(
          'directory_unavailable',
          `IMAP server ${server.host}:${server.port} could not check the password: ${err.code ?? err.message ?? 'unknown error'}`,
        );
      } finally {
        client.close();
      }
    },
  };
}
