// Who is connected: bound sessions by bare JID and resource, for delivery (RFC 6120 §10,
// RFC 6121 §8.5). Knows nothing of stanzas beyond handing them to sessions.
import type { Session } from './session.ts';

const NONE: ReadonlySet<string> = new Set();

export class Router {
  private readonly byBare = new Map<string, Map<string, Session>>();
  /** Domain → the bare JIDs with a bound session there: a domain's online users without walking all its accounts. */
  private readonly byDomain = new Map<string, Set<string>>();

  add(s: Session): Session | undefined {
    const jid = s.jid!;
    let resources = this.byBare.get(jid.bare);
    if (!resources) {
      this.byBare.set(jid.bare, (resources = new Map()));
      let online = this.byDomain.get(jid.domain);
      if (!online) this.byDomain.set(jid.domain, (online = new Set()));
      online.add(jid.bare);
    }
    const previous = resources.get(jid.resource);
    resources.set(jid.resource, s);
    return previous;
  }

  remove(s: Session): void {
    const jid = s.jid;
    if (!jid) return;
    const resources = this.byBare.get(jid.bare);
    if (resources?.get(jid.resource) !== s) return;
    resources.delete(jid.resource);
    if (resources.size === 0) {
      this.byBare.delete(jid.bare);
      const online = this.byDomain.get(jid.domain);
      online?.delete(jid.bare);
      if (online?.size === 0) this.byDomain.delete(jid.domain);
    }
  }

  get(bare: string, resource: string): Session | undefined {
    return this.byBare.get(bare)?.get(resource);
  }

  /** Every bound session of a user. */
  sessionsOf(bare: string): Session[] {
    const r = this.byBare.get(bare);
    return r ? [...r.values()] : [];
  }

  /** Calls `fn` with every bound session of a user, without building an array (presence fan-out). */
  eachOf(bare: string, fn: (s: Session) => unknown): void {
    const r = this.byBare.get(bare);
    if (r) for (const s of r.values()) fn(s);
  }

  /** The users (bare JIDs) of `domain` with at least one bound session. */
  onlineIn(domain: string): ReadonlySet<string> {
    return this.byDomain.get(domain) ?? NONE;
  }

  /** Sessions that sent available presence with a non-negative priority (RFC 6121 §8.5.2.1.1). */
  availableOf(bare: string): Session[] {
    return this.sessionsOf(bare).filter((s) => s.available && s.priority >= 0);
  }

  all(): IterableIterator<Map<string, Session>> {
    return this.byBare.values();
  }
}
