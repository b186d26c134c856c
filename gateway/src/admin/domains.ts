// Domains as an admin sees them: add, IM on/off (off ends the domain's XMPP sessions through
// directory/credentials.ts), link/unlink, the domain's client settings (webmail URL template,
// desktop updates: `domain set` and the console's Domains page both call setClient). One implementation for the console's API and the CLI,
// every change audited.
import type { Directory } from '../directory/directory.ts';
import { HeraldError } from '../protocol/errors.ts';
import { webmailTemplateProblem } from '../protocol/webmail-template.ts';
import type { UpdateMode } from '../store/domains.ts';
import type { Store } from '../store/index.ts';
import type { Actor, AuditLog } from './audit.ts';

export interface DomainView {
  name: string;
  imEnabled: boolean;
  users: number;
  linked: string[];
  updates: UpdateMode;
  /** The domain's own webmail URL template; null: the config file's (client.domains.<d> or client.webmailUrl). */
  webmailUrl: string | null;
}

/** A domain's client settings to change; a key left out stays as it is. */
export interface DomainClientChange {
  /** A template (protocol/webmail-template.ts; '' = no webmail link), or null: back to the config file's. */
  webmailUrl?: string | null;
  updates?: UpdateMode;
}

export function createAdminDomains({ store, directory, audit }: { store: Store; directory: Directory; audit: AuditLog }) {
  const count = store.db.prepare('SELECT count(*) AS n FROM accounts WHERE domain = ?');
  return {
    list(): DomainView[] {
      return directory.listDomains().map((d) => ({
        name: d.name,
        imEnabled: d.imEnabled,
        users: (count.get(d.name) as { n: number }).n,
        linked: directory.linkedDomains(d.name),
        updates: d.updates,
        webmailUrl: d.webmailUrl,
      }));
    },
    add(actor: Actor, name: string, imEnabled = true): DomainView {
      const d = directory.addDomain(name, imEnabled);
      audit.record(actor, 'domain.add', d.name, { im: d.imEnabled });
      return { name: d.name, imEnabled: d.imEnabled, users: 0, linked: [], updates: d.updates, webmailUrl: d.webmailUrl };
    },
    /** IM on or off; off ends the domain's live XMPP sessions (credentials.ts fan-out). */
    setIm(actor: Actor, name: string, on: boolean): void {
      directory.setDomainIm(name, on);
      audit.record(actor, 'domain.im', name.toLowerCase(), { im: on });
    },
    /**
     * The domain's client settings (what GET /api/v1/config hands its desktops). Everything is checked
     * before anything changes: a bad template changes neither it nor the update mode.
     */
    setClient(actor: Actor, name: string, change: DomainClientChange): void {
      const domain = name.trim().toLowerCase();
      if (!store.domains.get(domain)) throw new HeraldError('not_found', `no domain ${domain}; add it first (domain add ${domain})`);
      if (change.webmailUrl === undefined && change.updates === undefined) throw new HeraldError('bad_request', 'nothing to set: give webmailUrl and/or updates');
      const template = typeof change.webmailUrl === 'string' ? change.webmailUrl.trim() : change.webmailUrl;
      const problem = typeof template === 'string' ? webmailTemplateProblem(template) : undefined;
      if (problem) throw new HeraldError('bad_request', `field "webmailUrl": ${problem}`);
      store.db.transaction(() => {
        if (template !== undefined) store.domains.setWebmailUrl(domain, template);
        if (change.updates !== undefined) directory.setDomainUpdates(domain, change.updates);
      })();
      audit.record(actor, 'domain.client', domain, {
        ...(template !== undefined ? { webmailUrl: template } : {}),
        ...(change.updates !== undefined ? { updates: change.updates } : {}),
      });
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
