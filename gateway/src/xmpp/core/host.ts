// The module host: what modules hook into (typed, no string event names) and what they may
// use of the server. Core never imports a module; the server wires the modules in.
import type { Element } from 'ltx';
import type { Logger } from '../../config/logger.ts';
import type { AccountRow } from '../../store/index.ts';
import type { Jid } from './jid.ts';
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
  /** Sends a stanza to a local full JID's session, or answers with an error; used for iq and errors. */
  deliverToSession(stanza: Element, to: Jid): boolean;
}

/** Answers an iq addressed to the server or to the sender's own bare JID; undefined = empty result. */
export type IqHandler = (iq: Element, session: Session) => Promise<Element | undefined> | Element | undefined;
/** Handles a stanza a session sent (routing, storage); the module owning that stanza kind. */
export type StanzaHandler = (stanza: Element, session: Session) => void;
export type SessionHook = (session: Session) => void;
/** A message a session sent was routed to local sessions (`deliveredTo`, maybe none). */
export type MessageRoutedHook = (stanza: Element, from: Session, deliveredTo: Session[]) => void;

export class ModuleHost {
  /** disco#info features of the server (XEP-0030), exactly what the loaded modules implement. */
  readonly features = new Set<string>();
  private readonly iqHandlers = new Map<string, IqHandler>();
  message: StanzaHandler | undefined;
  presence: StanzaHandler | undefined;
  readonly bound: SessionHook[] = [];
  /** A session sent its initial available presence (offline messages go out now, RFC 6121 §8.5.2.1.1). */
  readonly becameAvailable: SessionHook[] = [];
  readonly closed: SessionHook[] = [];
  readonly messageRouted: MessageRoutedHook[] = [];
  /** Users or domains changed in the directory (the CLI, another process): after sessions were checked. */
  readonly directoryChanged: (() => void)[] = [];

  /** Registers the handler for iq payloads of `xmlns` addressed to the server (or own bare JID). */
  iq(xmlns: string, handler: IqHandler): void {
    if (this.iqHandlers.has(xmlns)) throw new Error(`two modules handle ${xmlns}`);
    this.iqHandlers.set(xmlns, handler);
  }

  iqHandler(xmlns: string | undefined): IqHandler | undefined {
    return xmlns === undefined ? undefined : this.iqHandlers.get(xmlns);
  }
}

export interface XmppModule {
  /** First line of each module file names its spec; `name` is for logs. */
  readonly name: string;
  setup(host: ModuleHost, ctx: ServerContext): void;
}
