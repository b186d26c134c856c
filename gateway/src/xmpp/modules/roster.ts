// RFC 6121 §2: the roster. A user's contacts are the other users of their mail domain, both
// ways subscribed, named by the directory; versioned (§2.6) so a reconnecting client with the
// current version gets an empty answer; pushed (§2.1.6) to interested sessions when users are
// added, renamed or removed. Personal roster edits are not implemented yet: a roster set is
// refused with <not-allowed/> rather than silently ignored.
import { createHash } from 'node:crypto';
import { Element } from 'ltx';
import type { AccountRow } from '../../store/index.ts';
import type { ServerContext, XmppModule } from '../core/host.ts';
import { cloneEl, errorReply, iqResult, NS } from '../core/stanza.ts';

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
    // What each domain's sessions were last told: address → display name.
    const known = new Map<string, Map<string, string>>();
    const snapshot = (domain: string) => new Map(ctx.domainUsers(domain).map((a) => [a.address, a.displayName]));

    host.directoryChanged.push(() => {
      for (const [domain, before] of known) {
        const now = snapshot(domain);
        const changed: Element[] = [];
        for (const a of ctx.domainUsers(domain)) if (before.get(a.address) !== a.displayName) changed.push(rosterItem(a, domain));
        for (const address of before.keys()) if (!now.has(address)) changed.push(new Element('item', { jid: address, subscription: 'remove' }));
        known.set(domain, now);
        if (!changed.length) continue;
        for (const resources of ctx.router.all()) {
          for (const s of resources.values()) {
            if (s.account?.domain !== domain || !s.rosterRequested) continue;
            const ver = rosterVersion(rosterItems(ctx, s.account));
            for (const item of changed) {
              if (item.attrs.jid === s.account.address) continue;
              const push = new Element('iq', { type: 'set', id: `push-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, to: s.jid!.full });
              push.c('query', { xmlns: NS.roster, ver }).cnode(cloneEl(item));
              s.send(push);
            }
          }
        }
      }
    });

    host.iq(NS.roster, (iq, session) => {
      if (iq.attrs.type === 'set') return errorReply(iq, 'cancel', 'not-allowed', 'the contact list is your mail domain; personal edits are not supported yet');
      const items = rosterItems(ctx, session.account!);
      const ver = rosterVersion(items);
      session.rosterRequested = true;
      if (!known.has(session.account!.domain)) known.set(session.account!.domain, snapshot(session.account!.domain));
      if (iq.getChild('query', NS.roster)?.attrs.ver === ver) return iqResult(iq);
      const query = new Element('query', { xmlns: NS.roster, ver });
      for (const a of items) query.cnode(rosterItem(a, session.account!.domain));
      return iqResult(iq, query);
    });
  },
};
