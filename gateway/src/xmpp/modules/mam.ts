// XEP-0313: Message Archive Management (urn:xmpp:mam:2 and #extended) — personal archives.
// Every 1:1 chat or normal message with a <body> (or the XEP-0334 <store/> hint) that a user sends
// to a local user is archived once, for both of them (store/archive.ts), when the server accepts
// it — so messages stored offline are in the archive too — unless it carries <no-store/> or
// <no-permanent-store/>. The delivered message gets the archive id as XEP-0359 stanza-ids (by the
// recipient's and the sender's bare JIDs: the id is the same in both archives); stanza-ids a client
// put in are removed (they would be spoofed, XEP-0359 §7). Only the owner reads an archive: a query
// to another user's bare JID is <forbidden/>.
// Queries: iq set <query/> with a data form (with, start, end, before-id, after-id, ids), XEP-0059
// RSM paging (max, after, before, <before/> = last page; <count/>; no <index/>), <flip-page/>;
// iq get <query/> = the form's fields; iq get <metadata/> = first and last entries. `with` is
// matched by bare JID (the archive keeps no resources). Preferences (XEP-0441): everything is
// archived by the server's policy — a get answers default='always', a set asking for anything else
// is <not-allowed/>. Retention: rows older than `xmpp.archiveDays` are purged at start and hourly;
// `xmpp.archiveDays = 0` switches archiving off (no feature, no queries; old rows are left alone).
// Writes are batched: what arrives within 50 ms is one SQLite transaction, so under load the rows
// of a conversation share their index pages (half the cost per row at 2,000 rows); a query or
// shutdown writes first. A crash can lose those last 50 ms from the archive, never from the
// central IM log, which is written before delivery. A message refused because the recipient's
// offline store is full is archived all the same (archiving happens when it is accepted).
// Not archived: headline and groupchat messages, MUC private messages (muc.ts routes them).
// answerArchiveQuery() is the query engine for any archive (a room's, later).
import { Element, parse } from 'ltx';
import { archivedAt, parseArchiveId, type ArchiveFilter, type ArchiveRow, type ArchiveStore } from '../../store/archive.ts';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid, type Jid } from '../core/jid.ts';
import { errorReply, iqResult, NS, payloadOf, type ErrorType, type StanzaErrorCondition } from '../core/stanza.ts';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
export const NS_SID = 'urn:xmpp:sid:0';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DATA = 'jabber:x:data';
const NS_HINTS = 'urn:xmpp:hints';

/** Results per page when the client gives no <max/>, and the most it gets whatever it asks. */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 250;
/** Ids in one `ids` field. */
const MAX_IDS = 100;
const PURGE_EVERY_MS = 3600_000;
/** How long archived rows may wait to be written together, and how many may wait. */
const FLUSH_MS = 50;
const BATCH_ROWS = 2000;

class QueryError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly condition: StanzaErrorCondition,
    message: string,
  ) {
    super(message);
  }
}

interface ArchiveRequest {
  queryid: string | undefined;
  with: Jid | undefined;
  start: number | undefined;
  end: number | undefined;
  afterId: string | undefined;
  beforeId: string | undefined;
  ids: string[] | undefined;
  /** Page size after the server's cap; 0 = only the count. */
  max: number;
  /** RSM <after/>. */
  after: string | undefined;
  /** RSM <before/>: '' = the last page. */
  before: string | undefined;
  flip: boolean;
}

const DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** XEP-0082 DateTime → ms since the epoch (fractions beyond milliseconds are cut). */
export function parseDateTime(s: string): number | undefined {
  const m = DATETIME.exec(s.trim());
  if (!m) return undefined;
  const frac = m[2] ? m[2].slice(0, 4).padEnd(4, '0') : '';
  const t = Date.parse(`${m[1]}${frac}${m[3]}`);
  return Number.isNaN(t) ? undefined : t;
}

const stamp = (id: number) => new Date(archivedAt(id)).toISOString();
const bad = (text: string) => new QueryError('modify', 'bad-request', text);

