// XEP-0030: Service Discovery — finding the server's services by what they are, not by a guessed
// name: the items of the domain (disco#items), and of each its identities, features and forms
// (disco#info). Used for the conference service (XEP-0045 §6.1: identity conference/text,
// feature http://jabber.org/protocol/muc) and the upload service (XEP-0363 §2: feature
// urn:xmpp:http:upload:0 and its max-file-size). Looked up once per session.
import { Element } from 'ltx';
import { NS } from './ns.ts';
import { iq, type XmppConnection } from './xmpp-connection.ts';

export interface DiscoInfo {
  jid: string;
  identities: { category: string; type: string; name?: string }[];
  features: Set<string>;
  /** Extended info (XEP-0128): FORM_TYPE → field → first value. */
  forms: Map<string, Map<string, string>>;
}

export async function discoInfo(conn: XmppConnection, jid: string, node?: string): Promise<DiscoInfo> {
  const res = await conn.request(iq('get', jid, new Element('query', { xmlns: NS.discoInfo, ...(node ? { node } : {}) })), `disco#info of ${jid}`);
  const q = res.getChild('query', NS.discoInfo);
  const forms = new Map<string, Map<string, string>>();
  for (const x of q?.getChildren('x', NS.data) ?? []) {
    const fields = new Map<string, string>();
    for (const f of x.getChildren('field')) if (f.attrs.var) fields.set(f.attrs.var, f.getChildText('value') ?? '');
    forms.set(fields.get('FORM_TYPE') ?? '', fields);
  }
  return {
    jid,
    identities: (q?.getChildren('identity') ?? []).map((i) => ({ category: i.attrs.category ?? '', type: i.attrs.type ?? '', ...(i.attrs.name ? { name: i.attrs.name } : {}) })),
    features: new Set((q?.getChildren('feature') ?? []).map((f) => f.attrs.var ?? '')),
    forms,
  };
}

export async function discoItems(conn: XmppConnection, jid: string): Promise<string[]> {
  const res = await conn.request(iq('get', jid, new Element('query', { xmlns: NS.discoItems })), `disco#items of ${jid}`);
  return (res.getChild('query', NS.discoItems)?.getChildren('item') ?? []).map((i) => i.attrs.jid ?? '').filter(Boolean);
}

/** The domain's services, each described; one that does not answer is left out. */
export function createServiceFinder(conn: XmppConnection, domain: () => string) {
  let services: Promise<DiscoInfo[]> | undefined;
  let server: Promise<DiscoInfo> | undefined;
  const all = () =>
    (services ??= discoItems(conn, domain()).then(
      (items) => Promise.all(items.map((jid) => discoInfo(conn, jid).catch(() => undefined))).then((infos) => infos.filter((i): i is DiscoInfo => !!i)),
      (e: unknown) => {
        services = undefined; // try again next time
        throw e;
      },
    ));
  return {
    /** The first service with this feature (and identity category/type, when given). */
    async find(feature: string, identity?: { category: string; type: string }): Promise<DiscoInfo | undefined> {
      return (await all()).find((s) => s.features.has(feature) && (!identity || s.identities.some((i) => i.category === identity.category && i.type === identity.type)));
    },
    /** The server's own features (carbons, …). */
    async server(): Promise<DiscoInfo> {
      return (server ??= discoInfo(conn, domain()).catch((e: unknown) => {
        server = undefined;
        throw e;
      }));
    },
    /** A new session may be on another server version: look again. */
    reset(): void {
      services = undefined;
      server = undefined;
    },
  };
}
export type ServiceFinder = ReturnType<typeof createServiceFinder>;
