// XEP-0030: Service Discovery — the server's identity and exactly the features its loaded
// modules registered (no feature is claimed that is not implemented); its items are the
// components serving the domain (conference.<domain>), which answer disco for themselves.
// XEP-0115 §6.3: the server announces its own capabilities as a stream feature (<c/> with the
// verification string of that disco#info), so clients need not ask it again.
import { Element } from 'ltx';
import type { ModuleHost, XmppModule } from '../core/host.ts';
import { errorReply, iqResult, NS } from '../core/stanza.ts';
import { NS_CAPS, verificationHash } from './pep/caps.ts';

/** The node of the server's XEP-0115 <c/>: the software, per §4 (a URI naming it). */
export const SERVER_CAPS_NODE = 'urn:x-herald:gateway';

/** The server's own disco#info answer (identity and exactly the features modules registered). */
function serverInfo(host: ModuleHost, node?: string): Element {
  const query = new Element('query', { xmlns: NS.discoInfo, node });
  query.c('identity', { category: 'server', type: 'im', name: 'Herald' });
  for (const f of [...host.features].sort()) query.c('feature', { var: f });
  return query;
}

export const discoModule: XmppModule = {
  name: 'disco',
  setup(host) {
    host.features.add(NS.discoInfo);
    host.features.add(NS.discoItems);
    host.features.add(NS_CAPS);
    host.accountFeatures.add(NS.discoInfo);
    // Computed once the modules have registered their features (the first stream features sent).
    let ver: string | undefined;
    host.streamFeatures.push({ name: 'c', xmlns: NS_CAPS, attrs: () => ({ hash: 'sha-1', node: SERVER_CAPS_NODE, ver: (ver ??= verificationHash(serverInfo(host))) }) });
    host.iq(NS.discoInfo, (iq, session) => {
      if (iq.attrs.type !== 'get') return errorReply(iq, 'cancel', 'bad-request');
      const node = iq.getChild('query')?.attrs.node;
      // disco#info to the user's own bare JID describes the account (XEP-0030 §3.1), with the
      // features modules registered for accounts (MAM, ...).
      const toAccount = iq.attrs.to === session.jid?.bare;
      if (!toAccount) return iqResult(iq, serverInfo(host, node)); // the caps node (`<node>#<ver>`) is the same answer
      const query = new Element('query', { xmlns: NS.discoInfo, node });
      query.c('identity', { category: 'account', type: 'registered' });
      for (const i of host.accountIdentities) query.c('identity', i);
      for (const f of [...host.accountFeatures].sort()) query.c('feature', { var: f });
      return iqResult(iq, query);
    });
    host.iq(NS.discoItems, (iq, session) => {
      if (iq.attrs.type !== 'get') return errorReply(iq, 'cancel', 'bad-request');
      const query = new Element('query', { xmlns: NS.discoItems });
      // The server's items are its components on this domain (conference.<domain>, ...).
      if (iq.attrs.to !== session.jid?.bare && !iq.getChild('query')?.attrs.node) {
        for (const c of host.components) {
          const item = c.discoItem?.(session.domain);
          if (item) query.c('item', { jid: item.jid, name: item.name });
        }
      }
      return iqResult(iq, query);
    });
  },
};