function parseRequest(query: Element): ArchiveRequest {
  const req: ArchiveRequest = {
    queryid: query.attrs.queryid,
    with: undefined,
    start: undefined,
    end: undefined,
    afterId: undefined,
    beforeId: undefined,
    ids: undefined,
    max: DEFAULT_PAGE,
    after: undefined,
    before: undefined,
    flip: !!query.getChild('flip-page', NS_MAM),
  };
  const form = query.getChild('x', NS_DATA);
  if (form) {
    if (form.attrs.type !== undefined && form.attrs.type !== 'submit') throw bad('the query form must be of type "submit"');
    for (const field of form.getChildren('field')) {
      const name = field.attrs.var ?? '';
      const values = field.getChildren('value').map((v) => v.getText().trim());
      const value = values[0] ?? '';
      if (name === 'FORM_TYPE') {
        if (value !== NS_MAM) throw bad(`FORM_TYPE must be ${NS_MAM}`);
        continue;
      }
      if (!values.some(Boolean) && ['with', 'start', 'end', 'before-id', 'after-id', 'ids'].includes(name)) continue;
      switch (name) {
        case 'with':
          req.with = parseJid(value);
          if (!req.with) throw new QueryError('modify', 'jid-malformed', `"with" is not a JID: ${value}`);
          break;
        case 'start':
        case 'end': {
          const t = parseDateTime(value);
          if (t === undefined) throw bad(`"${name}" is not an XEP-0082 date and time: ${value}`);
          req[name] = t;
          break;
        }
        case 'after-id':
          req.afterId = value;
          break;
        case 'before-id':
          req.beforeId = value;
          break;
        case 'ids':
          req.ids = values.filter(Boolean);
          if (req.ids.length > MAX_IDS) throw new QueryError('modify', 'policy-violation', `at most ${MAX_IDS} ids per query`);
          break;
        default:
          // XEP-0313 §4.1.5: a field the server does not know is an error, never ignored.
          throw new QueryError('cancel', 'feature-not-implemented', `unknown query field "${name}"`);
      }
    }
  }
  const set = query.getChild('set', NS_RSM);
  if (set) {
    const max = set.getChildText('max');
    if (max !== null) {
      if (!/^\d{1,9}$/.test(max.trim())) throw bad('<max/> must be a non-negative integer');
      req.max = Math.min(Number(max.trim()), MAX_PAGE);
    }
    if (set.getChild('index')) throw new QueryError('cancel', 'feature-not-implemented', 'paging by <index/> is not supported; use <after/> or <before/>');
    const after = set.getChild('after');
    if (after) {
      req.after = after.getText().trim();
      if (!req.after) throw bad('<after/> needs an archive id');
    }
    const before = set.getChild('before');
    if (before) req.before = before.getText().trim();
  }
  return req;
}

/** Who asks, about which archive (a user's own, a room's). */
export interface ArchiveTarget {
  /** The archive's JID: a user's bare JID, or a room's; result messages come from it. */
  archive: string;
  /** The requester's full JID: result messages go there. */
  requester: string;
  /** How `with` is matched in this archive: the bare JID in a personal one, the occupant JID in a room's. */
  withKey(jid: Jid): string;
  send(el: Element): void;
}

/** The MAM query form (XEP-0313 §4.1.5). */
function queryForm(): Element {
  const x = new Element('x', { xmlns: NS_DATA, type: 'form' });
  x.c('field', { type: 'hidden', var: 'FORM_TYPE' }).c('value').t(NS_MAM);
  x.c('field', { type: 'jid-single', var: 'with' });
  x.c('field', { type: 'text-single', var: 'start' });
  x.c('field', { type: 'text-single', var: 'end' });
  x.c('field', { type: 'text-single', var: 'before-id' });
  x.c('field', { type: 'text-single', var: 'after-id' });
  x.c('field', { type: 'list-multi', var: 'ids' }).c('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:string' }).c('open');
  return new Element('query', { xmlns: NS_MAM }).cnode(x).root();
}

