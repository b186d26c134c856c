// Deduplication: the same message can reach the app more than once — a stream-management resend
// after a failed resumption (XEP-0198 §4: the sender cannot know what the server handled), the
// offline store and the MAM catch-up (XEP-0313) both bringing it, a room's history on rejoin, a
// carbon (XEP-0280) and the archive. Each message gets keys; two messages are the same when any
// key is shared:
// - `m:` sender + its stanza id (or XEP-0359 origin-id) + a hash of the text — what a resend keeps.
//   The text is part of the key because some clients number their ids per session ("1", "2"...),
//   and a new message under a reused id must not vanish;
// - `s:` the archive id the server stamped (XEP-0359 stanza-id, by the archive's owner) —
//   what the archive and the live copy share when a client sent no id.
// Without either (no id, no archive), the sender, the second and the text stand in. An id the app
// made up for a message that came without one starts with `~` (localId) and is not a key.
import { bareJid } from './jid.ts';

export interface KeyedMessage {
  kind: 'chat' | 'groupchat';
  /** Sender: any address (1:1 keys use its bare form; rooms the occupant's room@service/nick). */
  from: string;
  id?: string;
  sid?: string;
  at: string;
  body: string;
}

/** FNV-1a, 32 bits: short and stable; collisions only matter together with sender and id. */
export function textHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export function messageKeys(m: KeyedMessage): string[] {
  const sender = m.kind === 'groupchat' ? m.from : bareJid(m.from);
  const keys: string[] = [];
  if (m.id && !m.id.startsWith('~')) keys.push(`m:${sender}|${m.id}|${textHash(m.body)}`);
  if (m.sid) keys.push(`s:${m.sid}`);
  if (!keys.length) keys.push(`t:${sender}|${m.at.slice(0, 19)}|${textHash(m.body)}`);
  return keys;
}

/** An id for a message that arrived without one (not used as a key: see above). */
export const localId = (m: Omit<KeyedMessage, 'id'>): string => `~${m.sid ?? `${m.at}-${textHash(m.from + m.body)}`}`;
