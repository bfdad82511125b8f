/**
 * Pure planning of the events table's daily partitions: which days to create ahead, which partitions lie wholly
 * behind the retention window (drop) and which straddle it (trim row by row). Data in, data out; the SQL is in
 * maintenance.ts.
 */

const DAY_MS = 86_400_000;

/** Prefix of a daily partition's name; the suffix is its UTC day as YYYYMMDD. */
export const DAILY_PREFIX = 'events_p';
/** The partition that takes rows no daily partition covers. */
export const DEFAULT_PARTITION = 'events_default';

/** One partition of `events` as the catalogue describes it. */
export interface PartitionInfo {
  name: string;
  /** Lower bound (inclusive); null for MINVALUE or the default partition. */
  from: Date | null;
  /** Upper bound (exclusive); null for MAXVALUE or the default partition. */
  to: Date | null;
  isDefault: boolean;
}

/** What one maintenance run should do. */
export interface PartitionPlan {
  /** Oldest received_at kept: the start of the UTC day `days` days before today's. */
  cutoff: Date;
  /** UTC days (midnight) whose partition must be created. */
  create: Date[];
  /** Partitions wholly older than the cutoff. */
  drop: string[];
  /** Partitions holding rows on both sides of the cutoff (the migrated legacy table; the default partition). */
  trim: string[];
}

/** Midnight UTC of `d`'s day. */
export function utcDay(d: Date): Date {
  return new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
}

/** `d` plus `n` days. */
export function addDays(d: Date, n: number): Date {
  return new Date(d.getTime() + n * DAY_MS);
}

/** Name of the daily partition of the UTC day `day`. */
export function dailyPartitionName(day: Date): string {
  return DAILY_PREFIX + day.toISOString().slice(0, 10).replaceAll('-', '');
}

/** Start of the retention window: rows received before it are removed. */
export function retentionCutoff(now: Date, days: number): Date {
  return addDays(utcDay(now), -days);
}

/**
 * Plans a run at `now`: keep `days` whole UTC days before today plus today, have a partition for every day from
 * today to `aheadDays` ahead, drop what lies wholly behind, trim what straddles the cutoff.
 */
export function planPartitions(
  existing: readonly PartitionInfo[],
  opts: { now: Date; days: number; aheadDays: number },
): PartitionPlan {
  const cutoff = retentionCutoff(opts.now, opts.days);
  const today = utcDay(opts.now);
  const covered = (day: Date) =>
    existing.some(
      (p) =>
        !p.isDefault &&
        (p.from === null || p.from.getTime() <= day.getTime()) &&
        (p.to === null || p.to.getTime() >= addDays(day, 1).getTime()),
    );
  const create: Date[] = [];
  for (let i = 0; i <= opts.aheadDays; i++) {
    const day = addDays(today, i);
    if (!covered(day)) create.push(day);
  }
  const drop: string[] = [];
  const trim: string[] = [];
  for (const p of existing) {
    if (p.isDefault) trim.push(p.name);
    else if (p.to !== null && p.to.getTime() <= cutoff.getTime()) drop.push(p.name);
    else if (p.from === null || p.from.getTime() < cutoff.getTime()) trim.push(p.name);
  }
  return { cutoff, create, drop, trim };
}

/** Parses PostgreSQL's partition bound text (`FOR VALUES FROM (…) TO (…)` or `DEFAULT`) into a PartitionInfo. */
export function parsePartitionBound(name: string, bound: string): PartitionInfo {
  if (/^\s*DEFAULT\s*$/i.test(bound)) return { name, from: null, to: null, isDefault: true };
  const m = /FROM \((.+?)\) TO \((.+?)\)/.exec(bound);
  if (!m) throw new Error(`unexpected partition bound for ${name}: ${bound}`);
  const value = (v: string): Date | null => {
    if (/^(MINVALUE|MAXVALUE)$/i.test(v.trim())) return null;
    const d = new Date(isoOfPgTimestamptz(v.trim().replace(/^'|'$/g, '')));
    if (Number.isNaN(d.getTime())) throw new Error(`unexpected partition bound value for ${name}: ${v}`);
    return d;
  };
  return { name, from: value(m[1] ?? ''), to: value(m[2] ?? ''), isDefault: false };
}

/** PostgreSQL's timestamptz text ("2026-12-07 00:00:00+00", any session time zone) as ISO 8601 for Date. */
function isoOfPgTimestamptz(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/.exec(text);
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}` : text;
}
