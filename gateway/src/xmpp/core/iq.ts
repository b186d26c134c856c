// RFC 6120 §8.2.3 and RFC 6121 §8.5: where an iq from a client goes — to the server's handler for
// its payload namespace (addressed to the server, to the sender's own bare JID, or, for some
// namespaces, to another local account on its behalf), or on to another session; and the error
// back when a request reaches nobody (also when a session ended without handling one, XEP-0198).
import type { Element } from 'ltx';
import type { Logger } from '../../config/logger.ts';
import type { ModuleHost, ServerContext } from './host.ts';
import { parseJid } from './jid.ts';
import type { Session } from './session.ts';
import { errorReply, iqResult, payloadOf } from './stanza.ts';

export async function routeIq(iq: Element, session: Session, deps: { ctx: ServerContext; host: ModuleHost; log: Logger }): Promise<void> {
  const type = iq.attrs.type;
  if (!iq.attrs.id || !['get', 'set', 'result', 'error'].includes(type ?? '')) return session.send(errorReply(iq, 'modify', 'bad-request'));
  const to = iq.attrs.to ? parseJid(iq.attrs.to) : undefined;
  if (iq.attrs.to && !to) return session.send(errorReply(iq, 'modify', 'jid-malformed'));
  // RFC 6121 §8.5.1: an iq to another user's bare JID is the server's to answer for some
  // namespaces (vcard-temp, MAM), on the account's behalf; other ones go to no session (error).
  const onBehalf = !!to && !!to.local && !to.resource && deps.host.answersForAccounts(payloadOf(iq)?.attrs.xmlns) && deps.ctx.isLocalDomain(to.domain);
  const forServer = !to || to.full === session.domain || to.full === session.jid!.bare || onBehalf;
  if (!forServer) {
    if (!deps.ctx.deliverToSession(iq, to!) && (type === 'get' || type === 'set')) session.send(errorReply(iq, 'cancel', 'service-unavailable'));
    return;
  }
  if (type === 'result' || type === 'error') return void deps.host.answered(iq, session);
  if (iq.attrs.to === undefined) iq.attrs.to = session.jid!.bare;
  const payload = payloadOf(iq);
  const handler = deps.host.iqHandler(payload?.attrs.xmlns);
  if (!handler) return session.send(errorReply(iq, 'cancel', 'service-unavailable'));
  try {
    const answer = await handler(iq, session);
    session.send(answer ?? iqResult(iq));
  } catch (e) {
    deps.log.error({ err: e, jid: session.jid?.full, xmlns: payload?.attrs.xmlns }, 'iq handler failed');
    session.send(errorReply(iq, 'cancel', 'internal-server-error'));
  }
}

/** A request `session` never answered because it ended (XEP-0198: unacknowledged): the sender gets <recipient-unavailable/>. */
export function bounceIq(iq: Element, session: Session, ctx: ServerContext): void {
  if (iq.attrs.type !== 'get' && iq.attrs.type !== 'set') return;
  const from = iq.attrs.from ? parseJid(iq.attrs.from) : undefined;
  if (from?.resource && from.full !== session.jid!.full) ctx.deliverToSession(errorReply(iq, 'cancel', 'recipient-unavailable'), from);
}
