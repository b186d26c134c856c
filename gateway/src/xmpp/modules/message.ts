// RFC 6121 §5 and §8.5: messages. Every message with content is written to the central IM log
// before it is delivered (so nothing a client saw acknowledged is missing from the log); to a
// full JID it goes to that session, to a bare JID to every available resource; chat and normal
// messages for a user with no available resource are stored offline (with a quota — a full
// store is an error back to the sender, never a silent drop) and delivered, stamped with
// XEP-0203 delay, at the user's next initial presence. Receipts (XEP-0184), chat states
// (XEP-0085) and XHTML-IM (XEP-0071) ride along untouched.
import { Element, parse } from 'ltx';
import type { Store } from '../../store/index.ts';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import type { Session } from '../core/session.ts';
import { errorReply, NS } from '../core/stanza.ts';
import { carriesContent, encryptionOf } from './encrypted-message.ts';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_MAM = 'urn:xmpp:mam:2';

export interface LoggedMessage {
  /** `scripted`: sent by the server for a script (the SEM spool, system-message.ts), delivered as chat. */
  type: 'chat' | 'groupchat' | 'headline' | 'normal' | 'scripted' | 'alert';
  from: string;
  to: string;
  body: string;
  attachments: string[];
  /** End-to-end encrypted (encrypted-message.ts): the scheme; `body` is then empty — the log never holds a fallback text as if it were the content. */
  encrypted?: string;
}
/** Appends one line to the central IM log; throws when it cannot (the message is then refused). */
export type MessageLogger = (m: LoggedMessage) => void;

const TYPES = new Set(['chat', 'normal', 'headline', 'groupchat', 'error']);

