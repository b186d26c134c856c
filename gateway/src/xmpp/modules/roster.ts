// RFC 6121 §2: the roster. A user's contacts are the other users of their mail domain, both
// ways subscribed, named by the directory; versioned (§2.6) so a reconnecting client with the
// current version gets an empty answer. Personal roster edits are not implemented yet: a
// roster set is refused with <not-allowed/> rather than silently ignored.
import { createHash } from 'node:crypto';
import { Element } from 'ltx';
import type { AccountRow } from '../../store/index.ts';
import type { ServerContext, XmppModule } from '../core/host.ts';
import { errorReply, iqResult, NS } from '../core/stanza.ts';

export function rosterItems(ctx: ServerContext, self: AccountRow): AccountRow[] {
  return ctx.domainUsers(self.domain).filter((a) => a.id !== self.id);
}

export function rosterVersion(items: AccountRow[]): string {
  const h = createHash('sha1');
  for (const a of items) h.update(`${a.address}\0${a.displayName}\n`);
  return h.digest('base64url').slice(0, 16);
}

export function rosterItem(a: AccountRow, group: string): Element {
  return new Element('item', { jid: a.address, name: a.displayName, subscription: 'both' }).c('group').t(group).up();
}

export const rosterModule: XmppModule = {
  name: 'roster',
  setup(host, ctx) {
    host.features.add('urn:xmpp:features:rosterver');
    host.iq(NS.roster, (iq, session) => {
      if (iq.attrs.type === 'set') return errorReply(iq, 'cancel', 'not-allowed', 'the contact list is your mail domain; personal edits are not supported yet');
      const items = rosterItems(ctx, session.account!);
      const ver = rosterVersion(items);
      session.rosterRequested = true;
      if (iq.getChild('query', NS.roster)?.attrs.ver === ver) return iqResult(iq);
      const query = new Element('query', { xmlns: NS.roster, ver });
      for (const a of items) query.cnode(rosterItem(a, session.account!.domain));
      return iqResult(iq, query);
    });
  },
};
