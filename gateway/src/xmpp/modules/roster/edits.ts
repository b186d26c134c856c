// RFC 6121 §2.3–2.5: roster sets — one item added, updated or removed per set, checked as
// §2.3.3 says (several items or duplicate groups: <bad-request/>; a name or group too long, an
// empty group, too many groups: <not-acceptable/>), then stored per user and pushed (§2.1.6).
import type { Element } from 'ltx';
import { emptyRosterRow } from '../../../store/roster.ts';
import type { ServerContext } from '../../core/host.ts';
import { parseJid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { errorReply, iqResult, NS } from '../../core/stanza.ts';
import { presenceVisibilityChanged, pushContact } from './push.ts';
import { cancelInbound, cancelOutbound } from './subscriptions.ts';

/** Server-configured limits (RFC 6121 §2.3.3 leaves them to the server). */
export const ROSTER_LIMITS = { nameChars: 256, groupChars: 256, groupsPerItem: 32 } as const;

const chars = (s: string) => [...s].length;

/** Answers a roster set from `session`: the result, or the stanza error saying what was wrong. */
export function rosterSet(ctx: ServerContext, iq: Element, session: Session, maxItems: number): Element {
  const owner = session.account!;
  const query = iq.getChild('query', NS.roster);
  const items = query?.getChildren('item') ?? [];
  if (items.length !== 1) return errorReply(iq, 'modify', 'bad-request', 'a roster set carries exactly one <item/> (RFC 6121 §2.3.3)');
  const item = items[0]!;
  const jid = parseJid(item.attrs.jid);
  if (!jid || jid.resource) return errorReply(iq, 'modify', 'jid-malformed', `"${item.attrs.jid ?? ''}" is not a bare JID`);
  if (!jid.local) return errorReply(iq, 'modify', 'not-acceptable', 'a contact is a user address (local@domain), not a server');
  if (jid.bare === owner.address) return errorReply(iq, 'cancel', 'not-allowed', 'you cannot be your own contact');
  const remove = item.attrs.subscription === 'remove';

  let name: string | null = null;
  const groups: string[] = [];
  if (!remove) {
    // A missing or empty name means "the directory's name"; any other subscription value is ignored (§2.1.2.5).
    name = item.attrs.name || null;
    if (name !== null && chars(name) > ROSTER_LIMITS.nameChars) return errorReply(iq, 'modify', 'not-acceptable', `a contact's name may have at most ${ROSTER_LIMITS.nameChars} characters`);
    for (const g of item.getChildren('group')) {
      const text = g.getText();
      if (!text) return errorReply(iq, 'modify', 'not-acceptable', 'a group name cannot be empty (leave out <group/> for no group)');
      if (chars(text) > ROSTER_LIMITS.groupChars) return errorReply(iq, 'modify', 'not-acceptable', `a group name may have at most ${ROSTER_LIMITS.groupChars} characters`);
      if (groups.includes(text)) return errorReply(iq, 'modify', 'bad-request', `group "${text}" is listed twice`);
      groups.push(text);
    }
    if (groups.length > ROSTER_LIMITS.groupsPerItem) return errorReply(iq, 'modify', 'not-acceptable', `a contact may be in at most ${ROSTER_LIMITS.groupsPerItem} groups`);
  }

  if (!ctx.isLocalDomain(jid.domain)) {
    return errorReply(iq, 'cancel', 'remote-server-not-found', `${jid.domain} is not served here (no server-to-server connections), so ${jid.bare} cannot be a contact`);
  }
  const contact = ctx.account(jid.bare);
  if (!contact) return errorReply(iq, 'cancel', 'item-not-found', `there is no user ${jid.bare}`);
  const directory = ctx.visibleDomains(owner.domain).includes(contact.domain);
  const row = ctx.roster.get(owner.id, contact.address);

  const full = () => errorReply(iq, 'cancel', 'resource-constraint', `your contact list may hold at most ${maxItems} personal entries (renamed, regrouped, hidden or added contacts)`);
  if (remove) {
    if (directory ? row?.hidden === true : !row?.inRoster) return errorReply(iq, 'cancel', 'item-not-found', `${contact.address} is not on your roster`);
    if (directory) {
      if (!row && ctx.roster.count(owner.id) >= maxItems) return full();
      // Hidden from this user's roster only (see index.ts): any personal subscription state is dropped too.
      ctx.roster.transaction(() => {
        ctx.roster.put({ ...emptyRosterRow(owner.id, contact.address), hidden: true });
        const theirs = ctx.roster.get(contact.id, owner.address);
        if (theirs) ctx.roster.put({ ...theirs, subTo: false, subFrom: false, askOut: false, pendingIn: null });
      });
      pushContact(ctx, owner, contact.address);
      presenceVisibilityChanged(ctx, owner.address, contact.address, false);
      return iqResult(iq);
    }
    // §2.5.2: removing an item cancels the subscriptions both ways (unsubscribe + unsubscribed).
    cancelOutbound(ctx, owner, contact);
    cancelInbound(ctx, owner, contact);
    ctx.roster.put(emptyRosterRow(owner.id, contact.address));
    pushContact(ctx, owner, contact.address);
    return iqResult(iq);
  }

  if (!row && ctx.roster.count(owner.id) >= maxItems) return full();
  const wasHidden = row?.hidden === true;
  ctx.roster.put({ ...(row ?? emptyRosterRow(owner.id, contact.address)), inRoster: true, hidden: false, name, groups });
  pushContact(ctx, owner, contact.address);
  if (directory && wasHidden) presenceVisibilityChanged(ctx, owner.address, contact.address, true);
  return iqResult(iq);
}
