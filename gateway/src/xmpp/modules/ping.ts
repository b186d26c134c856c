// XEP-0199: XMPP Ping — the server answers pings addressed to it.
import type { XmppModule } from '../core/host.ts';
import { errorReply, NS } from '../core/stanza.ts';

export const pingModule: XmppModule = {
  name: 'ping',
  setup(host) {
    host.features.add(NS.ping);
    host.iq(NS.ping, (iq) => (iq.attrs.type === 'get' ? undefined : errorReply(iq, 'modify', 'bad-request')));
  },
};
