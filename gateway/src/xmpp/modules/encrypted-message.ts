// Recognises end-to-end encrypted messages, for the company's policy (e2ee-policy.ts) and the
// central IM log, which records that a message was encrypted instead of its (unreadable) text.
// Schemes: OMEMO (XEP-0384: the legacy eu.siacs.conversations.axolotl namespace that Conversations,
// Dino, Gajim and profanity use, and urn:xmpp:omemo:2), OpenPGP for XMPP (XEP-0373 <openpgp/>),
// legacy OpenPGP (XEP-0027 <x xmlns='jabber:x:encrypted'/>), and anything a client declares with
// Explicit Message Encryption (XEP-0380 <encryption namespace/>, OTR among them), or OTR by its
// "?OTR" body prefix. Such a message's <body>, if any, is by convention (XEP-0380 §3, XEP-0384
// §5.1) a fallback text ("I sent you an OMEMO encrypted message…") or ciphertext — never the
// content — so the whole message counts as encrypted, whatever its body says.
import type { Element } from 'ltx';

/** How a message is encrypted, as written in the central IM log. */
export type EncryptionMethod = 'omemo' | 'omemo:2' | 'openpgp' | 'pgp' | 'otr' | `eme:${string}`;

const PAYLOADS: [name: string, xmlns: string, method: EncryptionMethod][] = [
  ['encrypted', 'eu.siacs.conversations.axolotl', 'omemo'],
  ['encrypted', 'urn:xmpp:omemo:2', 'omemo:2'],
  ['openpgp', 'urn:xmpp:openpgp:0', 'openpgp'],
  ['x', 'jabber:x:encrypted', 'pgp'],
];
const NS_EME = 'urn:xmpp:eme:0';
/** XEP-0380 §4: the namespaces of well-known schemes. */
const EME: Record<string, EncryptionMethod> = {
  'eu.siacs.conversations.axolotl': 'omemo',
  'urn:xmpp:omemo:2': 'omemo:2',
  'urn:xmpp:openpgp:0': 'openpgp',
  'jabber:x:encrypted': 'pgp',
  'urn:xmpp:otr:0': 'otr',
};
// OTR puts its ciphertext (and its query and whitespace tags) in the body: "?OTR:", "?OTRv3?".
const OTR_BODY = /^\?OTR[:v?,]/;
const SAFE = /^[\x21-\x7e]{1,100}$/;

/** The message's encryption scheme, or undefined for a message whose body can be read as is. */
export function encryptionOf(message: Element): EncryptionMethod | undefined {
  for (const [name, xmlns, method] of PAYLOADS) if (message.getChild(name, xmlns)) return method;
  const eme = message.getChild('encryption', NS_EME);
  if (eme) {
    const ns = eme.attrs.namespace ?? '';
    // An unknown scheme is named by its namespace (printable and bounded: it goes into the log).
    return EME[ns] ?? `eme:${SAFE.test(ns) ? ns : 'unknown'}`;
  }
  const body = message.getChildText('body');
  return body && OTR_BODY.test(body) ? 'otr' : undefined;
}

/**
 * Whether an encrypted message carries something a user reads: an OMEMO element without
 * <payload/> is key transport or a session heartbeat (XEP-0384 §4.4, §7.6: "empty OMEMO
 * messages"), sent by the clients themselves — the policy refuses it like any OMEMO under
 * `deny`, but the central log does not count it as a message.
 */
export function carriesContent(message: Element): boolean {
  const omemo = message.getChild('encrypted', 'eu.siacs.conversations.axolotl') ?? message.getChild('encrypted', 'urn:xmpp:omemo:2');
  return !omemo || omemo.getChild('payload') !== undefined;
}
