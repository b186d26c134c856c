// POST /api/v1/mail/push/dovecot: Dovecot's push_notification (deploy/dovecot-herald-push.lua)
// tells us a user's mailbox changed; the user's watch looks again now. Only with
// mail.imap.changes = push. Loopback peers only unless mail.imap.pushFromAnywhere (the peer
// address of the socket, never X-Forwarded-For); the bearer token of <dataDir>/mail-push.token.
import type Router from '@koa/router';
import { isLoopbackHost } from '../../config/exposure.ts';
import type { Logger } from '../../config/logger.ts';
import type { MailService } from '../../mail/mail-service.ts';
import { changesOf, DovecotPushSchema } from '../../mail/push/dovecot-push.ts';
import { pushTokenMatches } from '../../mail/push/push-token.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { Store } from '../../store/index.ts';
import { readJson } from '../json-body.ts';

/** Unknown users are logged once each; past this many the set is started afresh (bounded memory). */
const UNKNOWN_LOGGED_MAX = 10_000;

export interface MailPushDeps {
  mail: MailService;
  store: Store;
  token: string;
  fromAnywhere: boolean;
  bodyLimit: number;
  log: Logger;
}

export function mailPushRoutes(router: Router, deps: MailPushDeps): void {
  const unknownLogged = new Set<string>();
  router.post('/mail/push/dovecot', async (ctx) => {
    if (!deps.fromAnywhere && !isLoopbackHost(ctx.req.socket.remoteAddress ?? '')) {
      throw new HeraldError('forbidden', 'mail push is accepted from this machine only (set mail.imap.pushFromAnywhere to accept it from others)');
    }
    if (!pushTokenMatches(ctx.get('authorization'), deps.token)) throw new HeraldError('unauthorized', 'missing or wrong mail push token');
    const push = await readJson(ctx, DovecotPushSchema, deps.bodyLimit);
    const address = push.user.trim().toLowerCase();
    const account = deps.store.accounts.byAddress(address);
    if (!account) {
      // Dovecot may serve users the gateway does not know (no IM account): not an error, once each.
      if (!unknownLogged.has(address)) {
        if (unknownLogged.size >= UNKNOWN_LOGGED_MAX) unknownLogged.clear();
        unknownLogged.add(address);
        deps.log.info({ user: address }, 'mail push for a user the gateway does not know: ignored');
      }
    } else deps.mail.changed(account.id, changesOf(push));
    ctx.status = 204;
  });
}
