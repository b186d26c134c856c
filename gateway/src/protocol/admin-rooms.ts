// What the console's Rooms, Message log and Scripts pages exchange with the admin API (beside
// admin-api.ts, which the foundation's pages use).
import { z } from 'zod';

export interface RoomSummary {
  jid: string;
  name: string;
  subject: string;
  persistent: boolean;
  membersOnly: boolean;
  public: boolean;
  createdAt: number;
  members: { jid: string; affiliation: string }[];
  occupants: { nick: string; jid: string; role: string }[];
}

export const CloseRoomSchema = z.object({ room: z.string().min(3).max(3071), reason: z.string().max(500).optional() });
export const SpoolFileSchema = z.object({ name: z.string().min(1).max(255) });

const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const LogQuerySchema = z.object({
  user: z.string().max(3071).optional(),
  room: z.string().max(3071).optional(),
  since: z.string().regex(DAY).optional(),
  until: z.string().regex(DAY).optional(),
  text: z.string().max(1000).optional(),
  page: z.coerce.number().int().min(1).max(100_000).optional(),
});
export type LogQuery = z.infer<typeof LogQuerySchema>;

export const BulkPackagesSchema = z.object({ domain: z.string().min(1).max(253), build: z.string().min(1).max(255) });