/**
 * Answers a MAM iq (query, form, metadata) about `target.archive`, sending result messages
 * through `target.send` before returning the iq answer. The caller has checked access.
 */
export function answerArchiveQuery(iq: Element, store: ArchiveStore, target: ArchiveTarget): Element {
  const payload = payloadOf(iq);
  const type = iq.attrs.type;
  if (payload?.name === 'query' && type === 'get') return iqResult(iq, queryForm());
  if (payload?.name === 'metadata' && type === 'get') {
    // XEP-0313 §5: the first and last entries (an empty archive has neither).
    const meta = new Element('metadata', { xmlns: NS_MAM });
    const f: ArchiveFilter = { archive: target.archive };
    const first = store.page(f, { max: 1 }).rows[0];
    const last = store.page(f, { max: 1, backward: true }).rows[0];
    if (first && last) {
      meta.c('start', { id: String(first.id), timestamp: stamp(first.id) });
      meta.c('end', { id: String(last.id), timestamp: stamp(last.id) });
    }
    return iqResult(iq, meta);
  }
  if (payload?.name !== 'query' || type !== 'set') return errorReply(iq, 'modify', 'bad-request', 'expected <query/> (set or get) or <metadata/> (get)');
  try {
    return runQuery(iq, parseRequest(payload), store, target);
  } catch (e) {
    if (e instanceof QueryError) return errorReply(iq, e.type, e.condition, e.message);
    throw e;
  }
}

function runQuery(iq: Element, req: ArchiveRequest, store: ArchiveStore, target: ArchiveTarget): Element {
  // XEP-0313 §4.1.3, §4.3.2: an id that is not in this archive is an error.
  const locate = (s: string) => {
    const id = parseArchiveId(s);
    if (id === undefined || !store.has(target.archive, id)) throw new QueryError('cancel', 'item-not-found', `no message ${s} in this archive`);
    return id;
  };
  const filter: ArchiveFilter = { archive: target.archive };
  if (req.with) filter.with = target.withKey(req.with);
  if (req.start !== undefined) filter.start = req.start;
  if (req.end !== undefined) filter.end = req.end;
  if (req.afterId) filter.after = locate(req.afterId);
  if (req.beforeId) filter.before = locate(req.beforeId);
  if (req.ids) filter.ids = req.ids.map(locate);
  const after = req.after ? locate(req.after) : undefined;
  const before = req.before ? locate(req.before) : undefined;
  const count = store.count(filter);

  const fin = new Element('fin', { xmlns: NS_MAM });
  const set = new Element('set', { xmlns: NS_RSM });
  if (req.max === 0) {
    // XEP-0059 §2.6: only the count.
    if (count === 0) fin.attrs.complete = 'true';
    set.c('count').t(String(count));
    return iqResult(iq, fin.cnode(set).root());
  }
  const backward = req.before !== undefined;
  const page = store.page(filter, { max: req.max, after, before, backward });
  // Complete: nothing left in the direction of paging (XEP-0313 §4.3.2).
  if (!page.more) fin.attrs.complete = 'true';
  const sent = req.flip ? [...page.rows].reverse() : page.rows;
  for (const row of sent) {
    const m = new Element('message', { to: target.requester, from: target.archive });
    const fwd = m.c('result', { xmlns: NS_MAM, queryid: req.queryid, id: String(row.id) }).c('forwarded', { xmlns: NS_FORWARD });
    fwd.c('delay', { xmlns: NS.delay, stamp: stamp(row.id) });
    const inner = parse(row.stanza);
    inner.attrs.xmlns = NS.client;
    fwd.cnode(inner);
    target.send(m);
  }
  const first = page.rows[0];
  const last = page.rows.at(-1);
  if (first && last) {
    // The index is given where it costs nothing: a first page, or the last one.
    const index = after === undefined && !backward && filter.after === undefined ? 0 : req.before === '' ? count - page.rows.length : undefined;
    set.c('first', index === undefined ? {} : { index: String(index) }).t(String(first.id));
    set.c('last').t(String(last.id));
  }
  set.c('count').t(String(count));
  return iqResult(iq, fin.cnode(set).root());
}

