// RFC 6121 §2 (roster) and §3 (presence subscriptions), with roster versioning (§2.6).
//
// A user's roster is the directory — the other users of their mail domain and of the domains an
// admin linked to it (`herald-gateway domain link a b`), subscribed both ways, named by the
// directory, grouped by domain — with the user's personal edits on top (store/roster.ts):
//  - rename a contact and put it in groups (a roster set; a missing name falls back to the
//    directory's, and the groups are exactly those sent, none meaning no group, §2.1.2.6);
//  - remove a directory contact: it is hidden from this user's roster only, and comes back when
//    they add it again (a roster set, or a subscribe). Why not the RFC's "remove = unsubscribe
//    both ways" (§2.5.2): the directory subscription is the admin's, not the user's — a colleague
//    keeps seeing the user, and the user can undo the hiding alone, which a cancelled subscription
//    (needing the colleague's approval again) would not allow. What hiding does to presence: the
//    hider stops receiving the hidden colleague's presence (their roster has no item for it, so
//    they get unavailable from its resources at once); the colleague still receives the hider's;
//  - add a user of another local domain that is not linked: a personal item with subscription
//    "none", then the RFC 6121 §3 subscription flow between the two (subscriptions.ts), and
//    removing it cancels both directions as §2.5.2 says;
//  - contacts on remote domains are refused with <remote-server-not-found/>: there is no
//    server-to-server, so nothing could ever be delivered to them.
// Every change is pushed to all of the user's interested resources (§2.1.6); changes made with
// the CLI are pushed too (directory-changes.ts). The version (view.ts) is a hash of everything the
// roster is computed from, so personal edits, directory changes and links all change it, and a
// client presenting the current one gets an empty result.
import { Element } from 'ltx';
import type { Store } from '../../../store/index.ts';
import type { XmppModule } from '../../core/host.ts';
import { errorReply, iqResult, NS } from '../../core/stanza.ts';
import { createDirectoryWatch } from './directory-changes.ts';
import { rosterSet } from './edits.ts';
import { handleSubscription, redeliverPending } from './subscriptions.ts';
import { rosterItemsXml, rosterVersion, rowMap } from './view.ts';

export interface RosterModuleDeps {
  store: Store;
  /** Personal roster rows per user (xmpp.rosterMaxItems). */
  maxItems: number;
}

export function createRosterModule(deps: RosterModuleDeps): XmppModule {
  return {
    name: 'roster',
    setup(host, ctx) {
      host.features.add('urn:xmpp:features:rosterver');
      host.streamFeatures.push({ name: 'ver', xmlns: 'urn:xmpp:features:rosterver' });
      const watch = createDirectoryWatch(ctx, deps.store);
      // Rows about users deleted while the server was down.
      deps.store.roster.removeDangling();
      host.directoryChanged.push(() => watch.changed());
      host.subscription = (stanza, session) => handleSubscription(ctx, stanza, session, deps.maxItems);
      host.becameAvailable.push((session) => redeliverPending(ctx, session));

      host.iq(
        NS.roster,
        (iq, session) => {
          const owner = session.account!;
          // A roster is its owner's alone: anyone else gets <forbidden/> (RFC 6121 §2.3.3).
          if (iq.attrs.to !== session.jid!.bare && iq.attrs.to !== session.domain) return errorReply(iq, 'auth', 'forbidden', 'a roster can only be read or changed by its owner');
          const query = iq.getChild('query', NS.roster);
          if (!query) return errorReply(iq, 'modify', 'bad-request', 'a roster request has a <query/>');
          watch.ensure();
          if (iq.attrs.type === 'set') return rosterSet(ctx, iq, session, deps.maxItems);
          session.rosterRequested = true;
          const rows = ctx.roster.rows(owner.id);
          const ver = rosterVersion(ctx, owner, rows);
          if (query.attrs.ver === ver) return iqResult(iq);
          const result = new Element('query', { xmlns: NS.roster, ver });
          const items = rosterItemsXml(ctx, owner, rowMap(rows));
          if (items) result.cnode(items);
          return iqResult(iq, result);
        },
        // So that a roster iq to another user's bare JID reaches us and is refused (not routed).
        { forAccounts: true },
      );
    },
  };
}
