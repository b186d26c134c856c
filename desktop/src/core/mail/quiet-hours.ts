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

/** Milliseconds until quiet hours next begin or end (local time), or undefined when there are none. */
export function msUntilQuietChange(q: { enabled: boolean; from: string; to: string }, now: Date): number | undefined {
  if (!q.enabled || q.from === q.to) return undefined;
  const next = (hhmm: string) => {
    const d = new Date(now);
    d.setHours(Number(hhmm.slice(0, 2)), Number(hhmm.slice(3, 5)), 0, 0);
    if (d.getTime() <= now.getTime()) d.setDate(d.getDate() + 1);
    return d.getTime() - now.getTime();
  };
  return Math.min(next(q.from), next(q.to));
}
