// XEP-0115: Entity Capabilities — what a client's <c/> in its presence says it supports, learnt by
// asking the client's disco#info once per verification string and kept by it when the hash checks
// out (§5.4); a <c/> without a known hash (legacy form, §8.3) is asked and not cached. PEP uses the
// `<node>+notify` features (XEP-0163 §4.3.2 "filtered notifications") to know who wants what.
import { createHash } from 'node:crypto';
import { Element } from 'ltx';
import type { ModuleHost } from '../../core/host.ts';
import type { Session } from '../../core/session.ts';
import { NS } from '../../core/stanza.ts';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
const CACHE_MAX = 1000;

/** XEP-0115 §5.1 verification string of a disco#info answer, hashed with SHA-1 (base64). */
export function verificationHash(query: Element): string {
  const esc = (s: string | undefined) => s ?? '';
  const ids = query
    .getChildren('identity')
    .map((i) => `${esc(i.attrs.category)}/${esc(i.attrs.type)}/${esc(i.attrs['xml:lang'])}/${esc(i.attrs.name)}`)
    .sort();
  const features = query.getChildren('feature').map((f) => esc(f.attrs.var)).sort();
  const forms = query
    .getChildren('x', 'jabber:x:data')
    .map((x) => {
      const fields = x.getChildren('field');
      const type = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value') ?? '';
      const rest = fields
        .filter((f) => f.attrs.var !== 'FORM_TYPE')
        .sort((a, b) => (esc(a.attrs.var) < esc(b.attrs.var) ? -1 : 1))
        .map((f) => `${esc(f.attrs.var)}<${f.getChildren('value').map((v) => v.getText()).sort().map((v) => `${v}<`).join('')}`);
      return { type, s: `${type}<${rest.join('')}` };
    })
    .sort((a, b) => (a.type < b.type ? -1 : 1));
  const s = ids.map((i) => `${i}<`).join('') + features.map((f) => `${f}<`).join('') + forms.map((f) => f.s).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

export interface CapsTracker {
  /** The +notify nodes `session` advertised (empty until its caps are known). */
  interests(session: Session): ReadonlySet<string>;
}

/**
 * Watches every broadcast presence for <c/>; when a session's interests become known (or change),
 * `learnt(session)` runs — PEP then sends the last items it now wants (XEP-0163 §4.3.2).
 */
export function createCapsTracker(host: ModuleHost, learnt: (session: Session) => void): CapsTracker {
  const byVer = new Map<string, Set<string>>();
  const ofSession = new WeakMap<Session, { ver: string; notify: Set<string> }>();
  /** The ver a session's query is out for: the same presence again does not ask twice. */
  const asking = new WeakMap<Session, string>();
  const notifyOf = (features: string[]): Set<string> => new Set(features.filter((f) => f.endsWith('+notify')).map((f) => f.slice(0, -'+notify'.length)));
  const set = (session: Session, ver: string, notify: Set<string>) => {
    ofSession.set(session, { ver, notify });
    learnt(session);
  };

  host.inbound.push((stanza, session) => {
    if (stanza.name !== 'presence' || stanza.attrs.to || stanza.attrs.type) return;
    const c = stanza.getChild('c', NS_CAPS);
    const ver = c?.attrs.ver;
    if (!c || !ver || !c.attrs.node) return;
    if (ofSession.get(session)?.ver === ver || asking.get(session) === ver) return;
    const hashed = c.attrs.hash === 'sha-1';
    const known = hashed ? byVer.get(ver) : undefined;
    if (known) return set(session, ver, known);
    asking.set(session, ver);
    const ask = new Element('iq', { type: 'get', from: session.domain }).c('query', { xmlns: NS.discoInfo, node: `${c.attrs.node}#${ver}` }).up();
    void host.request(session, ask).then((answer) => {
      // A newer presence asked about another ver meanwhile: this answer is stale for the session.
      if (asking.get(session) !== ver) return;
      asking.delete(session);
      const query = answer?.getChild('query', NS.discoInfo);
      if (!query || !session.jid) return;
      const notify = notifyOf(query.getChildren('feature').map((f) => f.attrs.var ?? ''));
      // Cached for everyone only when the answer is what the hash says (§5.4: else a client could poison the cache).
      if (hashed && verificationHash(query) === ver) {
        if (byVer.size >= CACHE_MAX) byVer.delete(byVer.keys().next().value!);
        byVer.set(ver, notify);
      }
      set(session, ver, notify);
    });
  });

  return { interests: (session) => ofSession.get(session)?.notify ?? new Set() };
}
