// What Dovecot's push_notification_lua driver sends us, through deploy/dovecot-herald-push.lua:
// one POST per mail transaction, `{user, events: [{event, mailbox, uid?, uidValidity?, ...}]}`.
// The Lua driver is used rather than the OX one because OX sends MessageNew only (Dovecot 2.3
// push-notification-driver-ox.c); Lua has every event the counts need: MessageNew/Append,
// FlagsSet/FlagsClear (read and unread), MessageExpunge and the Mailbox* events.
import { z } from 'zod';
import type { MailChange } from '../source.ts';

/** Event names the script sends; `Changes` stands for a transaction too large to list (one per mailbox). */
const EVENT_NAMES = [
  'MessageNew',
  'MessageAppend',
  'FlagsSet',
  'FlagsClear',
  'MessageExpunge',
  'MailboxCreate',
  'MailboxDelete',
  'MailboxRename',
  'MailboxSubscribe',
  'MailboxUnsubscribe',
  'Changes',
] as const;

const uid = z.number().int().min(0).max(0xffffffff);

// Non-strict objects: fields a later script adds are dropped, not refused.
const PushEventSchema = z.object({
  event: z.enum(EVENT_NAMES),
  mailbox: z.string().min(1).max(1024),
  uid: uid.optional(),
  uidValidity: uid.optional(),
  oldMailbox: z.string().max(1024).optional(),
});

export const DovecotPushSchema = z.object({
  user: z.string().min(1).max(320),
  /** The script sends at most 200 events per POST (more become one `Changes` per mailbox). */
  events: z.array(PushEventSchema).min(1).max(1000),
});
export type DovecotPush = z.infer<typeof DovecotPushSchema>;

const KIND: Record<(typeof EVENT_NAMES)[number], MailChange['kind']> = {
  MessageNew: 'new',
  MessageAppend: 'new',
  FlagsSet: 'flags',
  FlagsClear: 'flags',
  MessageExpunge: 'expunge',
  MailboxCreate: 'mailbox',
  MailboxDelete: 'mailbox',
  MailboxRename: 'mailbox',
  MailboxSubscribe: 'mailbox',
  MailboxUnsubscribe: 'mailbox',
  Changes: 'mailbox',
};

/** The changes of one push, one per (kind, folder). */
export function changesOf(push: DovecotPush): MailChange[] {
  const seen = new Map<string, MailChange>();
  for (const e of push.events) {
    const c: MailChange = { kind: KIND[e.event], folder: e.mailbox };
    seen.set(`${c.kind}\0${c.folder}`, c);
  }
  return [...seen.values()];
}
