/**
 * Times as people read them: the local time with its zone plus how long ago (or how far ahead), e.g.
 * "14:02 CET, 3 h ago". Machine-readable output (JSON, logs) keeps ISO 8601; this is for tables and messages.
 */

function toDate(v: Date | string | number | null | undefined): Date | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `42 s ago`, `5 min ago`, `3 h ago`, `9 d ago`, or `in 4 h` for a time ahead of `now`. */
export function relativeTime(at: Date, now: Date): string {
  const diff = Math.round((now.getTime() - at.getTime()) / 1000);
  const s = Math.abs(diff);
  const amount =
    s < 60
      ? `${s} s`
      : s < 3600
        ? `${Math.floor(s / 60)} min`
        : s < 86_400
          ? `${Math.floor(s / 3600)} h`
          : `${Math.floor(s / 86_400)} d`;
  if (s < 1) return 'now';
  return diff >= 0 ? `${amount} ago` : `in ${amount}`;
}

function parts(at: Date, timeZone: string | undefined): Record<string, string> {
  const f = new Intl.DateTimeFormat('en-GB', {
    ...(timeZone ? { timeZone } : {}),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
}

/**
 * The local time with its zone: `14:02 CET` on the same local day as `now`, `2026-11-27 14:02 CET` otherwise.
 * `timeZone` is an IANA name (default: the process's zone); an unknown name falls back to UTC.
 */
export function localTime(at: Date, now: Date, timeZone?: string): string {
  let zone = timeZone;
  try {
    if (zone) new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const p = parts(at, zone);
  const n = parts(now, zone);
  const clock = `${p.hour}:${p.minute} ${p.timeZoneName}`;
  const sameDay = p.year === n.year && p.month === n.month && p.day === n.day;
  return sameDay ? clock : `${p.year}-${p.month}-${p.day} ${clock}`;
}

/** `14:02 CET, 3 h ago` (or `-` when absent or not a time): the one way tables and messages show a time. */
export function humanTime(v: Date | string | number | null | undefined, now: Date, timeZone?: string): string {
  const d = toDate(v);
  if (!d) return '-';
  return `${localTime(d, now, timeZone)}, ${relativeTime(d, now)}`;
}
