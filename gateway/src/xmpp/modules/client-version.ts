// XEP-0092: Software Version — the server asks each client what it runs, once per session, for
// the admin console's Sessions page ("client software"). Asked after the client's initial presence
// (XEP-0092 §2: an entity's version is queried at its full JID; before it is available a client
// may not answer iqs yet), with a timeout; an error or no answer leaves it unknown. One iq per
// session and nothing on any stanza path afterwards.
import { Element } from 'ltx';
import type { XmppModule } from '../core/host.ts';
import type { Session } from '../core/session.ts';

export const NS_VERSION = 'jabber:iq:version';
/** What a client says is shown, never trusted: bounded and without control characters. */
const MAX_CHARS = 80;
const clean = (s: string | null | undefined) =>
  (s ?? '')
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim()
    .slice(0, MAX_CHARS);

export function createClientVersionModule({ timeoutMs = 15_000 }: { timeoutMs?: number } = {}) {
  /** undefined: not asked; null: asked (or no usable answer); else "name version". */
  const software = new WeakMap<Session, string | null>();
  const module: XmppModule = {
    name: 'client-version',
    setup(host) {
      host.becameAvailable.push((session) => {
        if (software.has(session) || !session.jid) return;
        software.set(session, null);
        const ask = new Element('iq', { type: 'get', from: session.domain }).c('query', { xmlns: NS_VERSION }).up();
        void host.request(session, ask, timeoutMs).then((answer) => {
          const q = answer?.getChild('query', NS_VERSION);
          const name = clean(q?.getChildText('name'));
          if (!name) return;
          const version = clean(q?.getChildText('version'));
          software.set(session, version ? `${name} ${version}` : name);
        });
      });
    },
  };
  return {
    module,
    /** The client's XEP-0092 name and version, once it answered. */
    softwareOf: (session: Session): string | undefined => software.get(session) ?? undefined,
  };
}
