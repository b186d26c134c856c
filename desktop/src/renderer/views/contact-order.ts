// The order contacts are listed in: the most available first, then by name.
import type { Contact } from '../../shared/chat.ts';

const RANK: Record<Contact['show'], number> = { online: 0, away: 1, xa: 2, dnd: 1, offline: 3 };
export const byPresenceThenName = (a: Contact, b: Contact) => RANK[a.show] - RANK[b.show] || a.name.localeCompare(b.name);
