// The PLAIN credential check of an XMPP login (RFC 4616's authcid + passwd): a device token
// (`hdt_…`, what the desktop app holds instead of the password) or the account's password. One
// function for every XMPP front door — the embedded server's SASL PLAIN (xmpp/core/sasl.ts) and
// ejabberd's external authentication (`herald-gateway extauth`) — so a password, a device token,
// a revoked token and the failed-login limits (login-guard.ts) mean the same on both.
import { isIP } from 'node:net';
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow } from '../store/index.ts';
import type { Directory } from './directory.ts';
import type { TokenService } from './tokens.ts';

export type PlainLogin = (address: string, secret: string, clientAddress: string) => Promise<{ account: AccountRow; deviceId?: number }>;

export function createPlainLogin({ directory, tokens }: { directory: Directory; tokens: TokenService }): PlainLogin {
  return async (address, secret, clientAddress) => {
    // A device token works as the password (the tray app never has the real one). Tokens are
    // 256-bit random strings: they do not pass through the failed-login limits.
    if (secret.startsWith('hdt_')) {
      // The device's last address (the console's device list) only when it is one: extauth's
      // client is "ejabberd:<user>", ejabberd does not say where the client is.
      const { account, deviceId } = tokens.verifyDevice(secret, isIP(clientAddress) ? clientAddress : undefined);
      if (account.address !== address.toLowerCase()) throw new HeraldError('invalid_credentials', 'token of another user');
      return { account, deviceId };
    }
    // A password is checked against the SCRAM-SHA-1 keys (PBKDF2, 4,096 it.), not scrypt: a
    // login costs what Prosody's does, and wrong passwords cannot starve the server.
    return { account: await directory.authenticate(address, secret, clientAddress, 'scram-keys') };
  };
}
