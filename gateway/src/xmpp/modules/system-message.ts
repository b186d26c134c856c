// RFC 6121 §8.5.2.1 (a message to a local user's bare JID) for messages the server itself sends
// on behalf of an address: scripts through the SEM spool (gateway/src/im/spool/), later mail
// alerts and reminders. Same rules as a chat message a client sends: written to the central IM
// log first (a log that cannot be written refuses it), then delivered to every available resource
// of the recipient (RFC 6121 §8.5.2.1.1), or kept in offline storage with the same quota
// (XEP-0160), stamped with XEP-0203 delay; archived for the recipient (XEP-0313, stanza-id by
// XEP-0359) when archives are on. The sender may be any valid address (monitoring@example.com
// need not be a user); the recipient must be a local user whose domain has IM switched on.
//
// For callers that must know after a crash whether a message went out (the spool), the effect
// is one SQLite transaction: the archive row, the offline row and the caller's `commit` record go
// in together, and only after it committed are live sessions written to. `logged: true` skips the
// log line (the caller found it in the log after a crash: logged, but never committed).
// Not done for these messages: carbons (every available resource gets the message itself) and
// the messageRouted/messageAccepted hooks (they take the sending client's session; there is none).
import { Element } from 'ltx';
import type { Store } from '../../store/index.ts';
import type { ServerContext } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import { NS_SID } from './mam.ts';
import { stamp, type MessageLogger } from './message.ts';

export type SystemMessageFailure =
  /** The sender is not a valid bare address. */
  | 'bad_sender'
  /** The recipient is not a valid bare address. */
  | 'bad_recipient'
  /** The text is empty or has a character XML cannot carry (XML 1.0 §2.2). */
  | 'bad_text'
  /** No local user has that address (or its domain is not served here). */
  | 'unknown_recipient'
  /** IM is switched off for the recipient's domain. */
  | 'im_disabled'
  /** The recipient is offline and their offline store is full. */
  | 'offline_full'
  /** The central IM log cannot be written: nothing was delivered; try again later. */
  | 'log_failed'
  /** Logged, but the database refused the delivery (busy, disk full): try again later, with `logged`. */
  | 'store_failed'
  /** xmpp.mode=external: ejabberd did not take it (down, refused): try again later (xmpp/external/ejabberd-server-im.ts). */
  | 'server_unavailable';

/** A message the server refused to send; `logged` tells whether its log line was written. */
export class SystemMessageError extends Error {
  override name = 'SystemMessageError';
  constructor(
    readonly reason: SystemMessageFailure,
    message: string,
    readonly logged = false,
  ) {
    super(message);
  }
  /** Whether trying again later may succeed (the others are final). */
  get transient(): boolean {
    return this.reason === 'log_failed' || this.reason === 'store_failed' || this.reason === 'server_unavailable';
  }
}

export interface SystemMessage {
  /** Any valid bare address. */
  from: string;
  /** A local user's bare address. */
  to: string;
  body: string;
  /** The stanza id (stable across retries lets clients drop a duplicate). */
  id?: string;
  /** How the central IM log names it (the stanza is a chat message either way). */
  logType?: 'scripted' | 'chat' | 'alert';
}

export interface SystemDelivery {
  /** `live`: written to the recipient's available resources; `offline`: stored for their next login. */
  delivered: 'live' | 'offline';
  /** The full JIDs it was written to (live). */
  resources: string[];
  /** Its archive id (XEP-0359 stanza-id), when archives are on. */
  archiveId: string | undefined;
}

export interface SystemSendOptions {
  /** The message is in the central IM log already: do not log it again. */
  logged?: boolean;
  /** Runs inside the transaction that stores the effect; throwing rolls it back (nothing delivered). */
  commit?: (d: SystemDelivery) => void;
}

// Characters XML 1.0 has no place for (§2.2), lone surrogates included.
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export type SystemMessageSender = (m: SystemMessage, opts?: SystemSendOptions) => SystemDelivery;

export function createSystemMessageSender(deps: {
  store: Store;
  ctx: ServerContext;
  logMessage: MessageLogger;
  offlineQuota: number;
  archiveDays: number;
  imEnabled: (domain: string) => boolean;
}): SystemMessageSender {
  const { store, ctx } = deps;
  const fail = (reason: SystemMessageFailure, text: string, logged = false) => new SystemMessageError(reason, text, logged);
  const inTransaction = store.db.transaction((work: () => void) => work());

  return (m, opts = {}) => {
    const from = parseJid(m.from.trim());
    if (!from?.local || from.resource) throw fail('bad_sender', `sender "${m.from}" is not a valid address (local@domain)`);
    const to = parseJid(m.to.trim());
    if (!to?.local || to.resource) throw fail('bad_recipient', `recipient "${m.to}" is not a valid address (local@domain)`);
    const account = ctx.isLocalDomain(to.domain) ? ctx.account(to.bare) : undefined;
    if (!account) throw fail('unknown_recipient', `${to.bare} is not a user here`);
    if (!deps.imEnabled(to.domain)) throw fail('im_disabled', `instant messaging is switched off for ${to.domain}`);
    if (!m.body.trim()) throw fail('bad_text', 'the message text is empty');
    const bad = NOT_XML.exec(m.body);
    if (bad) throw fail('bad_text', `the text contains U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which XMPP cannot carry`);

    const targets = ctx.router.availableOf(to.bare);
    // Checked before logging, so a message refused for a full store leaves no log line.
    if (!targets.length && store.offline.count(account.id) >= deps.offlineQuota) {
      throw fail('offline_full', `${to.bare} is offline and their offline message store is full (${deps.offlineQuota} messages)`);
    }
    const stanza = new Element('message', { from: from.bare, to: to.bare, type: 'chat', ...(m.id ? { id: m.id } : {}) });
    stanza.c('body').t(m.body);

    if (!opts.logged) {
      try {
        deps.logMessage({ type: m.logType ?? 'scripted', from: from.bare, to: to.bare, body: m.body, attachments: [] });
      } catch (e) {
        throw fail('log_failed', `the central IM log cannot be written: ${(e as Error).message}`);
      }
    }

    const result: SystemDelivery = { delivered: targets.length ? 'live' : 'offline', resources: targets.map((s) => s.jid!.full), archiveId: undefined };
    try {
      inTransaction.immediate(() => {
        if (deps.archiveDays > 0) {
          const id = store.archive.nextId();
          store.archive.add([{ id, owner: from.bare, peer: to.bare, stanza: stanza.toString() }]);
          result.archiveId = String(id);
          stanza.c('stanza-id', { xmlns: NS_SID, by: to.bare, id: result.archiveId });
        }
        if (!targets.length && !store.offline.add(account.id, stamp(stanza, to.domain).toString(), deps.offlineQuota)) {
          throw fail('offline_full', `${to.bare} is offline and their offline message store is full (${deps.offlineQuota} messages)`, true);
        }
        opts.commit?.(result);
      });
    } catch (e) {
      if (e instanceof SystemMessageError) throw e;
      throw fail('store_failed', `the delivery could not be stored: ${(e as Error).message}`, true);
    }
    // Committed: the window in which a kill -9 loses the live push (im/spool/spool.ts) closes
    // when the bytes reach the socket, so they go now, not with the rest of the turn's writes.
    for (const s of targets) {
      s.send(stanza);
      s.flush();
    }
    return result;
  };
}
