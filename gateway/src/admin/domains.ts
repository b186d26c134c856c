// Domains as an admin sees them: add, IM on/off (off ends the domain's XMPP sessions through
// directory/credentials.ts), link/unlink. One implementation for the console's API and the CLI,
// every change audited.
import type { Directory } from '../directory/directory.ts';
import type { Store } from '../store/index.ts';
import type { Actor, AuditLog } from './audit.ts';

export interface DomainView {
  name: string;
  imEnabled: boolean;
  users: number;
  linked: string[];
}

export function createAdminDomains({ store, directory, audit }: { store: Store; directory: Directory; audit: AuditLog }) {
  const count = store.db.prepare('SELECT count(*) AS n FROM accounts WHERE domain = ?');
  return {
    list(): DomainView[] {
      return directory.listDomains().map((d) => ({ name: d.name, imEnabled: d.imEnabled, users: (count.get(d.name) as { n: number }).n, linked: directory.linkedDomains(d.name) }));
    },
    add(actor: Actor, name: string, imEnabled = true): DomainView {
      const d = directory.addDomain(name, imEnabled);
      audit.record(actor, 'domain.add', d.name, { im: d.imEnabled });
      return { name: d.name, imEnabled: d.imEnabled, users: 0, linked: [] };
    },
    /** IM on or off; off ends the domain's live XMPP sessions (credentials.ts fan-out). */
    setIm(actor: Actor, name: string, on: boolean): void {
      directory.setDomainIm(name, on);
      audit.record(actor, 'domain.im', name.toLowerCase(), { im: on });
    },
    link(actor: Actor, a: string, b: string): boolean {
      const added = directory.linkDomains(a, b);
      if (added) audit.record(actor, 'domain.link', `${a} ${b}`);
      return added;
    },
    unlink(actor: Actor, a: string, b: string): boolean {
      const removed = directory.unlinkDomains(a, b);
      if (removed) audit.record(actor, 'domain.unlink', `${a} ${b}`);
      return removed;
    },
  };
}
export type AdminDomains = ReturnType<typeof createAdminDomains>;
