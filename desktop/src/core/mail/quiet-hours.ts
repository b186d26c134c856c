// Quiet hours in local time: `from`–`to` as HH:MM; `from` after `to` spans midnight
// (22:00–07:00); equal times mean no quiet hours at all.

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inQuietHours(q: { enabled: boolean; from: string; to: string }, now: Date): boolean {
  if (!q.enabled) return false;
  const from = minutes(q.from);
  const to = minutes(q.to);
  if (from === to) return false;
  const t = now.getHours() * 60 + now.getMinutes();
  return from < to ? t >= from && t < to : t >= from || t < to;
}
