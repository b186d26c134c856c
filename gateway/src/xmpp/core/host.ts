// The module host: what modules hook into (typed, no string event names) and what they may
// use of the server. Core never imports a module; the server wires the modules in.
import type { Element } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../config/logger.ts';
import type { AccountRow, RosterStore } from '../../store/index.ts';
import type { Jid } from './jid.ts';
import type { Outbox } from './outbox.ts';
import type { Router } from './router.ts';
import type { Session } from './session.ts';

export interface ServerContext {
  readonly router: Router;
  readonly log: Logger;
  isLocalDomain(domain: string): boolean;
  /** The account behind a local bare JID, if any. */
  account(bare: string): AccountRow | undefined;
  /** The accounts of a domain (the roster is the domain). */
  domainUsers(domain: string): AccountRow[];
  /** `domain` and the domains an admin linked to it: their users are the directory roster of `domain`'s users. */
  visibleDomains(domain: string): readonly string[];
  /** Per-user roster entries on top of the directory: personal names, groups, hidden contacts, subscriptions. */
  readonly roster: RosterStore;
  /** The domain's end-to-end encryption policy (xmpp.e2ee): may its users use OMEMO? */
  e2ee(domain: string): 'allow' | 'deny';
  /** Presence fanned out to many sessions, or many presences to one, in time slices and in order (outbox.ts). */
  readonly outbox: Outbox;
  /** Sends a stanza to a local full JID's session, or answers with an error; used for iq and errors. */
  deliverToSession(stanza: Element, to: Jid): boolean;
}

/** Answers an iq addressed to the server or to the sender's own bare JID; undefined = empty result. */
export type IqHandler = (iq: Element, session: Session) => Promise<Element | undefined> | Element | undefined;
/** Handles a stanza a session sent (routing, storage); the module owning that stanza kind. */
export type StanzaHandler = (stanza: Element, session: Session) => void;
export type SessionHook = (session: Session) => void;
/** A policy on a stanza (from or to `session`): true = refused/withheld. */
export type StanzaGuard = (stanza: Element, session: Session) => boolean;
/**
 * A message a session sent was routed to local sessions (`deliveredTo`, maybe none). A hook that
 * gives further sessions a copy (carbons) returns them: the message module then knows who has it.
 */
export type MessageRoutedHook = (stanza: Element, from: Session, deliveredTo: Session[]) => Session[] | void;
/**
 * A stanza sent to `session` that its client never acknowledged (XEP-0198), now that the session
 * ended for good; `sentAt` is when it was sent (ms). Modules treat it as sent to a resource that
 * went away (XEP-0198 §4: another resource, offline storage, or an error to the sender).
 */
export type UndeliveredHook = (stanza: Element, session: Session, sentAt: number) => void;
/**
 * A message a session sent to local user `to` was accepted (logged) and is about to be delivered
 * or stored offline: hooks may still change it (the archive adds its XEP-0359 stanza-id).
 */
export type MessageAcceptedHook = (stanza: Element, from: Session, to: Jid) => void;

/**
 * An in-process component with an address space of its own (conference.<domain> for MUC; HTTP
 * upload and others later): every stanza a session sends to a JID whose domain the component
 * serves goes to it, before and instead of the user modules (message, presence, iq).
 */
export interface Component {
  readonly name: string;
  /** Whether `domain` (a JID's domain part, lower case) is this component's. */
  serves(domain: string): boolean;
  /** A stanza a session sent to `to` (already parsed; `from` is the session's full JID). */
  handle(stanza: Element, to: Jid, session: Session): void;
  /** This component's entry in the server's disco#items for the user domain `domain`, if it serves one there. */
  discoItem?(domain: string): { jid: string; name?: string } | undefined;
}

