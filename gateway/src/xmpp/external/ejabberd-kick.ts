// xmpp.mode=external: a credential ended in Herald (directory/credentials.ts — token revoked, signed
// out, password changed, user removed, IM switched off for a domain) ends the matching live sessions
// on ejabberd, as the embedded server's credentialEnded does for its own. extauth already refuses the
// next login; this is for the sessions that are open now.
//
// ejabberd does not tell extauth which resource a login is, so Herald cannot tell a device token's
// session from a password session of the same user: every ended user credential ends all of that
// user's sessions (`user_resources` + `kick_session`, which carries the reason to the client as a
// stream error). Clients whose credential is still good log in again at once; the revoked one cannot.
// A removed account has no address left in the store: then every connected user without a Herald
// account is ended (`connected_users`), which also catches one removed while the gateway was down.
import { REASON_TEXT, type CredentialEvent } from '../../directory/credentials.ts';
import type { Store } from '../../store/index.ts';
import type { EjabberdApi } from './ejabberd-api.ts';

interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

const splitJid = (full: string) => {
  const slash = full.indexOf('/');
  const bare = slash < 0 ? full : full.slice(0, slash);
  const at = bare.lastIndexOf('@');
  return { user: bare.slice(0, at), host: bare.slice(at + 1), bare, resource: slash < 0 ? '' : full.slice(slash + 1) };
};

export function createEjabberdKicker(o: { api: EjabberdApi; store: Pick<Store, 'accounts'>; log: Log }) {
  const { api, log } = o;
  // One at a time, in journal order: a burst (a domain's IM off) does not flood the API.
  let chain: Promise<void> = Promise.resolve();

  const kick = async (fullJids: string[], reason: string) => {
    let n = 0;
    for (const jid of fullJids) {
      const j = splitJid(jid);
      if (!j.user || !j.host) continue;
      await api.call('kick_session', { user: j.user, host: j.host, resource: j.resource, reason });
      n++;
    }
    return n;
  };
  const sessionsOf = async (address: string) => {
    const j = splitJid(address);
    const resources = await api.call<string[]>('user_resources', { user: j.user, host: j.host });
    return resources.map((r) => `${j.bare}/${r}`);
  };

  async function handle(e: CredentialEvent): Promise<void> {
    const reason = REASON_TEXT[e.reason];
    let jids: string[];
    if (e.ends === 'domain-im') {
      jids = await api.call<string[]>('connected_users_vhost', { host: e.domain! });
    } else if (e.ends === 'account') {
      const all = await api.call<string[]>('connected_users', {});
      jids = all.filter((jid) => !o.store.accounts.byAddress(splitJid(jid).bare));
    } else {
      const account = e.accountId === null ? undefined : o.store.accounts.byId(e.accountId);
      if (!account) return;
      jids = await sessionsOf(account.address);
    }
    const n = await kick(jids, reason);
    if (n) log.info({ ends: e.ends, domain: e.domain ?? undefined, sessions: n }, `ended ${n} ejabberd session(s): ${reason}`);
  }

  return {
    /** For credentials.onEnded: queued, never throws (a failure is logged; extauth still refuses the next login). */
    credentialEnded(e: CredentialEvent): void {
      chain = chain.then(() => handle(e)).catch((err: unknown) => log.warn({ err, ends: e.ends }, 'could not end the ejabberd sessions of an ended credential'));
    },
    /** Resolves when every queued kick has been tried. */
    idle: () => chain,
  };
}