export function createMessageModule(deps: { store: Store; logMessage: MessageLogger; offlineQuota: number }): XmppModule {
  return {
    name: 'message',
    setup(host: ModuleHost, ctx: ServerContext) {
      host.features.add('msgoffline');
      host.message = (stanza, session) => {
        const type = (stanza.attrs.type ?? 'normal') as LoggedMessage['type'] | 'error';
        if (!TYPES.has(type)) return session.send(errorReply(stanza, 'modify', 'bad-request', `unknown message type "${type}"`));
        const to = stanza.attrs.to === undefined ? session.jid && parseJid(session.jid.bare) : parseJid(stanza.attrs.to);
        if (!to) return session.send(errorReply(stanza, 'modify', 'jid-malformed'));
        stanza.attrs.to = to.full;
        if (!ctx.isLocalDomain(to.domain)) {
          if (type !== 'error') session.send(errorReply(stanza, 'cancel', 'remote-server-not-found', `${to.domain} is not served here (no server-to-server connections)`));
          return;
        }
        const account = ctx.account(to.bare);
        if (!account) {
          if (type !== 'error') session.send(errorReply(stanza, 'cancel', 'service-unavailable'));
          return;
        }
        if (type === 'error') return void deliver(stanza, to.bare, to.resource, session);
        if (type === 'groupchat') return session.send(errorReply(stanza, 'modify', 'not-acceptable', 'group chat goes to a room'));

        // End-to-end encrypted (xmpp.e2ee allow): logged as such, with no text; OMEMO key
        // transport (no payload) is the clients' own business, not a message.
        const method = encryptionOf(stanza);
        const encrypted = method && carriesContent(stanza) ? method : undefined;
        const body = method ? '' : (stanza.getChildText('body') ?? '');
        const attachments = method ? [] : stanza.getChildren('x', 'jabber:x:oob').map((x) => x.getChildText('url') ?? '').filter(Boolean);
        if (body || attachments.length || encrypted) {
          try {
            deps.logMessage({ type, from: session.jid!.full, to: to.full, body, attachments, ...(encrypted && { encrypted }) });
          } catch (e) {
            ctx.log.error({ err: (e as Error).message }, 'central IM log cannot be written: message refused');
            return session.send(errorReply(stanza, 'wait', 'resource-constraint', 'the server cannot log messages right now; try again later'));
          }
        }
        for (const hook of host.messageAccepted) hook(stanza, session, to);
        if (deliver(stanza, to.bare, to.resource, session) || type === 'headline') return;
        // Nobody online: keep chat and normal messages for later (RFC 6121 §8.5.2.1.1).
        const stamped = stamp(stanza, session.domain);
        if (!deps.store.offline.add(account.id, stamped.toString(), deps.offlineQuota)) {
          session.send(errorReply(stanza, 'wait', 'resource-constraint', `${to.bare} is offline and their offline message store is full`));
        }
      };

      const deliver = (stanza: Element, bare: string, resource: string, from: Session): boolean => {
        const exact = resource ? ctx.router.get(bare, resource) : undefined;
        const targets = exact ? [exact] : ctx.router.availableOf(bare);
        for (const s of targets) s.send(stanza);
        let copies: Session[] | undefined;
        for (const hook of host.messageRouted) {
          const copied = hook(stanza, from, targets);
          if (copied?.length) (copies ??= []).push(...copied);
        }
        // Who has it, in case a stream-managed one never acknowledges it (undelivered, below).
        if (targets.some((s) => s.streamManaged)) holders.set(stanza, new Set([...targets, ...(copies ?? [])]));
        return targets.length > 0;
      };
      const holders = new WeakMap<Element, Set<Session>>();

      // XEP-0198 §4: a stream-managed session ended without acknowledging these. Chat and normal
      // messages go where one to a resource that went away would (RFC 6121 §8.5.3.2.1): nowhere
      // if another of the user's clients has it (directly or as a carbon), else to the user's other
      // available resources, else to offline storage — stamped with when they were first sent.
      // Errors, headlines, room messages, carbon copies and archive results are not kept.
      host.undelivered.push((stanza, session, sentAt) => {
        const type = stanza.attrs.type ?? 'normal';
        if (stanza.name !== 'message' || (type !== 'chat' && type !== 'normal')) return;
        if (stanza.getChild('received', NS_CARBONS) || stanza.getChild('sent', NS_CARBONS) || stanza.getChild('result', NS_MAM)) return;
        const had = holders.get(stanza);
        had?.delete(session);
        if (had?.size) return;
        const bare = session.jid!.bare;
        const account = ctx.account(bare);
        if (!account) return; // the account was deleted: nobody to keep it for
        const copy = stanza.getChild('delay', NS.delay) ? parse(stanza.toString()) : stamp(stanza, session.domain, sentAt);
        const others = ctx.router.availableOf(bare).filter((s) => s !== session);
        if (others.length) {
          copy.attrs.to = bare;
          for (const s of others) s.send(copy);
          holders.set(copy, new Set(others));
          return;
        }
        if (deps.store.offline.add(account.id, copy.toString(), deps.offlineQuota)) return;
        const from = stanza.attrs.from ? parseJid(stanza.attrs.from) : undefined;
        if (from?.resource) ctx.deliverToSession(errorReply(stanza, 'wait', 'resource-constraint', `${bare} went offline and their offline message store is full`), from);
        ctx.log.warn({ to: bare, from: stanza.attrs.from }, 'unacknowledged message not kept: offline store full');
      });

      host.becameAvailable.push((session: Session) => {
        if (session.priority < 0) return;
        const rows = deps.store.offline.list(session.account!.id);
        if (!rows.length) return;
        for (const r of rows) {
          const el = parse(r.stanza);
          el.attrs.to = session.jid!.full;
          session.send(el);
        }
        deps.store.offline.remove(session.account!.id, rows.at(-1)!.id);
        ctx.log.info({ jid: session.jid!.full, count: rows.length }, 'offline messages delivered');
      });
    },
  };
}

/** XEP-0203 delayed-delivery stamp for stored messages (`at`: when delivery was first tried, ms). */
export function stamp(stanza: Element, domain: string, at = Date.now()): Element {
  const copy = parse(stanza.toString());
  copy.cnode(new Element('delay', { xmlns: NS.delay, from: domain, stamp: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z') }).t('Offline storage'));
  return copy;
}
