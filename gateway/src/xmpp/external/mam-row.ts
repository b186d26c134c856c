// One row of ejabberd's message archive (mod_mam with `db_type: sql`, `new_sql_schema: true`; the
// `archive` table of ejabberd's lite.new.sql) as a line of the central IM log, written as the
// embedded server writes it (xmpp/modules/message.ts, muc/groupchat.ts): 1:1 messages from the
// sender's full JID to the address as sent; room messages from the sender's real JID to the room.
//
// ONE LINE PER MESSAGE. mod_mam archives a message once per archive that keeps it (XEP-0313 §3):
//   - a 1:1 message between two local users twice — the sender's copy (`from` = the archive's
//     owner) and the recipient's (also when the recipient is offline; ejabberd stores it on
//     arrival). It is logged from the SENDER's copy, which exists whatever the recipient is: offline,
//     unknown (no recipient copy then), or on another server (s2s). The prefs that could switch the
//     sender's archive off are locked by the generated configuration (`access_preferences: none`).
//   - a message from a sender without an archive here — another server's user, the server itself
//     or a component (Herald's server IMs through XEP-0114) — only in the recipient's archive: logged
//     from that copy.
//   - a room message once, in the room's archive (`kind` groupchat, `username` = the room's JID,
//     `peer` = the sender's real JID); room private messages (XEP-0045 §7.5) like 1:1 ones, from
//     the sender's copy (the recipient's comes from the room's occupant JID).
// Headlines are not archived by mod_mam (XEP-0313 §5.1.1 leaves them out), so unlike the embedded
// server's log they are not in this one.
import { parse, type Element } from 'ltx';
import { parseJid } from '../core/jid.ts';
import { carriesContent, encryptionOf } from '../modules/encrypted-message.ts';
import type { LoggedMessage } from '../modules/message.ts';

export interface MamRow {
  id: number;
  username: string;
  server_host: string;
  /** Microseconds since the epoch. */
  timestamp: number;
  peer: string;
  xml: string;
  kind: string | null;
  nick: string | null;
}

export type MamRowLine = { log: LoggedMessage } | { skip: string } | { bad: string };

const NS_OOB = 'jabber:x:oob';
const TYPES = new Set(['chat', 'normal', 'headline', 'groupchat']);
/** The MUC service of a served domain, as `herald-gateway ejabberd config` names it (mod_muc `host`). */
const MUC_PREFIX = 'conference.';

/**
 * `served(domain)`: whether a domain is one of Herald's (a virtual host of the cluster).
 * `serverIm(stanza, from, to)`: whether a 1:1 message is one of this gateway's own IMs (SEM files,
 * alerts, reminders — xmpp/external/ejabberd-server-im.ts), which the gateway logged when it sent
 * them; `from`/`to` are the bare addresses of the archive's columns, in the direction the copy says.
 */
export function mamRowToLogLine(row: MamRow, served: (domain: string) => boolean, serverIm?: (stanza: Element, from: string, to: string) => boolean): MamRowLine {
  let stanza: Element;
  try {
    stanza = parse(row.xml);
  } catch (e) {
    return { bad: `unparsable xml (${(e as Error).message.slice(0, 100)})` };
  }
  if (stanza.name !== 'message') return { bad: `<${stanza.name.slice(0, 40)}/> where a <message/> was expected` };
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'error') return { skip: 'an error' };
  if (!TYPES.has(type)) return { bad: `unknown message type "${String(type).slice(0, 40)}"` };
  const encrypted = encryptionOf(stanza);
  if (encrypted && !carriesContent(stanza)) return { skip: 'OMEMO key transport' };
  const body = encrypted ? '' : (stanza.getChildText('body') ?? '');
  const attachments = encrypted
    ? []
    : stanza
        .getChildren('x', NS_OOB)
        .map((x) => x.getChildText('url') ?? '')
        .filter(Boolean);
  if (!body && !attachments.length && !encrypted) return { skip: 'no content' };
  const content = { body, attachments, ...(encrypted && { encrypted }) };

  if (row.kind === 'groupchat') {
    // The room's archive: `username` is the room's bare JID, `peer` the sender's real JID.
    const from = row.peer || `${row.username}/${row.nick ?? ''}`;
    return { log: { type: 'groupchat', from, to: row.username, ...content } };
  }
  if (type === 'groupchat') return { skip: 'a room message in a user archive (the room archive has it)' };
  const from = parseJid(stanza.attrs.from);
  if (!from) return { bad: `bad from "${String(stanza.attrs.from ?? '').slice(0, 100)}"` };
  const owner = `${row.username}@${row.server_host}`.toLowerCase();
  const peer = parseJid(row.peer)?.bare;
  if (serverIm && peer && (serverIm(stanza, peer, owner) || serverIm(stanza, owner, peer))) return { skip: 'a server IM (the gateway logged it when it sent it)' };
  const to = stanza.attrs.to ?? owner;
  const line = { log: { type: type as LoggedMessage['type'], from: stanza.attrs.from as string, to, ...content } };
  if (from.bare === owner) return line; // the sender's copy
  if (from.local && served(from.domain)) return { skip: "the recipient's copy (logged from the sender's)" };
  if (from.domain.startsWith(MUC_PREFIX) && served(from.domain.slice(MUC_PREFIX.length))) return { skip: "a room private message's recipient copy (logged from the sender's)" };
  return line; // from a sender without an archive here
}
