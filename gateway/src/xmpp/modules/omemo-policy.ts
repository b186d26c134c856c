// XEP-0384: OMEMO Encryption — the company's decision (xmpp.e2ee, per domain) applied to PEP: a
// client can only be written to with OMEMO once it published its device list and key bundles, so
// under `deny` publishing them (both the legacy eu.siacs.conversations.axolotl namespace and
// urn:xmpp:omemo:2) is refused with <not-allowed/> and a text saying why, and lists published while
// it was allowed are hidden: nobody can encrypt to a device the policy no longer allows.
import type { AccountRow } from '../../store/index.ts';
import type { ServerContext, XmppModule } from '../core/host.ts';
import type { PepRefusal, PepService } from './pep/index.ts';

const LEGACY = 'eu.siacs.conversations.axolotl.';

/** Whether `node` holds OMEMO device lists or key bundles (XEP-0384 v0.3 legacy and v0.8+). */
export function isOmemoNode(node: string): boolean {
  return (
    node === `${LEGACY}devicelist` ||
    node.startsWith(`${LEGACY}bundles:`) ||
    node === 'urn:xmpp:omemo:2:devices' ||
    node === 'urn:xmpp:omemo:2:bundles'
  );
}

export function createOmemoPolicyModule(pep: PepService): XmppModule {
  return {
    name: 'omemo-policy',
    setup(_host, ctx: ServerContext) {
      const denied = (owner: AccountRow) => ctx.e2ee(owner.domain) === 'deny';
      pep.guards.push((owner, node): PepRefusal | undefined =>
        isOmemoNode(node) && denied(owner)
          ? {
              type: 'cancel',
              condition: 'not-allowed',
              text: `end-to-end encryption (OMEMO) is not allowed for ${owner.domain} by your company's policy: every message is kept readable in the central log`,
            }
          : undefined,
      );
      pep.hidden.push((owner, node) => isOmemoNode(node) && denied(owner));
    },
  };
}
