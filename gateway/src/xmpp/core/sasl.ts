// RFC 6120 §6: SASL on a client stream — SCRAM-SHA-256 / SCRAM-SHA-1 (RFC 5802, 7677) from
// stored keys, and PLAIN (RFC 4616) with the account password or a device token. Failures are
// counted per stream (the stream closes after `maxFailures`) and, through the Authenticator, per
// account and address; an account of a domain with IM switched off is refused with a text saying so.
// On success the stream learns which credential it used (the password, or which device token), so
// the session can be ended when that credential ends (directory/credentials.ts).
import { escapeXML } from 'ltx';
import type { Element } from 'ltx';
import type { Logger } from '../../config/logger.ts';
import type { HeldCredential } from '../../directory/credentials.ts';
import type { ScramHash, ScramKeys } from '../../directory/scram.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { AccountRow } from '../../store/index.ts';
import { parseJid } from './jid.ts';
import { SCRAM_MECHANISMS, ScramError, ScramExchange } from './sasl-scram.ts';
import { NS } from './stanza.ts';

export interface Authenticator {
  /** Checks PLAIN credentials (password, or a device token: its id); throws HeraldError on failure. */
  plain(address: string, secret: string, remoteAddress: string): Promise<{ account: AccountRow; deviceId?: number }>;
  /** SCRAM, when the accounts' passwords are ours (local directory); failures count like PLAIN's. */
  scram?: {
    keys(address: string, hash: ScramHash): ScramKeys | undefined;
    /** Throws HeraldError rate_limited when this address may not try this account now (directory/login-guard.ts). */
    check(address: string, remoteAddress: string): void;
    record(address: string, remoteAddress: string, ok: boolean): void;
    account(address: string): AccountRow | undefined;
  };
  /** IM switched on for the domain (and globally)? */
  imEnabled(domain: string): boolean;
  /**
   * The credential journal's position before a check starts, and — once it succeeded — why the
   * credential ended meanwhile, if it did (directory/credentials.ts): such a login is refused.
   */
  journal?: { mark(): number; endedSince(mark: number, credential: HeldCredential): string | undefined };
}

/** What the negotiation needs of its stream. */
export interface SaslStream {
  /** The stream's domain (its header's `to`). */
  readonly domain: string;
  readonly remoteAddress: string;
  send(xml: string): void;
  /** Authenticated with `credential`: send <success/> with `data` (base64) and restart the stream. */
  succeeded(account: AccountRow, credential: HeldCredential, data: string): void;
  /** Ends the stream: normally (`condition` undefined) or with a stream error. */
  end(condition?: 'policy-violation', text?: string): void;
}

export class SaslNegotiation {
  private failures = 0;
  private scram: { exchange: ScramExchange; address: string; mark: number | undefined } | undefined;

  constructor(
    private readonly auth: Authenticator,
    private readonly log: Logger,
    private readonly maxFailures: number,
    private readonly stream: SaslStream,
  ) {}

  /** Mechanism names for the stream features, preferred first. */
  static mechanisms(auth: Authenticator): string[] {
    return [...(auth.scram ? Object.keys(SCRAM_MECHANISMS) : []), 'PLAIN'];
  }

  /** An element of the SASL namespace: <auth/>, <response/> or <abort/>. */
  async handle(el: Element): Promise<boolean> {
    if (el.name === 'auth') await this.start(el);
    else if (el.name === 'response') this.scramResponse(el);
    else if (el.name === 'abort') {
      this.scram = undefined;
      this.failure('aborted');
    } else return false;
    return true;
  }

  private failure(condition: string, text?: string): void {
    const t = text ? `<text xml:lang='en'>${escapeXML(text)}</text>` : '';
    this.stream.send(`<failure xmlns='${NS.sasl}'><${condition}/>${t}</failure>`);
  }

