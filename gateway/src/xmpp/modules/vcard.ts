// XEP-0054: vcard-temp — the server answers for every account of the asker's mail domain, at the
// user's bare JID (RFC 6121 §8.5.1, on the account's behalf): FN is the directory's display
// name, NICKNAME the local part, EMAIL/USERID and JABBERID the address. The directory owns these
// names, so a vCard set (a client publishing a name or an avatar) is refused with <not-allowed/>
// on one's own vCard and <forbidden/> on anyone else's. Someone outside the domain, or an address
// with no account, gets <service-unavailable/> (RFC 6121 §8.5.1: no hint whether it exists).
// XEP-0153: the PHOTO is the user's avatar (modules/avatar.ts, kept in PEP): a set of one's own
// vCard whose names are the directory's (what a client sends back after a get) is accepted for its
// PHOTO alone — set, changed, or removed when absent.
import { Element } from 'ltx';
import type { AccountRow } from '../../store/index.ts';
import type { XmppModule } from '../core/host.ts';
import type { AvatarService } from './avatar.ts';
import { parseJid } from '../core/jid.ts';
import { errorReply, iqResult } from '../core/stanza.ts';

export const NS_VCARD = 'vcard-temp';

export function vcardOf(a: AccountRow, avatars?: AvatarService): Element {
  const v = new Element('vCard', { xmlns: NS_VCARD });
  v.c('FN').t(a.displayName || a.local);
  v.c('NICKNAME').t(a.local);
  const email = v.c('EMAIL');
  email.c('INTERNET');
  email.c('PREF');
  email.c('USERID').t(a.address);
  v.c('JABBERID').t(a.address);
  const photo = avatars?.photo(a);
  if (photo) {
    const p = v.c('PHOTO');
    p.c('TYPE').t(photo.type);
    p.c('BINVAL').t(photo.binval);
  }
  return v;
}

/** Whether a vCard set keeps the directory's names (a client writing back what it got, plus a PHOTO). */
function namesUnchanged(v: Element, a: AccountRow): boolean {
  const fn = v.getChildText('FN');
  const nick = v.getChildText('NICKNAME');
  return (fn === null || fn.trim() === (a.displayName || a.local)) && (nick === null || nick.trim() === a.local);
}

export const createVcardModule = (avatars?: AvatarService): XmppModule => ({
  name: 'vcard',
  setup(host, ctx) {
    host.features.add(NS_VCARD);
    host.iq(
      NS_VCARD,
      (iq, session) => {
        const self = session.account!;
        const to = parseJid(iq.attrs.to);
        const own = to?.full === session.jid!.bare;
        const account = to && !to.resource && to.local ? ctx.account(to.bare) : undefined;
        // Colleagues only (the roster is the domain); the server itself has no vCard here.
        if (!account || account.domain !== self.domain) return errorReply(iq, 'cancel', 'service-unavailable');
        if (iq.attrs.type === 'set') {
          const v = iq.getChild('vCard', NS_VCARD);
          if (own && avatars && v && namesUnchanged(v, self)) {
            const photo = v.getChild('PHOTO');
            const binval = photo?.getChildText('BINVAL')?.replace(/\s+/g, '');
            if (photo && !binval) return errorReply(iq, 'modify', 'bad-request', 'a PHOTO here carries its image as BINVAL');
            const r = avatars.setPhoto(self, binval ? { type: photo?.getChildText('TYPE') ?? 'image/png', binval } : undefined);
            return r ? errorReply(iq, r.type, r.condition, r.text) : iqResult(iq);
          }
          return own
            ? errorReply(iq, 'cancel', 'not-allowed', 'your name comes from the mail directory; ask your administrator to change it')
            : errorReply(iq, 'auth', 'forbidden', 'only its owner may change a vCard');
        }
        return iqResult(iq, vcardOf(account, avatars));
      },
      { forAccounts: true },
    );
  },
});
