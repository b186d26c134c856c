// WebDAV multistatus bodies (RFC 4918 §13, §14.16): what PROPFIND and the CalDAV REPORTs (RFC
// 4791 §7.8, §7.9) answer — one <response> per resource, its properties grouped in <propstat>
// by status. Read namespace-aware with ltx (prefixes differ from server to server: Radicale
// writes "D:"/"C:"/"CS:", others a default namespace). ltx knows only XML's five entities and
// fetches nothing, so a hostile server cannot make it read files or expand entity bombs.
import { parse, type Element } from 'ltx';

export const NS_DAV = 'DAV:';
export const NS_CALDAV = 'urn:ietf:params:xml:ns:caldav';
export const NS_CS = 'http://calendarserver.org/ns/';

export interface DavResponse {
  /** The resource's URL, resolved against the request's. */
  href: string;
  /** The response's own status (a whole-resource 404 in a multiget), else undefined. */
  status: number | undefined;
  /** Properties that came with a 2xx propstat, by "namespace localname". */
  props: Map<string, Element>;
}

export class MultistatusError extends Error {
  override name = 'MultistatusError';
}

const key = (ns: string | undefined, name: string) => `${ns ?? ''} ${name}`;
export const davKey = (name: string) => key(NS_DAV, name);
export const caldavKey = (name: string) => key(NS_CALDAV, name);
export const csKey = (name: string) => key(NS_CS, name);

/** "HTTP/1.1 200 OK" → 200. */
function statusOf(line: string | null | undefined): number | undefined {
  const m = /^\s*HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Parses a 207 body; `base` is the URL the request went to (hrefs are usually absolute paths). */
export function parseMultistatus(xml: string, base: string): DavResponse[] {
  let root: Element;
  try {
    root = parse(xml);
  } catch (e) {
    throw new MultistatusError(`the server's answer is not XML: ${(e as Error).message}`);
  }
  if (root.getName() !== 'multistatus' || root.getNS() !== NS_DAV) throw new MultistatusError(`expected a DAV: multistatus, got <${root.name}>`);
  const out: DavResponse[] = [];
  for (const r of root.getChildren('response', NS_DAV)) {
    const rawHref = r.getChildText('href', NS_DAV)?.trim();
    if (!rawHref) continue;
    let href: string;
    try {
      href = new URL(rawHref, base).href;
    } catch {
      continue;
    }
    const props = new Map<string, Element>();
    for (const ps of r.getChildren('propstat', NS_DAV)) {
      const st = statusOf(ps.getChildText('status', NS_DAV));
      if (st === undefined || st < 200 || st > 299) continue;
      for (const p of ps.getChild('prop', NS_DAV)?.getChildElements() ?? []) props.set(key(p.getNS(), p.getName()), p);
    }
    out.push({ href, status: statusOf(r.getChildText('status', NS_DAV)), props });
  }
  return out;
}

/** The text of a property (trimmed), or undefined. */
export const propText = (r: DavResponse, k: string): string | undefined => {
  const el = r.props.get(k);
  return el ? el.getText().trim() : undefined;
};

/** Whether `r`'s DAV:resourcetype has the element ns/name. */
export function hasResourceType(r: DavResponse, ns: string, name: string): boolean {
  return !!r.props.get(davKey('resourcetype'))?.getChild(name, ns);
}

/** URL paths compared without a trailing slash and with percent-escapes normalised. */
export function samePath(a: string, b: string): boolean {
  const norm = (u: string) => {
    const p = new URL(u).pathname.replace(/\/+$/, '');
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  };
  return norm(a) === norm(b);
}
