// `herald-gateway extauth`: ejabberd's external authentication program (ejabberd.yml:
// `auth_method: external`, `extauth_program: "herald-gateway extauth --data DIR"`). ejabberd
// starts it and asks over stdin/stdout (extauth-framing.ts); it reads the same data folder as
// `serve`, so a password, a device token, a revoked token, a removed account and a domain with
// IM switched off mean the same for an ejabberd login as for the embedded server's SASL PLAIN:
// the check is the same function (directory/plain-login.ts), with the same failed-login limits.
//
// ejabberd does not tell the program the client's address. Failures are therefore counted per
// account ("client" `ejabberd:<account>`): past rateLimit.perPair wrong passwords within the
// window, password logins to that account through ejabberd wait for the window to end (device
// tokens are not counted and keep working). Per client address, ejabberd's own mod_fail2ban
// (in the generated configuration) bans addresses with many failed logins.
//
// stdout carries the protocol only: the log goes to stderr, and never holds a password or token.
import type { Readable, Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { parseAddress } from '../directory/address.ts';
import { REASON_TEXT, type HeldCredential } from '../directory/credentials.ts';
import { createPlainLogin, type PlainLogin } from '../directory/plain-login.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { Settings } from '../config/schema.ts';
import type { createServices } from '../main.ts';
import type { AccountRow } from '../store/index.ts';
import { answer, createFrameDecoder, parseRequest, type ExtauthRequest, type UnreadableRequest } from './extauth-framing.ts';

export interface ExtauthDeps {
  login: PlainLogin;
  account(address: string): AccountRow | undefined;
  /** IM switched on for the domain? */
  imEnabled(domain: string): boolean;
  /** The credential journal (directory/credentials.ts): a credential that ended while it was checked is refused. */
  journal: { mark(): number; endedSince(mark: number, credential: HeldCredential): string | undefined };
  log: Logger;
}

/** ejabberd's failed-login "client address" for an account (see the top of this file). */
export const extauthClientOf = (address: string) => `ejabberd:${address}`;

export function createExtauthHandler(deps: ExtauthDeps): (req: ExtauthRequest | UnreadableRequest) => Promise<boolean> {
  const { log } = deps;
  /** user + server as one address, or undefined when they do not make one. */
  const addressOf = (user: string, server: string) => {
    try {
      return parseAddress(`${user}@${server}`).address;
    } catch {
      return undefined;
    }
  };

  const auth = async (address: string, password: string): Promise<boolean> => {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    const mark = deps.journal.mark();
    let account: AccountRow;
    let deviceId: number | undefined;
    try {
      ({ account, deviceId } = await deps.login(address, password, extauthClientOf(address)));
    } catch (e) {
      if (!(e instanceof HeraldError)) throw e;
      log.warn({ user: address }, `ejabberd login failed: ${e.message}`);
      return false;
    }
    if (!deps.imEnabled(account.domain) || account.domain !== domain) {
      log.warn({ user: address }, `ejabberd login refused: instant messaging is disabled for ${account.domain}`);
      return false;
    }
    const ended = deps.journal.endedSince(mark, { accountId: account.id, domain: account.domain, deviceId });
    if (ended) {
      log.info({ user: address }, `ejabberd login refused: ${ended} while it was checked`);
      return false;
    }
    log.info({ user: address, device: deviceId }, 'ejabberd login');
    return true;
  };

  return async (req) => {
    if (req.op === undefined) {
      log.warn(`extauth: unreadable request (${req.why}): answered false`);
      return false;
    }
    const address = addressOf(req.user, req.server);
    if (!address) {
      log.warn({ op: req.op }, 'extauth: the user and server do not make an address: answered false');
      return false;
    }
    switch (req.op) {
      case 'auth':
        // ejabberd itself refuses an empty password; so do we, before any counting.
        return req.password !== '' && auth(address, req.password);
      case 'isuser': {
        const account = deps.account(address);
        return account !== undefined && deps.imEnabled(account.domain);
      }
      default:
        // Accounts and passwords are Herald's (CLI, admin console), not in-band registration's.
        log.warn({ op: req.op, user: address }, `extauth: ${req.op} refused: accounts are managed by herald-gateway`);
        return false;
    }
  };
}

/**
 * Answers the requests on `input` in order until it ends (ejabberd closed the port). A handler
 * that throws (the database unreadable) answers false and the program goes on.
 */
export function serveExtauth(input: Readable, output: Writable, handle: (req: ExtauthRequest | UnreadableRequest) => Promise<boolean>, log: Logger): Promise<void> {
  const decoder = createFrameDecoder();
  let chain = Promise.resolve();
  return new Promise((resolve, reject) => {
    input.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const req = parseRequest(frame);
        chain = chain.then(async () => {
          let ok = false;
          try {
            ok = await handle(req);
          } catch (e) {
            log.error({ op: req.op, err: (e as Error).message }, 'extauth: the request could not be answered: answered false');
          }
          output.write(answer(ok));
        });
      }
    });
    input.once('end', () => {
      if (decoder.pending) log.warn(`extauth: input ended inside a request (${decoder.pending} bytes): not answered`);
      chain.then(resolve, reject);
    });
    input.once('error', reject);
  });
}

type Services = Pick<ReturnType<typeof createServices>, 'directory' | 'tokens' | 'credentials' | 'store'>;

/** The handler on a data folder's services: the same checks as the embedded server's SASL PLAIN. */
export function extauthHandlerFor(services: Services, log: Logger): (req: ExtauthRequest | UnreadableRequest) => Promise<boolean> {
  return createExtauthHandler({
    login: createPlainLogin({ directory: services.directory, tokens: services.tokens }),
    account: (address) => services.store.accounts.byAddress(address),
    imEnabled: (domain) => services.store.domains.get(domain)?.imEnabled === true,
    journal: {
      mark: () => services.credentials.mark(),
      endedSince: (mark, held) => {
        const e = services.credentials.endedSince(mark, held);
        return e && REASON_TEXT[e.reason];
      },
    },
    log,
  });
}

/** The command: services on the data folder, the log on stderr, requests until ejabberd closes stdin. */
export async function runExtauth(settings: Settings, create: typeof createServices): Promise<void> {
  const log = pino({ level: settings.log.level, base: { program: 'herald-extauth' } }, pino.destination(2));
  const services = create(settings, log);
  log.info({ data: settings.dataDir }, 'extauth: answering ejabberd');
  try {
    await serveExtauth(process.stdin, process.stdout, extauthHandlerFor(services, log), log);
  } finally {
    services.store.close();
  }
}
