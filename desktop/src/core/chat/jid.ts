// RFC 7622 addresses, as much as a client needs: split, bare, compare. Local part and domain are
// compared lower-cased (what nodeprep/nameprep do for the ASCII addresses mail domains use);
// resources are case-sensitive and kept as they are.

export interface Jid {
  local: string;
  domain: string;
  resource: string;
}

export function parseJid(s: string): Jid {
  const slash = s.indexOf('/');
  const bareText = slash === -1 ? s : s.slice(0, slash);
  const resource = slash === -1 ? '' : s.slice(slash + 1);
  const at = bareText.lastIndexOf('@');
  return { local: at === -1 ? '' : bareText.slice(0, at).toLowerCase(), domain: (at === -1 ? bareText : bareText.slice(at + 1)).toLowerCase(), resource };
}

/** `local@domain` (lower-cased), or the domain for a domain address. */
export function bareJid(s: string): string {
  const j = parseJid(s);
  return j.local ? `${j.local}@${j.domain}` : j.domain;
}

export const resourceOf = (s: string): string => parseJid(s).resource;

export const localOf = (s: string): string => parseJid(s).local;

export const domainOf = (s: string): string => parseJid(s).domain;

/** Same bare address. */
export const sameBare = (a: string | undefined, b: string | undefined): boolean => !!a && !!b && bareJid(a) === bareJid(b);