export class ModuleHost {
  /** disco#info features of the server (XEP-0030), exactly what the loaded modules implement. */
  readonly features = new Set<string>();
  /** disco#info features of a user's account, asked at the bare JID (XEP-0030 §3.1): MAM, ... */
  readonly accountFeatures = new Set<string>();
  /** disco#info identities of a user's account beside account/registered (XEP-0163 §5: pubsub/pep). */
  readonly accountIdentities: { category: string; type: string }[] = [];
  /** Requests the server sent to a session (XEP-0115 disco#info of a client), by id. */
  private readonly pending = new Map<string, { from: string; done: (iq: Element | undefined) => void }>();
  /** Stream features offered after authentication, beside bind (RFC 6121 §2.6.1 roster versioning, ...). */
  readonly streamFeatures: { name: string; xmlns: string; attrs?: () => Record<string, string> }[] = [];
  private readonly iqHandlers = new Map<string, IqHandler>();
  private readonly forAccounts = new Set<string>();
  message: StanzaHandler | undefined;
  presence: StanzaHandler | undefined;
  /** Presence subscription stanzas (RFC 6121 §3), handed on by the presence module: the roster module owns subscription state. */
  subscription: StanzaHandler | undefined;
  readonly bound: SessionHook[] = [];
  /** A session sent its initial available presence (offline messages go out now, RFC 6121 §8.5.2.1.1). */
  readonly becameAvailable: SessionHook[] = [];
  readonly closed: SessionHook[] = [];
  /**
   * Runs before the server acknowledges a client's stanzas (XEP-0198 <a/> and <resumed/>): what a
   * module still holds in memory for them (the archive's batched rows) is written now, so nothing
   * a client saw acknowledged can be lost by a crash after the ack.
   */
  readonly beforeAck: (() => void)[] = [];
  /**
   * Top-level elements on a bound stream that are not stanzas ("nonzas"), by namespace (XEP-0352
   * <active/>/<inactive/>): not counted by stream management, never routed.
   */
  readonly nonzas = new Map<string, StanzaHandler>();
  /** Unacknowledged stanzas of a stream-managed session that ended (run before `closed`). */
  readonly undelivered: UndeliveredHook[] = [];
  readonly messageRouted: MessageRoutedHook[] = [];
  readonly messageAccepted: MessageAcceptedHook[] = [];
  /** Runs on every stanza a client sends, before any routing: may rewrite its content in place. */
  readonly inbound: StanzaHandler[] = [];
  /**
   * Policies on every stanza a client sends, after `inbound` and before any routing (blocking,
   * XEP-0191; the end-to-end encryption policy): one that returns true refused the stanza (it
   * answered the sender itself, if at all) and nothing else sees it.
   */
  readonly guards: StanzaGuard[] = [];
  /**
   * Checked for every stanza about to be sent to a session (presence broadcasts, room traffic,
   * routed stanzas alike): one that returns true withholds it from that session (XEP-0191: a
   * blocked contact's stanzas never reach the user). Stanza errors are not filtered.
   */
  readonly deliveryFilters: StanzaGuard[] = [];
  /** The server is closing: modules stop their timers and flush what they hold. */
  readonly stopping: (() => void)[] = [];
  /** Users or domains changed in the directory (the CLI, another process): after sessions were checked. */
  readonly directoryChanged: (() => void)[] = [];
  readonly components: Component[] = [];

  /**
   * Registers the handler for iq payloads of `xmlns` addressed to the server (or own bare JID).
   * With `forAccounts`, the server also answers them for any local user's bare JID on the
   * account's behalf (RFC 6121 §8.5.1: vcard-temp, MAM): the handler checks `to` itself.
   */
  iq(xmlns: string, handler: IqHandler, opts: { forAccounts?: boolean } = {}): void {
    if (this.iqHandlers.has(xmlns)) throw new Error(`two modules handle ${xmlns}`);
    this.iqHandlers.set(xmlns, handler);
    if (opts.forAccounts) this.forAccounts.add(xmlns);
  }

  /** Whether an iq of `xmlns` to another user's bare JID is the server's to answer (see iq()). */
  answersForAccounts(xmlns: string | undefined): boolean {
    return xmlns !== undefined && this.forAccounts.has(xmlns);
  }

  iqHandler(xmlns: string | undefined): IqHandler | undefined {
    return xmlns === undefined ? undefined : this.iqHandlers.get(xmlns);
  }

  /**
   * Sends `iq` (a get, without id/to) from the server to `session` and resolves with the answer:
   * the result, or undefined on an error, after `timeoutMs`, or when nobody answers.
   */
  request(session: Session, iq: Element, timeoutMs = 10_000): Promise<Element | undefined> {
    const id = `herald-${randomBytes(6).toString('hex')}`;
    const to = session.jid!.full;
    iq.attrs.id = id;
    iq.attrs.to = to;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      timer.unref();
      const finish = (answer: Element | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answer?.attrs.type === 'result' ? answer : undefined);
      };
      this.pending.set(id, { from: to, done: finish });
      session.send(iq);
    });
  }

  /** A result/error a session sent to the server: true when it answered one of request()'s. */
  answered(iq: Element, session: Session): boolean {
    const p = iq.attrs.id ? this.pending.get(iq.attrs.id) : undefined;
    if (!p || p.from !== session.jid?.full) return false;
    p.done(iq);
    return true;
  }

  /** The component serving `domain`, if any (session.ts hands it every stanza addressed there). */
  componentFor(domain: string): Component | undefined {
    return this.components.find((c) => c.serves(domain));
  }
}

export interface XmppModule {
  /** First line of each module file names its spec; `name` is for logs. */
  readonly name: string;
  setup(host: ModuleHost, ctx: ServerContext): void;
}
