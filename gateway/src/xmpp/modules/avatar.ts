// XEP-0084: User Avatar (PEP nodes urn:xmpp:avatar:data and urn:xmpp:avatar:metadata, presence
// access) and XEP-0153: vCard-Based Avatars, kept in step: the vCard's PHOTO is the PEP avatar,
// a vCard set with a PHOTO publishes it to PEP (data, then metadata: XEP-0084 §4.1), and every
// presence a user sends carries <x xmlns='vcard-temp:x:update'><photo>SHA-1</photo></x> (empty
// <photo/>: no avatar, XEP-0153 §4.1) — re-broadcast when the avatar changes from any resource.
// The directory has no pictures today (no photo attribute in the accounts, none from the mail
// system), so an avatar is what the user set from a client.
import { createHash } from 'node:crypto';
import { Element } from 'ltx';
import type { AccountRow, PepStore } from '../../store/index.ts';
import type { ModuleHost, XmppModule } from '../core/host.ts';
import { cloneEl } from '../core/stanza.ts';
import type { PepRefusal, PepService } from './pep/index.ts';

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';
/** XEP-0398: this server keeps XEP-0084 and vCard avatars in step, announced on the account (§2). */
export const NS_PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

export interface AvatarPhoto {
  type: string;
  /** base64 */
  binval: string;
}

export interface AvatarService {
  /** The current avatar's SHA-1 (hex), '' when there is none. */
  hash(owner: AccountRow): string;
  /** The current avatar as a vCard PHOTO, if any (XEP-0153 §3.1). */
  photo(owner: AccountRow): AvatarPhoto | undefined;
  /** Sets (or with undefined removes) the avatar as a vCard set does. */
  setPhoto(owner: AccountRow, photo: AvatarPhoto | undefined): PepRefusal | undefined;
}

export function createAvatarModule(deps: { pep: PepService; store: PepStore }): XmppModule & { avatars: AvatarService } {
  const { pep, store } = deps;

  const info = (owner: AccountRow): Element | undefined => {
    if (!store.node(owner.id, NS_AVATAR_METADATA)) return undefined;
    const last = pep.items(owner, NS_AVATAR_METADATA).at(-1);
    return last?.getChild('metadata', NS_AVATAR_METADATA)?.getChildren('info').find((i) => !i.attrs.url) ?? undefined;
  };

  const avatars: AvatarService = {
    hash: (owner) => info(owner)?.attrs.id ?? '',
    photo(owner) {
      const i = info(owner);
      if (!i?.attrs.id || !store.node(owner.id, NS_AVATAR_DATA)) return undefined;
      const data = pep.items(owner, NS_AVATAR_DATA).find((it) => it.attrs.id === i.attrs.id)?.getChildText('data', NS_AVATAR_DATA);
      return data ? { type: i.attrs.type ?? 'image/png', binval: data.replace(/\s+/g, '') } : undefined;
    },
    setPhoto(owner, photo) {
      const options = { accessModel: 'presence' as const };
      if (!photo) {
        // XEP-0084 §4.5: an empty <metadata/> says the avatar is gone.
        const r = pep.publish(owner, NS_AVATAR_METADATA, new Element('item', { id: 'current' }).cnode(new Element('metadata', { xmlns: NS_AVATAR_METADATA })).root());
        return 'condition' in r ? r : undefined;
      }
      const bytes = Buffer.from(photo.binval, 'base64');
      const id = createHash('sha1').update(bytes).digest('hex');
      const data = pep.publish(owner, NS_AVATAR_DATA, new Element('item', { id }).c('data', { xmlns: NS_AVATAR_DATA }).t(bytes.toString('base64')).root(), store.node(owner.id, NS_AVATAR_DATA) ? {} : options);
      if ('condition' in data) return data;
      const meta = new Element('metadata', { xmlns: NS_AVATAR_METADATA });
      meta.c('info', { id, bytes: String(bytes.length), type: photo.type || 'image/png' });
      const r = pep.publish(owner, NS_AVATAR_METADATA, new Element('item', { id }).cnode(meta).root(), store.node(owner.id, NS_AVATAR_METADATA) ? {} : options);
      return 'condition' in r ? r : undefined;
    },
  };

  /**
   * Puts the server's word on the avatar into a presence (XEP-0398 §4): a client's <x/> without a
   * <photo/>, or with another hash, is replaced; an empty <photo/> a client sent ("not ready yet",
   * XEP-0153 §4.2) is left as it is — unless the server itself sends the presence again because
   * the avatar changed (`resend`): then the new hash is the point.
   */
  const stamp = (p: Element, owner: AccountRow, resend = false): void => {
    const own = p.getChild('x', NS_VCARD_UPDATE)?.getChild('photo');
    if (!resend && own && !own.getText().trim()) return;
    p.children = p.children.filter((c) => typeof c === 'string' || !(c.name === 'x' && c.attrs.xmlns === NS_VCARD_UPDATE));
    const x = p.c('x', { xmlns: NS_VCARD_UPDATE });
    const h = avatars.hash(owner);
    if (h) x.c('photo').t(h);
    else x.c('photo');
  };

  return {
    name: 'avatar',
    avatars,
    setup(host: ModuleHost, ctx) {
      host.accountFeatures.add(NS_PEP_VCARD_CONVERSION);
      host.inbound.push((stanza, session) => {
        if (stanza.name !== 'presence' || (stanza.attrs.type && stanza.attrs.type !== 'available') || !session.account) return;
        stamp(stanza, session.account);
      });
      // A new avatar (from this server's vCard path or a client's XEP-0084 publish): every
      // available resource's presence goes out again with the new hash (XEP-0153 §4.2).
      pep.changed.push((owner, node) => {
        if (node !== NS_AVATAR_METADATA) return;
        for (const s of ctx.router.sessionsOf(owner.address)) {
          if (!s.presence) continue;
          const p = cloneEl(s.presence);
          stamp(p, owner, true);
          host.presence?.(p, s);
        }
      });
    },
  };
}
