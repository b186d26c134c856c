// XEP-0163: Personal Eventing Protocol — a pubsub service (XEP-0060 subset) at every user's bare
// JID: publish (auto-create, publish-options §7.1.5), items, retract, and for the owner configure
// and delete. Items are kept in SQLite (store/pep.ts). Access models: `presence` (default: whoever
// receives the owner's presence — the directory roster and personal subscriptions, roster/view.ts),
// `open` (every signed-in user) and `whitelist` (the owner alone: XEP-0223 private data, bookmarks).
// Notifications follow XEP-0163 §4.3: contacts are auto-subscribed, filtered by the `<node>+notify`
// features of their entity capabilities (caps.ts); a session whose caps become known gets the last
// item of each node it wants. Other modules add rules (the e2ee policy), follow changes (avatars,
// bookmarks) or own a node outright (the XEP-0048 compatibility node) through PepService.
import { randomBytes } from 'node:crypto';
import { Element, parse } from 'ltx';
import type { AccountRow, PepNodeConfig, PepStore } from '../../../store/index.ts';
import type { ModuleHost, ServerContext, XmppModule } from '../../core/host.ts';
import { parseJid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { cloneEl, errorReply, iqResult, type ErrorType, type StanzaErrorCondition } from '../../core/stanza.ts';
import { presenceAudience, presenceSources, receives } from '../roster/view.ts';
import { createCapsTracker, type CapsTracker } from './caps.ts';
import { configForm, defaultConfig, FORM_NODE_CONFIG, FORM_PUBLISH_OPTIONS, meets, NS_DATA, readOptions } from './config.ts';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
const NS_DELAY = 'urn:xmpp:delay';

/** Exactly what this service does (XEP-0060 §10 feature names), for the account's disco#info. */
const FEATURES = [
  'access-open',
  'access-presence',
  'access-whitelist',
  'auto-create',
  'auto-subscribe',
  'config-node',
  'delete-nodes',
  'filtered-notifications',
  'item-ids',
  'last-published',
  'persistent-items',
  'publish',
  'publish-options',
  'retract-items',
  'retrieve-items',
].map((f) => `${NS_PUBSUB}#${f}`);

/** Why a request is refused: a stanza error, maybe with a pubsub#errors condition (XEP-0060 §7.1.3). */
export interface PepRefusal {
  type: ErrorType;
  condition: StanzaErrorCondition;
  text: string;
  pubsub?: string;
  /** With pubsub `unsupported`: which feature (XEP-0060 §10). */
  feature?: string;
}

/** A node another module computes instead of storing (the XEP-0048 view of the bookmarks). Owner only. */
export interface VirtualNode {
  items(owner: AccountRow): Element[];
  publish(owner: AccountRow, item: Element): PepRefusal | undefined;
}

export interface PepLimits {
  maxItemBytes: number;
  maxItemsPerNode: number;
  maxNodes: number;
}

export interface PepService {
  /** Rules that may refuse publishing or configuring `node` (the e2ee policy), checked first. */
  readonly guards: ((owner: AccountRow, node: string) => PepRefusal | undefined)[];
  /** Rules that hide a node from everyone, its owner too (OMEMO keys while the policy denies them). */
  readonly hidden: ((owner: AccountRow, node: string) => boolean)[];
  /** A node's items changed (published, retracted, node deleted). */
  readonly changed: ((owner: AccountRow, node: string) => void)[];
  readonly virtual: Map<string, VirtualNode>;
  /** Publishes an item as the owner would (checks, limits and notifications included). */
  publish(owner: AccountRow, node: string, item: Element, options?: Partial<PepNodeConfig>): { id: string } | PepRefusal;
  retract(owner: AccountRow, node: string, id: string): boolean;
  /** The node's items, oldest first, as <item id=…>payload</item>. */
  items(owner: AccountRow, node: string): Element[];
  /** Sends `items` (an <items node=…> element) as an event to everyone allowed and interested. */
  notify(owner: AccountRow, node: string, items: Element): void;
}

const refusal = (type: ErrorType, condition: StanzaErrorCondition, text: string, pubsub?: string): PepRefusal => ({ type, condition, text, ...(pubsub ? { pubsub } : {}) });
const isRefusal = (r: unknown): r is PepRefusal => typeof r === 'object' && r !== null && 'condition' in r;

function refuse(iq: Element, r: PepRefusal): Element {
  const reply = errorReply(iq, r.type, r.condition, r.text);
  if (r.pubsub) reply.getChild('error')!.c(r.pubsub, { xmlns: NS_PUBSUB_ERRORS, ...(r.feature ? { feature: r.feature } : {}) });
  return reply;
}

const itemEl = (id: string, payload: string): Element => {
  const el = new Element('item', { id });
  el.cnode(parse(payload));
  return el;
};

export function createPepModule(deps: { store: PepStore; limits: PepLimits }): XmppModule & { service: PepService } {
  const { store, limits } = deps;
  let ctx!: ServerContext;
  let caps!: CapsTracker;

  const guards: PepService['guards'] = [];
  const hidden: PepService['hidden'] = [];
  const changed: PepService['changed'] = [];
  const virtual = new Map<string, VirtualNode>();
  const isHidden = (owner: AccountRow, node: string) => hidden.some((h) => h(owner, node));

  /** Whether `viewer` may read `owner`'s node with this access model. */
  const mayRead = (viewer: AccountRow, owner: AccountRow, c: PepNodeConfig): boolean =>
    viewer.id === owner.id || c.accessModel === 'open' || (c.accessModel === 'presence' && receives(ctx, viewer, owner.address));

  const event = (owner: AccountRow, to: Session, items: Element): Element => {
    const m = new Element('message', { from: owner.address, to: to.jid!.full, type: 'headline', id: `pep-${randomBytes(6).toString('hex')}` });
    m.c('event', { xmlns: NS_PUBSUB_EVENT }).cnode(items);
    return m;
  };

  const notify = (owner: AccountRow, node: string, items: Element): void => {
    const c = virtual.has(node) ? { ...defaultConfig(), accessModel: 'whitelist' as const } : store.node(owner.id, node);
    if (!c || isHidden(owner, node)) return;
    const targets = [...ctx.router.sessionsOf(owner.address)];
    if (c.accessModel !== 'whitelist') for (const a of presenceAudience(ctx, owner)) targets.push(...ctx.router.sessionsOf(a));
    for (const s of targets) {
      if (!s.available || !caps.interests(s).has(node)) continue;
      if (!mayRead(s.account!, owner, c)) continue;
      s.send(event(owner, s, cloneEl(items)));
    }
  };

  const nodeItems = (owner: AccountRow, node: string): Element[] => {
    const v = virtual.get(node);
    if (v) return v.items(owner);
    return store.items(owner.id, node).map((i) => itemEl(i.id, i.payload));
  };

  const publish = (owner: AccountRow, node: string, item: Element, options: Partial<PepNodeConfig> = {}): { id: string } | PepRefusal => {
    for (const g of guards) {
      const r = g(owner, node);
      if (r) return r;
    }
    const payloads = item.getChildElements();
    if (payloads.length !== 1) return refusal('modify', 'bad-request', 'an item carries exactly one payload element', 'invalid-payload');
    const id = item.attrs.id || randomBytes(8).toString('hex');
    const v = virtual.get(node);
    if (v) {
      const r = v.publish(owner, new Element('item', { id }).cnode(cloneEl(payloads[0]!)).root());
      return r ?? { id };
    }
    const payload = payloads[0]!.toString();
    if (Buffer.byteLength(payload) > limits.maxItemBytes) {
      return refusal('modify', 'not-acceptable', `an item may have at most ${limits.maxItemBytes} bytes; this one has ${Buffer.byteLength(payload)}`, 'payload-too-big');
    }
    let config = store.node(owner.id, node);
    if (config) {
      // XEP-0060 §7.1.5: publish-options are a precondition on an existing node.
      if (!meets(config, options)) return refusal('cancel', 'conflict', `node ${node} is configured differently than the publish-options ask`, 'precondition-not-met');
    } else {
      if (store.nodeCount(owner.id) >= limits.maxNodes) return refusal('wait', 'resource-constraint', `you have ${limits.maxNodes} PEP nodes, the most one user may have; delete one first`);
      config = { ...defaultConfig(), ...options };
    }
    const existing = store.items(owner.id, node);
    if (config.persistItems && config.maxItems >= limits.maxItemsPerNode && existing.length >= limits.maxItemsPerNode && !existing.some((i) => i.id === id)) {
      return refusal('wait', 'resource-constraint', `node ${node} holds ${limits.maxItemsPerNode} items, the most a node may keep; retract one first`);
    }
    store.publish(owner.id, node, config, id, payload);
    for (const h of changed) h(owner, node);
    notify(owner, node, new Element('items', { node }).cnode(itemEl(id, payload)).root());
    return { id };
  };

  const retract = (owner: AccountRow, node: string, id: string): boolean => {
    if (!store.retract(owner.id, node, id)) return false;
    for (const h of changed) h(owner, node);
    notify(owner, node, new Element('items', { node }).c('retract', { id }).root());
    return true;
  };

  /** The last item of every node `session` wants, from each user whose presence it receives and from its own user. */
  const sendLastItems = (session: Session): void => {
    const wanted = caps.interests(session);
    if (!wanted.size || !session.account) return;
    const viewer = session.account;
    const sources = new Set(presenceSources(ctx, viewer));
    for (const node of wanted) {
      const v = virtual.get(node);
      if (v) {
        const last = v.items(viewer).at(-1);
        // An empty computed view (no bookmarks yet) is nothing to announce.
        if (last?.getChildElements()[0]?.getChildElements().length && !isHidden(viewer, node)) session.send(event(viewer, session, new Element('items', { node }).cnode(last).root()));
        continue;
      }
      // One query per node: only the users who have it, then those the viewer may read.
      for (const { address, config } of store.holders(node)) {
        if (address !== viewer.address && !sources.has(address)) continue;
        const owner = address === viewer.address ? viewer : ctx.account(address);
        if (!owner || isHidden(owner, node) || !mayRead(viewer, owner, config)) continue;
        const last = store.items(owner.id, node).at(-1);
        if (!last) continue;
        const m = event(owner, session, new Element('items', { node }).cnode(itemEl(last.id, last.payload)).root());
        m.c('delay', { xmlns: NS_DELAY, stamp: new Date(last.publishedAt).toISOString(), from: owner.address });
        session.send(m);
      }
    }
  };

  /** `<pubsub xmlns='…#pubsub'>` get/set: publish, retract, items; to one's own bare JID or (items) another user's. */
  const handlePubsub = (iq: Element, session: Session): Element => {
    const viewer = session.account!;
    const to = parseJid(iq.attrs.to);
    const owner = to && to.local && !to.resource ? ctx.account(to.bare) : undefined;
    if (!owner) return errorReply(iq, 'cancel', 'service-unavailable');
    const own = owner.id === viewer.id;
    const pubsub = iq.getChild('pubsub', NS_PUBSUB)!;
    const actions = pubsub.getChildElements().filter((e) => e.name !== 'publish-options');
    const action = actions[0];
    if (actions.length !== 1 || !action) return errorReply(iq, 'modify', 'bad-request', 'a pubsub request carries one action');
    const node = action.attrs.node;
    const type = iq.attrs.type;
    if (type === 'set' && action.name === 'publish') {
      if (!own) return errorReply(iq, 'auth', 'forbidden', 'only its owner publishes to a PEP node');
      if (!node) return refuse(iq, refusal('modify', 'bad-request', 'publish needs a node', 'nodeid-required'));
      const items = action.getChildren('item');
      if (items.length !== 1) return refuse(iq, refusal('modify', 'bad-request', 'publish exactly one item', 'item-required'));
      let options: Partial<PepNodeConfig> = {};
      const po = pubsub.getChild('publish-options')?.getChild('x', NS_DATA);
      if (po) {
        const read = readOptions(po, FORM_PUBLISH_OPTIONS, limits.maxItemsPerNode);
        if ('problem' in read) return refuse(iq, refusal('cancel', 'conflict', read.problem, 'precondition-not-met'));
        options = read;
      }
      const r = publish(owner, node, items[0]!, options);
      if (isRefusal(r)) return refuse(iq, r);
      return iqResult(iq, new Element('pubsub', { xmlns: NS_PUBSUB }).c('publish', { node }).c('item', { id: r.id }).root());
    }
    if (type === 'set' && action.name === 'retract') {
      if (!own) return errorReply(iq, 'auth', 'forbidden', 'only its owner retracts from a PEP node');
      const id = action.getChild('item')?.attrs.id;
      if (!node) return refuse(iq, refusal('modify', 'bad-request', 'retract needs a node', 'nodeid-required'));
      if (!id) return refuse(iq, refusal('modify', 'bad-request', 'retract needs an item id', 'item-required'));
      if (virtual.has(node)) return errorReply(iq, 'cancel', 'feature-not-implemented', `publish the whole ${node} instead`);
      if (!store.node(owner.id, node) || isHidden(owner, node)) return errorReply(iq, 'cancel', 'item-not-found', `no node ${node}`);
      if (!retract(owner, node, id)) return errorReply(iq, 'cancel', 'item-not-found', `no item ${id} in ${node}`);
      return iqResult(iq);
    }
    if (type === 'get' && action.name === 'items') {
      if (!node) return refuse(iq, refusal('modify', 'bad-request', 'items needs a node', 'nodeid-required'));
      const v = virtual.get(node);
      const c = v ? { ...defaultConfig(), accessModel: 'whitelist' as const } : store.node(owner.id, node);
      if (!c || isHidden(owner, node)) return errorReply(iq, 'cancel', 'item-not-found', `no node ${node}`);
      if (!mayRead(viewer, owner, c)) {
        return c.accessModel === 'whitelist'
          ? refuse(iq, refusal('cancel', 'not-allowed', `${node} is private to its owner`, 'closed-node'))
          : refuse(iq, refusal('auth', 'not-authorized', `${node} is for contacts who receive ${owner.address}’s presence`, 'presence-subscription-required'));
      }
      let items = nodeItems(owner, node);
      const ids = action.getChildren('item').map((i) => i.attrs.id);
      if (ids.length) items = items.filter((i) => ids.includes(i.attrs.id));
      const max = Number(action.attrs.max_items);
      if (Number.isInteger(max) && max > 0) items = items.slice(-max);
      const out = new Element('pubsub', { xmlns: NS_PUBSUB }).c('items', { node });
      for (const i of items) out.cnode(i);
      return iqResult(iq, out.root());
    }
    if (['subscribe', 'unsubscribe', 'subscriptions', 'affiliations', 'options', 'create'].includes(action.name)) {
      const feature = { subscribe: 'subscribe', unsubscribe: 'subscribe', subscriptions: 'retrieve-subscriptions', affiliations: 'retrieve-affiliations', options: 'subscription-options', create: 'create-nodes' }[action.name];
      return refuse(iq, { ...refusal('cancel', 'feature-not-implemented', `PEP here has no explicit ${action.name}: contacts are subscribed by presence and +notify (XEP-0163 §4.3)`, 'unsupported'), feature });
    }
    return errorReply(iq, 'modify', 'bad-request', `pubsub ${action.name} is not a ${type}`);
  };

  /** `<pubsub xmlns='…#owner'>`: configure (get/set) and delete, on one's own nodes. */
  const handleOwner = (iq: Element, session: Session): Element => {
    const owner = session.account!;
    if (iq.attrs.to !== session.jid!.bare) return errorReply(iq, 'auth', 'forbidden', 'only its owner configures a PEP node');
    const action = iq.getChild('pubsub', NS_PUBSUB_OWNER)!.getChildElements()[0];
    const node = action?.attrs.node;
    if (!action || !node) return refuse(iq, refusal('modify', 'bad-request', 'an owner request names a node', 'nodeid-required'));
    if (virtual.has(node)) return errorReply(iq, 'cancel', 'not-allowed', `${node} is kept in step with another node and has no configuration of its own`);
    const c = store.node(owner.id, node);
    if (action.name === 'configure' && iq.attrs.type === 'get') {
      if (!c || isHidden(owner, node)) return errorReply(iq, 'cancel', 'item-not-found', `no node ${node}`);
      return iqResult(iq, new Element('pubsub', { xmlns: NS_PUBSUB_OWNER }).c('configure', { node }).cnode(configForm(c)).root());
    }
    if (action.name === 'configure' && iq.attrs.type === 'set') {
      const x = action.getChild('x', NS_DATA);
      if (!x) return errorReply(iq, 'modify', 'bad-request', 'configure carries a data form');
      if (!c || isHidden(owner, node)) return errorReply(iq, 'cancel', 'item-not-found', `no node ${node}`);
      if (x.attrs.type === 'cancel') return iqResult(iq);
      for (const g of guards) {
        const r = g(owner, node);
        if (r) return refuse(iq, r);
      }
      const read = readOptions(x, FORM_NODE_CONFIG, limits.maxItemsPerNode);
      if ('problem' in read) return errorReply(iq, 'modify', 'not-acceptable', read.problem);
      store.configure(owner.id, node, { ...c, ...read });
      for (const h of changed) h(owner, node);
      return iqResult(iq);
    }
    if (action.name === 'delete' && iq.attrs.type === 'set') {
      if (!c || !store.deleteNode(owner.id, node)) return errorReply(iq, 'cancel', 'item-not-found', `no node ${node}`);
      for (const h of changed) h(owner, node);
      const del = new Element('delete', { node });
      for (const s of ctx.router.sessionsOf(owner.address)) if (s.available && caps.interests(s).has(node)) s.send(event(owner, s, del));
      return iqResult(iq);
    }
    return refuse(iq, { ...refusal('cancel', 'feature-not-implemented', `pubsub owner ${action.name} is not offered here`, 'unsupported'), feature: action.name === 'purge' ? 'purge-nodes' : action.name });
  };

  const service: PepService = { guards, hidden, changed, virtual, publish, retract, items: nodeItems, notify };
  return {
    name: 'pep',
    service,
    setup(host: ModuleHost, context: ServerContext) {
      ctx = context;
      caps = createCapsTracker(host, sendLastItems);
      host.accountIdentities.push({ category: 'pubsub', type: 'pep' });
      for (const f of FEATURES) host.accountFeatures.add(f);
      host.iq(NS_PUBSUB, handlePubsub, { forAccounts: true });
      host.iq(NS_PUBSUB_OWNER, handleOwner);
    },
  };
}
