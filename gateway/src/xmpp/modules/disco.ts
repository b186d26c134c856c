// XEP-0030: Service Discovery — the server's identity and exactly the features its loaded
// modules registered (no feature is claimed that is not implemented); its items are the
// components serving the domain (conference.<domain>), which answer disco for themselves.
import { Element } from 'ltx';
import type { XmppModule } from '../core/host.ts';
import { errorReply, iqResult, NS } from '../core/stanza.ts';

export const discoModule: XmppModule = {
  name: 'disco',
  setup(host) {
    host.features.add(NS.discoInfo);
    host.features.add(NS.discoItems);
    host.accountFeatures.add(NS.discoInfo);
    host.iq(NS.discoInfo, (iq, session) => {
      if (iq.attrs.type !== 'get') return errorReply(iq, 'cancel', 'bad-request');
      const query = new Element('query', { xmlns: NS.discoInfo, node: iq.getChild('query')?.attrs.node });
      // disco#info to the user's own bare JID describes the account (XEP-0030 §3.1), with the
      // features modules registered for accounts (MAM, ...).
      const toAccount = iq.attrs.to === session.jid?.bare;
      query.c('identity', toAccount ? { category: 'account', type: 'registered' } : { category: 'server', type: 'im', name: 'Herald' });
      if (toAccount) for (const i of host.accountIdentities) query.c('identity', i);
      for (const f of [...(toAccount ? host.accountFeatures : host.features)].sort()) query.c('feature', { var: f });
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
