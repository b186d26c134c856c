// XEP-0402: PEP Native Bookmarks, with the compatibility of §5.3 (`urn:xmpp:bookmarks:1#compat`
// and `#compat-pep`): ONE store — the urn:xmpp:bookmarks:1 node, one item per room JID — and two
// views of it for XEP-0048 clients: the `storage:bookmarks` PEP node (XEP-0223) and private XML
// storage (XEP-0049, jabber:iq:private). A legacy client writing its whole <storage/> through
// either view replaces the set (rooms left out are retracted); every change is announced on both
// nodes to the owner's resources that want them. Other private XML namespaces are stored as given.
import { Element, parse } from 'ltx';
import type { AccountRow, PepStore } from '../../store/index.ts';
import type { XmppModule } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import { cloneEl, errorReply, iqResult } from '../core/stanza.ts';
import type { PepLimits, PepRefusal, PepService } from './pep/index.ts';

export const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';
export const NS_LEGACY_BOOKMARKS = 'storage:bookmarks';
export const NS_PRIVATE = 'jabber:iq:private';

/** A XEP-0402 item (id = room JID) as a XEP-0048 <conference jid=…/>. */
function toLegacy(item: Element): Element | undefined {
  const c = item.getChild('conference', NS_BOOKMARKS);
  if (!c || !item.attrs.id) return undefined;
  const out = new Element('conference', { jid: item.attrs.id });
  if (c.attrs.name) out.attrs.name = c.attrs.name;
  out.attrs.autojoin = c.attrs.autojoin === 'true' || c.attrs.autojoin === '1' ? 'true' : 'false';
  const nick = c.getChildText('nick');
  if (nick) out.c('nick').t(nick);
  const password = c.getChildText('password');
  if (password) out.c('password').t(password);
  return out;
}

/** A XEP-0048 <conference/> as a XEP-0402 payload, keeping the <extensions/> the room's item had. */
function fromLegacy(c: Element, previous: Element | undefined): Element {
  const out = new Element('conference', { xmlns: NS_BOOKMARKS });
  if (c.attrs.name) out.attrs.name = c.attrs.name;
  if (c.attrs.autojoin === 'true' || c.attrs.autojoin === '1') out.attrs.autojoin = 'true';
  const nick = c.getChildText('nick');
  if (nick) out.c('nick').t(nick);
  const password = c.getChildText('password');
  if (password) out.c('password').t(password);
  const ext = previous?.getChild('conference', NS_BOOKMARKS)?.getChild('extensions');
  if (ext) out.cnode(cloneEl(ext));
  return out;
}

export function createBookmarksModule(deps: { pep: PepService; store: PepStore; limits: PepLimits }): XmppModule {
  const { pep, store, limits } = deps;
  let syncing = false;

  const legacyStorage = (owner: AccountRow): Element => {
    const storage = new Element('storage', { xmlns: NS_LEGACY_BOOKMARKS });
    for (const item of pep.items(owner, NS_BOOKMARKS)) {
      const c = toLegacy(item);
      if (c) storage.cnode(c);
    }
    return storage;
  };
  const legacyItems = (owner: AccountRow): Element[] => [new Element('item', { id: 'current' }).cnode(legacyStorage(owner)).root()];

  /** Makes the XEP-0402 node say what a legacy <storage/> says (XEP-0402 §5.3). */
  const replaceFromLegacy = (owner: AccountRow, storage: Element): PepRefusal | undefined => {
    const conferences = storage.getChildren('conference').filter((c) => parseJid(c.attrs.jid)?.local);
    const before = new Map(pep.items(owner, NS_BOOKMARKS).map((i) => [i.attrs.id!, i]));
    // XEP-0402 §4: the node is private, keeps every bookmark.
    const options = store.node(owner.id, NS_BOOKMARKS) ? {} : { accessModel: 'whitelist' as const, persistItems: true, maxItems: limits.maxItemsPerNode };
    syncing = true;
    try {
      for (const c of conferences) {
        const jid = parseJid(c.attrs.jid)!.bare;
        const payload = fromLegacy(c, before.get(jid));
        const old = before.get(jid)?.getChild('conference', NS_BOOKMARKS);
        before.delete(jid);
        if (old && old.toString() === payload.toString()) continue;
        const r = pep.publish(owner, NS_BOOKMARKS, new Element('item', { id: jid }).cnode(payload).root(), options);
        if ('condition' in r) return r;
      }
      for (const jid of before.keys()) pep.retract(owner, NS_BOOKMARKS, jid);
    } finally {
      syncing = false;
    }
    announceLegacy(owner);
    return undefined;
  };

  const announceLegacy = (owner: AccountRow) =>
    pep.notify(owner, NS_LEGACY_BOOKMARKS, new Element('items', { node: NS_LEGACY_BOOKMARKS }).cnode(legacyItems(owner)[0]!).root());

  return {
    name: 'bookmarks',
    setup(host) {
      host.accountFeatures.add(`${NS_BOOKMARKS}#compat`);
      host.accountFeatures.add(`${NS_BOOKMARKS}#compat-pep`);
      host.features.add(NS_PRIVATE);
      pep.virtual.set(NS_LEGACY_BOOKMARKS, {
        items: legacyItems,
        publish: (owner, item) => {
          const storage = item.getChild('storage', NS_LEGACY_BOOKMARKS);
          if (!storage) return { type: 'modify', condition: 'bad-request', text: 'storage:bookmarks holds a <storage xmlns="storage:bookmarks"/>', pubsub: 'invalid-payload' };
          return replaceFromLegacy(owner, storage);
        },
      });
      pep.changed.push((owner, node) => {
        if (node === NS_BOOKMARKS && !syncing) announceLegacy(owner);
      });

      // XEP-0049: one's own private XML, at one's own bare JID only (§3).
      host.iq(NS_PRIVATE, (iq, session) => {
        const owner = session.account!;
        if (iq.attrs.to !== session.jid!.bare) return errorReply(iq, 'cancel', 'forbidden', 'private XML storage is one’s own');
        const children = iq.getChild('query', NS_PRIVATE)!.getChildElements();
        const child = children[0];
        const ns = child?.attrs.xmlns;
        if (children.length !== 1 || !child || !ns || ns === NS_PRIVATE || ns.startsWith('jabber:client') || ns.startsWith('jabber:server')) {
          return errorReply(iq, 'modify', 'not-acceptable', 'private XML storage takes exactly one element of a namespace of its own');
        }
        const query = new Element('query', { xmlns: NS_PRIVATE });
        if (iq.attrs.type === 'get') {
          if (ns === NS_LEGACY_BOOKMARKS) query.cnode(legacyStorage(owner));
          else {
            const stored = store.privateGet(owner.id, ns);
            query.cnode(stored ? parse(stored) : new Element(child.name, { xmlns: ns }));
          }
          return iqResult(iq, query);
        }
        if (ns === NS_LEGACY_BOOKMARKS) {
          const r = replaceFromLegacy(owner, child);
          return r ? errorReply(iq, r.type, r.condition, r.text) : iqResult(iq);
        }
        const xml = child.toString();
        if (Buffer.byteLength(xml) > limits.maxItemBytes) return errorReply(iq, 'modify', 'not-acceptable', `private XML may have at most ${limits.maxItemBytes} bytes per namespace`);
        store.privateSet(owner.id, ns, xml);
        return iqResult(iq);
      });
    },
  };
}
