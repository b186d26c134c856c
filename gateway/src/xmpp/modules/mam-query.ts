// XEP-0313: Message Archive Management — the query engine for any archive: a user's (mam.ts) or a
// room's (muc/archive.ts). Parses a query (data form: with, start, end, before-id, after-id, ids;
// XEP-0059 RSM: max, after, before, <before/> = last page, <count/>; no <index/>; <flip-page/>),
// answers iq get <query/> with the form and iq get <metadata/> with the first and last entries,
// and sends the result messages (XEP-0297 forwarded, XEP-0203 delay = when the server received the
// message) before the final iq with <fin/>. Who may read an archive is the caller's business.
import { Element, parse } from 'ltx';
import { archivedAt, parseArchiveId, type ArchiveFilter, type ArchiveStore } from '../../store/archive.ts';
import { parseJid, type Jid } from '../core/jid.ts';
import { errorReply, iqResult, NS, payloadOf, type ErrorType, type StanzaErrorCondition } from '../core/stanza.ts';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
export const NS_SID = 'urn:xmpp:sid:0';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DATA = 'jabber:x:data';

/** Results per page when the client gives no <max/>, and the most it gets whatever it asks. */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 250;
/** Ids in one `ids` field. */
const MAX_IDS = 100;

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
    // The index (optional, XEP-0059 §2.5) is given only for a first page, where it costs nothing.
    // Not for the last page (<before/>): slixmpp 1.8's RSM iterator takes "index + page size =
    // count" for the end of the set also when paging backwards, and would stop after one page.
    const index = after === undefined && !backward && filter.after === undefined ? 0 : undefined;
    set.c('first', index === undefined ? {} : { index: String(index) }).t(String(first.id));
    set.c('last').t(String(last.id));
  }
  set.c('count').t(String(count));
  return iqResult(iq, fin.cnode(set).root());
}
