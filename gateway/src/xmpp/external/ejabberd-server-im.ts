// xmpp.mode=external: the IMs the server itself sends (SEM files, alert rules, calendar reminders
// and invitation summaries) go to ejabberd through its HTTP API's `send_stanza` command
// (mod_admin_extra), with the same checks and the same log-first rule as the embedded server's
// system-message path (xmpp/modules/system-message.ts): refused before logging when the sender or
// recipient is no address, the recipient is no Herald user, IM is off for their domain or the text
// cannot be carried; then the central IM log line; then the stanza.
//
// WHY THE HTTP API AND NOT AN XEP-0114 COMPONENT. A crash-safe spool needs to know when ejabberd has
// taken a message. XEP-0114 has no acknowledgement (and ejabberd 23.01 offers no XEP-0198 on
// component streams), so a component would need a barrier (an iq round trip after each batch), a
// reconnect loop, a listener with a shared secret, and `check_from: false` on that listener to send
// as herald@<domain> (a component may otherwise only use its own domain) — which lets whoever holds
// the secret send as ANY address. `send_stanza` answers after ejabberd_router:route returned on the
// node: the stanza was handed to the recipient's session process, or, with nobody online, stored by
// mod_offline (and archived by mod_mam) in that same call. So HTTP 200 with result 0 is acceptance
// of that one message, a refused or unreachable API is a plain error (the spool keeps the file and
// tries again later: there is no connection to re-establish), and the trust is that of the API
// listener the kicker already uses (loopback only; api_permissions in ejabberd-config.ts). The cost
// is two or three HTTP requests per message (the offline-store look below, then send_stanza), one
// message at a time: about 160 messages/s on a loopback node (README).
//
// LOGGING. Each message is logged here, at send time, with its type (`scripted` or `alert`), as in
// embedded mode. ejabberd archives it too (mod_mam, for the recipient), so a feed of the central log
// from ejabberd's archive must skip it: the stanza carries <server-im xmlns="urn:x-herald:server-im"
// mac="…"/>, an HMAC-SHA256 of its id, sender and recipient under a key in the data folder
// (server-im.key). A client can add such an element to its own messages but cannot make the MAC,
// so it cannot hide a chat message from the log that way (isServerImStanza below).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Element } from 'ltx';
import type { Store } from '../../store/index.ts';
import { parseJid } from '../core/jid.ts';
import type { MessageLogger } from '../modules/message.ts';
import { SystemMessageError, type SystemMessage } from '../modules/system-message.ts';
import type { EjabberdApi } from './ejabberd-api.ts';

export const NS_SERVER_IM = 'urn:x-herald:server-im';

// Characters XML 1.0 has no place for (§2.2), lone surrogates included (as system-message.ts).
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The key that marks server IMs (created on first use, readable by the gateway's user only). */
export function loadServerImKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'server-im.key');
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first
    }
  }
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

const macOf = (key: Buffer, id: string, from: string, to: string) => createHmac('sha256', key).update(`${id}\n${from}\n${to}`).digest('hex');

/** The chat message this gateway sends from `from` to `to` (bare addresses), marked as a server IM. */
export function serverImStanza(key: Buffer, m: { id: string; from: string; to: string; body: string }): Element {
  const stanza = new Element('message', { type: 'chat', id: m.id });
  stanza.c('body').t(m.body);
  stanza.c('server-im', { xmlns: NS_SERVER_IM, mac: macOf(key, m.id, m.from, m.to) });
  return stanza;
}

/**
 * Whether an archived message is one this gateway sent (and logged already). `from` and `to` are the
 * bare addresses ejabberd archived it with (not the stanza's attributes, which the sender wrote).
 */
export function isServerImStanza(key: Buffer, stanza: Element, from: string, to: string): boolean {
  const mark = stanza.getChild('server-im', NS_SERVER_IM);
  const id = stanza.attrs.id as string | undefined;
  const mac = mark?.attrs.mac as string | undefined;
  if (!id || !mac || !/^[0-9a-f]{64}$/.test(mac)) return false;
  return timingSafeEqual(Buffer.from(mac, 'hex'), Buffer.from(macOf(key, id, from, to), 'hex'));
}

export type ExternalServerImSender = (m: SystemMessage & { id: string }, o?: { logged?: boolean }) => Promise<void>;

/** mod_http_api writes an `integer` result as a number (or, in some versions, as {"<name>": number}). */
const numberOf = (r: unknown): number => (typeof r === 'number' ? r : typeof r === 'object' && r ? Number(Object.values(r)[0]) : NaN);

export function createEjabberdServerIm(deps: {
  api: EjabberdApi;
  store: Pick<Store, 'accounts' | 'domains'>;
  logMessage: MessageLogger;
  key: Buffer;
  /** xmpp.offlineQuota (ejabberd's max_user_offline_messages in the generated configuration). */
  offlineQuota: number;
}): ExternalServerImSender {
  const fail = (reason: ConstructorParameters<typeof SystemMessageError>[0], text: string, logged = false) => new SystemMessageError(reason, text, logged);
  return async (m, o = {}) => {
    const from = parseJid(m.from.trim());
    if (!from?.local || from.resource) throw fail('bad_sender', `sender "${m.from}" is not a valid address (local@domain)`);
    const to = parseJid(m.to.trim());
    if (!to?.local || to.resource) throw fail('bad_recipient', `recipient "${m.to}" is not a valid address (local@domain)`);
    const domain = deps.store.domains.get(to.domain);
    if (!domain || !deps.store.accounts.byAddress(to.bare)) throw fail('unknown_recipient', `${to.bare} is not a user here`);
    if (!domain.imEnabled) throw fail('im_disabled', `instant messaging is switched off for ${to.domain}`);
    if (!m.body.trim()) throw fail('bad_text', 'the message text is empty');
    const bad = NOT_XML.exec(m.body);
    if (bad) throw fail('bad_text', `the text contains U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which XMPP cannot carry`);

    // ejabberd bounces a message for a full offline store as an error to the sender (here: nobody
    // reads it) after send_stanza answered ok: it would be lost. So, as embedded mode does, a recipient
    // with no session and a full store is refused first (permanent: the spool moves the file to bad/).
    // A login or logout between this look and the send can still cross it.
    const user = { user: to.local, host: to.domain };
    let full: boolean;
    try {
      const resources = await deps.api.call<string[]>('user_resources', user);
      full = resources.length === 0 && numberOf(await deps.api.call('get_offline_count', user)) >= deps.offlineQuota;
    } catch (e) {
      throw fail('server_unavailable', (e as Error).message);
    }
    if (full) throw fail('offline_full', `${to.bare} is offline and their offline message store is full (${deps.offlineQuota} messages)`);

    const stanza = serverImStanza(deps.key, { id: m.id, from: from.bare, to: to.bare, body: m.body });

    if (!o.logged) {
      try {
        deps.logMessage({ type: m.logType ?? 'scripted', from: from.bare, to: to.bare, body: m.body, attachments: [] });
      } catch (e) {
        throw fail('log_failed', `the central IM log cannot be written: ${(e as Error).message}`);
      }
    }
    let result: unknown;
    try {
      result = await deps.api.call('send_stanza', { from: from.bare, to: to.bare, stanza: stanza.toString() });
    } catch (e) {
      throw fail('server_unavailable', (e as Error).message, true);
    }
    // mod_http_api answers a `rescode` command with HTTP 200 either way: 0 is ok, anything else a refusal.
    if (result !== 0) throw fail('server_unavailable', `ejabberd send_stanza did not take the message (result ${JSON.stringify(result)})`, true);
  };
}
