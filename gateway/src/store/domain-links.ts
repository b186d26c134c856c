// Domains an admin linked (`herald-gateway domain link a b`): the users of two linked domains are
// each other's contacts, like colleagues of one domain. Symmetric (stored once, a < b) and not
// transitive: a–b and b–c do not link a with c.
import type { Db } from './db.ts';

const pair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

export function createDomainLinkStore(db: Db) {
  const insert = db.prepare('INSERT OR IGNORE INTO domain_links (a, b, created_at) VALUES (?, ?, ?)');
  const del = db.prepare('DELETE FROM domain_links WHERE a = ? AND b = ?');
  const all = db.prepare('SELECT a, b FROM domain_links ORDER BY a, b');
  const of = db.prepare('SELECT b AS d FROM domain_links WHERE a = ? UNION SELECT a AS d FROM domain_links WHERE b = ? ORDER BY d');
  return {
    /** Links two (existing, different) domains; false when they already were. */
    link(a: string, b: string): boolean {
      return insert.run(...pair(a, b), Date.now()).changes === 1;
    },
    /** False when they were not linked. */
    unlink(a: string, b: string): boolean {
      return del.run(...pair(a, b)).changes === 1;
    },
    list(): [string, string][] {
      return (all.all() as { a: string; b: string }[]).map((r) => [r.a, r.b]);
    },
    /** The domains linked to `domain` (not itself). */
    linkedTo(domain: string): string[] {
      return (of.all(domain, domain) as { d: string }[]).map((r) => r.d);
    },
  };
}
export type DomainLinkStore = ReturnType<typeof createDomainLinkStore>;
