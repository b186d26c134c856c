// XEP-0313: Message Archive Management (urn:xmpp:mam:2) — paging through the user's own archive
// or a room's, with XEP-0059 result set management (`after` / `before` ids, `<before/>` for the
// last page). Results arrive as messages before the query's iq result; one is accepted only when
// it carries a query id of ours and comes from the archive asked (our own bare address, or the
// room's), so nobody else can slip a message into the history this way (§5.1.1 / §7).
import { randomUUID } from 'node:crypto';
import { Element } from 'ltx';
import { ChatError } from './chat-errors.ts';
import { bareJid } from './jid.ts';
import { NS } from './ns.ts';
import { iq, type XmppConnection } from './xmpp-connection.ts';

export interface ArchivedMessage {
  /** The archive's id (RSM paging, XEP-0359 stanza-id). */
  archiveId: string;
  /** When the archive got it (the <delay/> of <forwarded/>), ISO 8601. */
  stamp: string;
  /** The archived message as it was sent. */
  message: Element;
}

export interface ArchivePage {
  messages: ArchivedMessage[];
  complete: boolean;
  first?: string;
  last?: string;
}

export interface ArchiveQuery {
  /** A room's address; undefined: the user's own archive. */
  archive?: string;
  with?: string;
  start?: string;
  /** Only messages up to this time (ISO 8601). */
  end?: string;
  /** Page after this archive id (forward). */
  after?: string;
  /** Page before this archive id; '' for the last page. */
  before?: string;
  max: number;
}

export function createArchive(conn: XmppConnection) {
  const running = new Map<string, { from: string; results: ArchivedMessage[] }>();

  return {
    /** Takes a result message of a running query; false when it is not one. */
    handleMessage(el: Element): boolean {
      const result = el.getChild('result', NS.mam);
      if (!result) return false;
      const q = running.get(result.attrs.queryid ?? '');
      if (!q) return true; // a result for no query of ours: dropped, never shown
      if ((el.attrs.from ? bareJid(el.attrs.from) : conn.bare) !== q.from) return true;
      const fwd = result.getChild('forwarded', NS.forward);
      const message = fwd?.getChild('message');
      const stamp = fwd?.getChild('delay', NS.delay)?.attrs.stamp;
      if (!message || !result.attrs.id || !stamp || !Number.isFinite(Date.parse(stamp))) return true;
      q.results.push({ archiveId: result.attrs.id, stamp: new Date(stamp).toISOString(), message });
      return true;
    },

    async query(o: ArchiveQuery): Promise<ArchivePage> {
      const queryid = randomUUID();
      const query = new Element('query', { xmlns: NS.mam, queryid });
      const x = query.c('x', { xmlns: NS.data, type: 'submit' });
      x.c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(NS.mam);
      if (o.with) x.c('field', { var: 'with' }).c('value').t(o.with);
      if (o.start) x.c('field', { var: 'start' }).c('value').t(o.start);
      if (o.end) x.c('field', { var: 'end' }).c('value').t(o.end);
      const set = query.c('set', { xmlns: NS.rsm });
      set.c('max').t(String(o.max));
      if (o.after) set.c('after').t(o.after);
      if (o.before !== undefined) set.c('before').t(o.before);
      const archive = o.archive ? bareJid(o.archive) : conn.bare;
      const entry = { from: archive, results: [] as ArchivedMessage[] };
      running.set(queryid, entry);
      try {
        const res = await conn.request(iq('set', o.archive ? archive : undefined, query), `archive query (${archive})`, 60_000);
        const fin = res.getChild('fin', NS.mam);
        if (!fin) throw new ChatError('refused', `archive query (${archive}): no <fin/> in the answer`);
        const rsm = fin.getChild('set', NS.rsm);
        return {
          messages: entry.results,
          complete: fin.attrs.complete === 'true' || fin.attrs.complete === '1',
          ...(rsm?.getChildText('first') ? { first: rsm.getChildText('first')! } : {}),
          ...(rsm?.getChildText('last') ? { last: rsm.getChildText('last')! } : {}),
        };
      } finally {
        running.delete(queryid);
      }
    },
  };
}
export type Archive = ReturnType<typeof createArchive>;