  private async start(el: Element): Promise<void> {
    this.scram = undefined;
    const hash = SCRAM_MECHANISMS[el.attrs.mechanism ?? ''];
    if (hash && this.auth.scram) return this.scramStart(el, hash);
    if (el.attrs.mechanism !== 'PLAIN') return this.failure('invalid-mechanism');
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = Buffer.from(el.getText().trim(), 'base64').toString('utf8').split('\0');
    if (parts.length !== 3) return this.failure('malformed-request');
    const [authzid, authcid, secret] = parts as [string, string, string];
    const address = this.addressOf(authcid);
    const mark = this.auth.journal?.mark();
    try {
      const { account, deviceId } = await this.auth.plain(address, secret, this.stream.remoteAddress);
      if (account.domain !== this.stream.domain) throw new HeraldError('invalid_credentials', 'account of another domain');
      if (authzid && parseJid(authzid)?.bare !== account.address) return this.failure('invalid-authzid');
      this.authenticated(account, deviceId, mark);
    } catch (e) {
      if (!(e instanceof HeraldError)) throw e;
      this.failed(address, e);
    }
  }

  private addressOf(user: string): string {
    return (user.includes('@') ? user : `${user}@${this.stream.domain}`).toLowerCase();
  }

  private scramStart(el: Element, hash: ScramHash): void {
    const scram = this.auth.scram!;
    const exchange = new ScramExchange(hash);
    let address = '';
    const mark = this.auth.journal?.mark();
    try {
      const serverFirst = exchange.first(Buffer.from(el.getText().trim(), 'base64').toString('utf8'), (user) => {
        address = this.addressOf(user);
        scram.check(address, this.stream.remoteAddress);
        return scram.keys(address, hash);
      });
      this.scram = { exchange, address, mark };
      this.stream.send(`<challenge xmlns='${NS.sasl}'>${Buffer.from(serverFirst).toString('base64')}</challenge>`);
    } catch (e) {
      if (e instanceof ScramError) return this.failure(e.condition, e.message);
      if (e instanceof HeraldError) return this.failed(address, e);
      throw e;
    }
  }

  private scramResponse(el: Element): void {
    const pending = this.scram;
    this.scram = undefined;
    if (!pending) return this.failure('malformed-request', 'no SCRAM exchange in progress');
    const scram = this.auth.scram!;
    try {
      const serverFinal = pending.exchange.final(Buffer.from(el.getText().trim(), 'base64').toString('utf8'));
      const account = scram.account(pending.address);
      if (!account || account.domain !== this.stream.domain) throw new ScramError('not-authorized', 'wrong user name or password');
      const authzid = pending.exchange.authzid;
      if (authzid && parseJid(authzid)?.bare !== account.address) return this.failure('invalid-authzid');
      scram.record(pending.address, this.stream.remoteAddress, true);
      this.authenticated(account, undefined, pending.mark, serverFinal);
    } catch (e) {
      if (!(e instanceof ScramError)) throw e;
      if (e.condition !== 'not-authorized') return this.failure(e.condition, e.message);
      scram.record(pending.address, this.stream.remoteAddress, false);
      this.failed(pending.address, new HeraldError('invalid_credentials', 'wrong user name or password'));
    }
  }

  private authenticated(account: AccountRow, deviceId: number | undefined, mark: number | undefined, successData?: string): void {
    if (!this.auth.imEnabled(account.domain)) {
      this.failure('not-authorized', `instant messaging is disabled for ${account.domain}`);
      return this.stream.end();
    }
    const credential: HeldCredential = { accountId: account.id, domain: account.domain, deviceId };
    // Checked against the journal: a password changed (or device signed out) while it was being checked.
    const endedBecause = mark === undefined ? undefined : this.auth.journal?.endedSince(mark, credential);
    if (endedBecause) {
      this.failure('not-authorized', endedBecause);
      this.log.info({ user: account.address, ip: this.stream.remoteAddress }, `XMPP login refused: ${endedBecause} while it was checked`);
      return this.stream.end();
    }
    this.stream.succeeded(account, credential, successData ? Buffer.from(successData).toString('base64') : '');
    this.log.info({ user: account.address, ip: this.stream.remoteAddress }, 'XMPP login');
  }

  private failed(address: string, err: HeraldError): void {
    // 429 (rate_limited, busy) and 503: try later — RFC 6120 §6.5.13 temporary-auth-failure.
    if (err.status === 429 || err.status === 503) this.failure('temporary-auth-failure', err.message);
    else this.failure('not-authorized', 'wrong user name or password');
    this.log.warn({ user: address, ip: this.stream.remoteAddress }, `XMPP login failed: ${err.message}`);
    if (++this.failures >= this.maxFailures) this.stream.end('policy-violation', 'too many failed authentication attempts');
  }
}