/** Whether a message goes to the archives (XEP-0313 §5.1.1, XEP-0334 hints). */
function archivable(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  if (stanza.getChild('no-store', NS_HINTS) || stanza.getChild('no-permanent-store', NS_HINTS)) return false;
  return !!stanza.getChild('body') || !!stanza.getChild('store', NS_HINTS);
}

export function createMamModule(deps: { store: ArchiveStore; archiveDays: number }): XmppModule {
  const { store } = deps;
  return {
    name: 'mam',
    setup(host: ModuleHost, ctx: ServerContext) {
      // XEP-0359 §7: only we set stanza-ids on what our users receive (archive on or off).
      host.messageAccepted.push((stanza) => void stanza.remove('stanza-id', NS_SID));
      if (!deps.archiveDays) return;
      host.accountFeatures.add(NS_MAM);
      host.accountFeatures.add(NS_MAM_EXTENDED);
      host.accountFeatures.add(NS_SID);

      // Archiving: rows wait up to FLUSH_MS and go in one transaction.
      let pending: ArchiveRow[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (!pending.length) return;
        const rows = pending;
        pending = [];
        try {
          store.add(rows);
        } catch (e) {
          ctx.log.error({ err: (e as Error).message, count: rows.length }, 'messages could not be archived');
        }
      };
      host.messageAccepted.push((stanza, from, to) => {
        if (!archivable(stanza)) return;
        const n = store.nextId();
        const id = String(n);
        const sender = from.jid!.bare;
        pending.push({ id: n, owner: sender, peer: to.bare, stanza: stanza.toString() });
        if (pending.length >= BATCH_ROWS) flush();
        else timer ??= setTimeout(flush, FLUSH_MS).unref();
        stanza.c('stanza-id', { xmlns: NS_SID, by: to.bare, id });
        if (sender !== to.bare) stanza.c('stanza-id', { xmlns: NS_SID, by: sender, id });
      });

      host.iq(
        NS_MAM,
        (iq, session) => {
          const own = session.jid!.bare;
          const to = parseJid(iq.attrs.to);
          // Personal archives are private (XEP-0313 §7.1); the server itself keeps none.
          if (to?.full !== own) {
            return to?.local ? errorReply(iq, 'auth', 'forbidden', 'only its owner may use an archive') : errorReply(iq, 'cancel', 'service-unavailable', 'archives are at users’ bare JIDs');
          }
          const payload = payloadOf(iq);
          if (payload?.name === 'prefs') return prefs(iq, payload);
          flush();
          return answerArchiveQuery(iq, store, { archive: own, requester: session.jid!.full, withKey: (j) => j.bare, send: (el) => session.send(el) });
        },
        { forAccounts: true },
      );

      // Retention: at start, then hourly.
      const purge = () => {
        try {
          flush();
          const n = store.purge(Date.now() - deps.archiveDays * 86_400_000);
          if (n) ctx.log.info({ count: n, days: deps.archiveDays }, 'archived messages past retention purged');
        } catch (e) {
          ctx.log.error({ err: (e as Error).message }, 'archive purge failed');
        }
      };
      purge();
      const purger = setInterval(purge, PURGE_EVERY_MS).unref();
      host.stopping.push(() => {
        clearInterval(purger);
        flush();
      });
    },
  };
}

/** XEP-0441 preferences: the server archives every 1:1 message; asking for less is refused. */
function prefs(iq: Element, payload: Element): Element {
  const current = () => new Element('prefs', { xmlns: NS_MAM, default: 'always' }).c('always').up().c('never').up();
  if (iq.attrs.type === 'get') return iqResult(iq, current());
  const never = payload.getChild('never')?.getChildren('jid') ?? [];
  if (payload.attrs.default !== 'always' || never.length) return errorReply(iq, 'cancel', 'not-allowed', 'every 1:1 message is archived (server policy); archiving cannot be switched off');
  return iqResult(iq, current());
}
