// XEP-0030: Service Discovery — the server's identity and exactly the features its loaded
// modules registered (no feature is claimed that is not implemented).
import { Element } from 'ltx';
import type { XmppModule } from '../core/host.ts';
import { errorReply, iqResult, NS } from '../core/stanza.ts';

export const discoModule: XmppModule = {
  name: 'disco',
  setup(host) {
    host.features.add(NS.discoInfo);
    host.features.add(NS.discoItems);
    host.iq(NS.discoInfo, (iq, session) => {
      if (iq.attrs.type !== 'get') return errorReply(iq, 'cancel', 'bad-request');
      const query = new Element('query', { xmlns: NS.discoInfo, node: iq.getChild('query')?.attrs.node });
      // disco#info to the user's own bare JID describes the account (XEP-0030 §3.1).
      const toAccount = iq.attrs.to === session.jid?.bare;
      query.c('identity', toAccount ? { category: 'account', type: 'registered' } : { category: 'server', type: 'im', name: 'Herald' });
      if (!toAccount) for (const f of [...host.features].sort()) query.c('feature', { var: f });
      return iqResult(iq, query);
    });
    host.iq(NS.discoItems, (iq) => {
      if (iq.attrs.type !== 'get') return errorReply(iq, 'cancel', 'bad-request');
      return iqResult(iq, new Element('query', { xmlns: NS.discoItems }));
    });
  },
};
