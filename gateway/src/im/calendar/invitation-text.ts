// The IM summary of an iMIP message (invitation.ts), in the recipient's time zone:
//
//   Invitation: Design review
//   When: Tue 1 Dec 2026, 14:30–15:30 (Europe/Berlin), repeats weekly on Tuesday
//   Where: Room 4.01
//   Organizer: Bob Builder <bob@example.com>
//   Attendees: Alice Liddell <alice@example.com> (you), Carol <carol@example.org>
//   Conflicts with: Team standup (Tue 1 Dec 2026, 14:00–15:00)
//
// A CANCEL says "Cancelled:", a REPLY "Reply:" with the answering attendee and what they said.
import type { Occurrence, Person } from './calendar-object.ts';
import type { Invitation } from './invitation.ts';
import { clean } from './reminder-text.ts';
import { formatWhen } from './zoned-time.ts';

/** An event of the recipient's calendar that overlaps the invitation. */
export interface Conflict {
  summary: string;
  start: number;
  end: number;
  allDay: boolean;
}

export interface InvitationTextOptions {
  /** The recipient (marked "(you)"). */
  recipient: string;
  timeZone: string;
  now: number;
  locale?: string;
  /** Overlapping events; undefined: not checked (no calendar configured, or unreachable). */
  conflicts?: Conflict[];
  /** Why conflicts were not checked, when they could have been. */
  conflictsUnknown?: string;
}

const MAX_PEOPLE = 10;
const MAX_CONFLICTS = 5;

const PARTSTAT: Record<string, string> = {
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'tentatively accepted',
  DELEGATED: 'delegated',
  'NEEDS-ACTION': 'has not answered',
};

function who(p: Person, recipient: string): string {
  const name = p.name ? clean(p.name) : undefined;
  const you = p.address === recipient.toLowerCase() ? ' (you)' : '';
  return `${name && name.toLowerCase() !== p.address ? `${name} <${p.address}>` : p.address}${you}`;
}

export function invitationText(inv: Invitation, o: InvitationTextOptions): string {
  const when = (x: Pick<Occurrence, 'start' | 'end' | 'allDay'>) => formatWhen(x.start, x.end, o.timeZone, { allDay: x.allDay, now: o.now, locale: o.locale });
  const title = clean(inv.summary);
  const lines: string[] = [];
  if (inv.method === 'REQUEST') lines.push(`${inv.update ? 'Updated invitation' : 'Invitation'}: ${title}`);
  else if (inv.method === 'CANCEL') lines.push(`Cancelled: ${title}`);
  else lines.push(`Reply: ${title}`);

  if (inv.method === 'REPLY') {
    for (const a of inv.attendees.slice(0, MAX_PEOPLE)) lines.push(`${who(a, o.recipient)} ${PARTSTAT[a.partstat ?? 'NEEDS-ACTION'] ?? (a.partstat ?? '').toLowerCase()}`);
  }
  const repeats = inv.repeats ? `, repeats ${inv.repeats}` : '';
  lines.push(`When: ${when(inv.first)} (${o.timeZone})${repeats}`);
  if (inv.location) lines.push(`Where: ${clean(inv.location)}`);
  if (inv.organizer) lines.push(`Organizer: ${who(inv.organizer, o.recipient)}`);
  if (inv.method !== 'REPLY' && inv.attendees.length) {
    const shown = inv.attendees.slice(0, MAX_PEOPLE).map((a) => who(a, o.recipient));
    const more = inv.attendees.length - shown.length;
    lines.push(`Attendees: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  if (inv.method === 'REQUEST') {
    if (o.conflicts?.length) {
      const shown = o.conflicts.slice(0, MAX_CONFLICTS).map((c) => `${clean(c.summary)} (${when(c)})`);
      const more = o.conflicts.length - shown.length;
      lines.push(`Conflicts with: ${shown.join('; ')}${more > 0 ? ` and ${more} more` : ''}`);
    } else if (o.conflictsUnknown) lines.push(`(Conflicts not checked: ${o.conflictsUnknown})`);
  }
  return lines.join('\n');
}
