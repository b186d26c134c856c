// PEP (XEP-0163) storage: each user's personal pubsub nodes with their configuration, and their
// items as serialized payloads, oldest first (a republished item id moves to the end, XEP-0060
// §7.1.2: it replaces the old one). Private XML storage (XEP-0049) for other namespaces is here too.
import type { Db } from './db.ts';

export type PepAccessModel = 'presence' | 'open' | 'whitelist';

export interface PepNodeConfig {
  accessModel: PepAccessModel;
  persistItems: boolean;
  /** Items kept; older ones are dropped on publish. */
  maxItems: number;
}

export interface PepItem {
  id: string;
  /** The serialized payload element. */
  payload: string;
  publishedAt: number;
}

interface NodeRow {
  node: string;
  access_model: PepAccessModel;
  persist_items: number;
  max_items: number;
}

const toConfig = (r: NodeRow): PepNodeConfig => ({ accessModel: r.access_model, persistItems: r.persist_items === 1, maxItems: r.max_items });

export function createPepStore(db: Db) {
  const getNode = db.prepare('SELECT node, access_model, persist_items, max_items FROM pep_nodes WHERE account_id = ? AND node = ?');
  const listNodes = db.prepare('SELECT node, access_model, persist_items, max_items FROM pep_nodes WHERE account_id = ? ORDER BY node');
  const byName = db.prepare(`SELECT a.address, n.node, n.access_model, n.persist_items, n.max_items FROM pep_nodes n JOIN accounts a ON a.id = n.account_id WHERE n.node = ?`);
  const countNodes = db.prepare('SELECT count(*) AS n FROM pep_nodes WHERE account_id = ?');
  const upsertNode = db.prepare(`INSERT INTO pep_nodes (account_id, node, access_model, persist_items, max_items, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (account_id, node) DO UPDATE SET access_model = excluded.access_model, persist_items = excluded.persist_items, max_items = excluded.max_items`);
  const delNode = db.prepare('DELETE FROM pep_nodes WHERE account_id = ? AND node = ?');
  const delItem = db.prepare('DELETE FROM pep_items WHERE account_id = ? AND node = ? AND item_id = ?');
  const insItem = db.prepare('INSERT INTO pep_items (account_id, node, item_id, payload, published_at) VALUES (?, ?, ?, ?, ?)');
  const items = db.prepare('SELECT item_id, payload, published_at FROM pep_items WHERE account_id = ? AND node = ? ORDER BY seq');
  const itemCount = db.prepare('SELECT count(*) AS n FROM pep_items WHERE account_id = ? AND node = ?');
  const trim = db.prepare(`DELETE FROM pep_items WHERE account_id = ? AND node = ? AND seq NOT IN
    (SELECT seq FROM pep_items WHERE account_id = ? AND node = ? ORDER BY seq DESC LIMIT ?)`);
  const getPrivate = db.prepare('SELECT xml FROM private_xml WHERE account_id = ? AND ns = ?');
  const setPrivate = db.prepare('INSERT INTO private_xml (account_id, ns, xml) VALUES (?, ?, ?) ON CONFLICT (account_id, ns) DO UPDATE SET xml = excluded.xml');

  const rowItems = (accountId: number, node: string): PepItem[] =>
    (items.all(accountId, node) as { item_id: string; payload: string; published_at: number }[]).map((r) => ({ id: r.item_id, payload: r.payload, publishedAt: r.published_at }));

  const publish = db.transaction((accountId: number, node: string, config: PepNodeConfig, itemId: string, payload: string) => {
    upsertNode.run(accountId, node, config.accessModel, config.persistItems ? 1 : 0, config.maxItems, Date.now());
    delItem.run(accountId, node, itemId);
    insItem.run(accountId, node, itemId, payload, Date.now());
    // A node that does not persist items keeps the last one only (sent to new subscribers, XEP-0060 §12.13).
    trim.run(accountId, node, accountId, node, config.persistItems ? config.maxItems : 1);
  });

  return {
    node(accountId: number, node: string): PepNodeConfig | undefined {
      const r = getNode.get(accountId, node) as NodeRow | undefined;
      return r && toConfig(r);
    },
    nodes(accountId: number): { node: string; config: PepNodeConfig }[] {
      return (listNodes.all(accountId) as NodeRow[]).map((r) => ({ node: r.node, config: toConfig(r) }));
    },
    /** Every user who has a node of this name (for sending last items at login: one query per node, not per contact). */
    holders(node: string): { address: string; config: PepNodeConfig }[] {
      return (byName.all(node) as (NodeRow & { address: string })[]).map((r) => ({ address: r.address, config: toConfig(r) }));
    },
    nodeCount(accountId: number): number {
      return (countNodes.get(accountId) as { n: number }).n;
    },
    itemCount(accountId: number, node: string): number {
      return (itemCount.get(accountId, node) as { n: number }).n;
    },
    /** Creates the node (or changes its configuration); trims items beyond a smaller max. */
    configure(accountId: number, node: string, config: PepNodeConfig): void {
      db.transaction(() => {
        upsertNode.run(accountId, node, config.accessModel, config.persistItems ? 1 : 0, config.maxItems, Date.now());
        trim.run(accountId, node, accountId, node, config.persistItems ? config.maxItems : 1);
      }).immediate();
    },
    /** Stores an item (creating the node with `config` when it does not exist yet). */
    publish(accountId: number, node: string, config: PepNodeConfig, itemId: string, payload: string): void {
      publish.immediate(accountId, node, config, itemId, payload);
    },
    items(accountId: number, node: string): PepItem[] {
      return rowItems(accountId, node);
    },
    /** Removes an item; false when there was none. */
    retract(accountId: number, node: string, itemId: string): boolean {
      return delItem.run(accountId, node, itemId).changes > 0;
    },
    /** Removes a node with its items; false when there was none. */
    deleteNode(accountId: number, node: string): boolean {
      return delNode.run(accountId, node).changes > 0;
    },
    privateGet(accountId: number, ns: string): string | undefined {
      return (getPrivate.get(accountId, ns) as { xml: string } | undefined)?.xml;
    },
    privateSet(accountId: number, ns: string, xml: string): void {
      setPrivate.run(accountId, ns, xml);
    },
  };
}
export type PepStore = ReturnType<typeof createPepStore>;
