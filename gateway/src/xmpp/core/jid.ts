// JIDs (RFC 7622): local@domain/resource. Local part and domain are compared case-insensitively
// (lower-cased here; full PRECIS profiles are not applied — our users are mail addresses).
export interface Jid {
  local: string;
  domain: string;
  resource: string;
  /** local@domain (or domain) */
  bare: string;
  /** bare/resource, or bare when there is no resource */
  full: string;
}

const FORBIDDEN_LOCAL = /["&'/:<>@\s]/;

/** Parses a JID; returns undefined for anything malformed (callers answer jid-malformed). */
export function parseJid(s: string | undefined): Jid | undefined {
  if (!s || s.length > 3071) return undefined;
  const slash = s.indexOf('/');
  const head = slash === -1 ? s : s.slice(0, slash);
  const resource = slash === -1 ? '' : s.slice(slash + 1);
  const at = head.lastIndexOf('@');
  const local = at === -1 ? '' : head.slice(0, at).toLowerCase();
  const domain = (at === -1 ? head : head.slice(at + 1)).toLowerCase().replace(/\.$/, '');
  if (!domain || domain.length > 1023 || !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(domain)) return undefined;
  if (at !== -1 && (!local || local.length > 1023 || FORBIDDEN_LOCAL.test(local))) return undefined;
  if (slash !== -1 && (!resource || resource.length > 1023)) return undefined;
  return makeJid(local, domain, resource);
}

export function makeJid(local: string, domain: string, resource = ''): Jid {
  const bare = local ? `${local}@${domain}` : domain;
  return { local, domain, resource, bare, full: resource ? `${bare}/${resource}` : bare };
}
