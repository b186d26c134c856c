// XEP-0313: Message Archive Management (urn:xmpp:mam:2 and #extended) — personal archives.
// Every 1:1 chat or normal message with a <body> (or the XEP-0334 <store/> hint) that a user sends
// to a local user is archived once, for both of them (store/archive.ts), when the server accepts
// it — so messages stored offline are in the archive too — unless it carries <no-store/> or
// <no-permanent-store/>. The delivered message gets the archive id as XEP-0359 stanza-ids (by the
// recipient's and the sender's bare JIDs: the id is the same in both archives); stanza-ids a client
// put in are removed (they would be spoofed, XEP-0359 §7). Only the owner reads an archive: a query
// to another user's bare JID is <forbidden/>. Queries are answered by mam-query.ts; `with` is
// matched by bare JID (the archive keeps no resources). Preferences (XEP-0441): everything is
// archived by the server's policy — a get answers default='always', a set asking for anything else
// is <not-allowed/>. Retention: rows older than `xmpp.archiveDays` — room archives' too — are
// purged at start and hourly; `xmpp.archiveDays = 0` switches archiving off (no feature, no
// queries; old rows are left alone). Writes are batched (mam-writer.ts, shared with room
// archives). A message refused because the recipient's offline store is full is archived all the
// same (archiving happens when it is accepted).
// Not archived here: headline and groupchat messages (rooms keep their own archives,
// muc/archive.ts), MUC private messages (muc/groupchat.ts routes them).
import { Element } from 'ltx';
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import { errorReply, iqResult, payloadOf } from '../core/stanza.ts';
import { answerArchiveQuery, NS_MAM, NS_MAM_EXTENDED, NS_SID } from './mam-query.ts';
import type { ArchiveWriter } from './mam-writer.ts';

export { NS_MAM, NS_MAM_EXTENDED, NS_SID } from './mam-query.ts';
const NS_HINTS = 'urn:xmpp:hints';
const PURGE_EVERY_MS = 3600_000;

/** Whether a message goes to the archives (XEP-0313 §5.1.1, XEP-0334 hints). */
function archivable(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  if (stanza.getChild('no-store', NS_HINTS) || stanza.getChild('no-permanent-store', NS_HINTS)) return false;
  return !!stanza.getChild('body') || !!stanza.getChild('store', NS_HINTS);
}

/**
 * `archive`: the batched writer shared with room archives; undefined when archiving is off
 * (`xmpp.archiveDays = 0`).
 */
export function createMamModule(deps: { archive: ArchiveWriter | undefined; archiveDays: number }): XmppModule {
  const { archive } = deps;
  return {
    name: 'mam',
    setup(host: ModuleHost, ctx: ServerContext) {
      // XEP-0359 §7: only we set stanza-ids on what our users receive (archive on or off).
      host.messageAccepted.push((stanza) => void stanza.remove('stanza-id', NS_SID));
      if (!archive || !deps.archiveDays) return;
      const store = archive.store;
      host.accountFeatures.add(NS_MAM);
      // Also on the server's own disco#info: older clients (profanity 0.13) look for the archive
      // there, not at the account (XEP-0313 §7 says the account; ejabberd lists it in both places).
      host.features.add(NS_MAM);
      host.accountFeatures.add(NS_MAM_EXTENDED);
      host.accountFeatures.add(NS_SID);

      // A stream-management ack promises the message is safe: its archive row is written first.
      host.beforeAck.push(() => archive.flush());
      host.messageAccepted.push((stanza, from, to) => {
        if (!archivable(stanza)) return;
        const sender = from.jid!.bare;
        const id = String(archive.add(sender, to.bare, stanza.toString()));
        stanza.c('stanza-id', { xmlns: NS_SID, by: to.bare, id });
        if (sender !== to.bare) stanza.c('stanza-id', { xmlns: NS_SID, by: sender, id });
      });

      host.iq(
        NS_MAM,
        (iq, session) => {
          const own = session.jid!.bare;
          const to = parseJid(iq.attrs.to);
          // Personal archives are private (XEP-0313 §7.1); the server itself keeps none.
          if (to?.full !== own) {
            return to?.local ? errorReply(iq, 'auth', 'forbidden', 'only its owner may use an archive') : errorReply(iq, 'cancel', 'service-unavailable', 'archives are at users’ bare JIDs');
          }
          const payload = payloadOf(iq);
          if (payload?.name === 'prefs') return prefs(iq, payload);
          archive.flush();
          return answerArchiveQuery(iq, store, { archive: own, requester: session.jid!.full, withKey: (j) => j.bare, send: (el) => session.send(el) });
        },
        { forAccounts: true },
      );

      // Retention: at start, then hourly.
      const purge = () => {
        try {
          archive.flush();
          const n = store.purge(Date.now() - deps.archiveDays * 86_400_000);
          if (n) ctx.log.info({ count: n, days: deps.archiveDays }, 'archived messages past retention purged');
        } catch (e) {
          ctx.log.error({ err: (e as Error).message }, 'archive purge failed');
        }
      };
      purge();
      const purger = setInterval(purge, PURGE_EVERY_MS).unref();
      host.stopping.push(() => {
        clearInterval(purger);
        archive.stop();
      });
    },
  };
}

/** XEP-0441 preferences: the server archives every 1:1 message; asking for less is refused. */
function prefs(iq: Element, payload: Element): Element {
  const current = () => new Element('prefs', { xmlns: NS_MAM, default: 'always' }).c('always').up().c('never').up();
  if (iq.attrs.type === 'get') return iqResult(iq, current());
  const never = payload.getChild('never')?.getChildren('jid') ?? [];
  if (payload.attrs.default !== 'always' || never.length) return errorReply(iq, 'cancel', 'not-allowed', 'every 1:1 message is archived (server policy); archiving cannot be switched off');
  return iqResult(iq, current());
}
