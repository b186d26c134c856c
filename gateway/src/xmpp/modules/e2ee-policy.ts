// End-to-end encryption as a company decision (`xmpp.e2ee`, per domain; PRODUCT.md: every IM
// passes through the server and is logged). Under `deny`, an encrypted message (encrypted-
// message.ts: OMEMO, OpenPGP, OTR, XEP-0380 — with no body or only a fallback body) from or to a
// user of that domain is refused before anything routes it: not delivered, not stored offline,
// not archived, not logged, and the sender gets <policy-violation/> saying why (RFC 6120
// §8.3.3.12). That holds for 1:1 chats, rooms (conference.<domain> belongs to <domain>) and
// private messages in rooms. Under `allow` the message passes, and the message module and rooms
// log that it was encrypted (central IM log: from, to, the scheme, no text).
// Publishing OMEMO device lists (PEP) is the PEP module's to refuse.
import type { ModuleHost, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid } from '../core/jid.ts';
import { errorReply } from '../core/stanza.ts';
import { encryptionOf } from './encrypted-message.ts';

export const E2EE_DENIED_TEXT = "end-to-end encrypted messages are not allowed by your organisation's policy: every message is logged centrally";

/** The local user domain an address belongs to (a user's domain, or the domain of its conference./upload. service). */
function userDomain(ctx: ServerContext, domain: string): string | undefined {
  if (ctx.isLocalDomain(domain)) return domain;
  const dot = domain.indexOf('.');
  const parent = dot < 0 ? '' : domain.slice(dot + 1);
  return parent && ctx.isLocalDomain(parent) ? parent : undefined;
}

export const e2eePolicyModule: XmppModule = {
  name: 'e2ee-policy',
  setup(host: ModuleHost, ctx: ServerContext) {
    host.guards.push((stanza, session) => {
      if (stanza.name !== 'message' || stanza.attrs.type === 'error') return false;
      const method = encryptionOf(stanza);
      if (!method) return false;
      const to = parseJid(stanza.attrs.to);
      const theirs = to && userDomain(ctx, to.domain);
      const denied = ctx.e2ee(session.account!.domain) === 'deny' ? session.account!.domain : theirs && ctx.e2ee(theirs) === 'deny' ? theirs : undefined;
      if (!denied) return false;
      ctx.log.info({ from: session.jid!.full, to: stanza.attrs.to, method, domain: denied }, 'encrypted message refused (xmpp.e2ee deny)');
      session.send(errorReply(stanza, 'cancel', 'policy-violation', E2EE_DENIED_TEXT));
      return true;
    });
  },
};
