/**
 * Partition maintenance of `events` and pruning of the rollups, one short transaction per step: create the days
 * ahead, move strays out of the default partition, drop whole partitions behind the window, trim the partitions that
 * straddle it in small batches, prune rollups. Every step takes the retention advisory lock for its transaction, so
 * with several collectors on one database one does a step at a time (and the steps are idempotent anyway), and a
 * short lock_timeout, so a DROP waiting behind a long query gives up instead of queueing every insert behind it.
 */
import type { Database, Queryable } from '../db/index.js';
import {
  DEFAULT_PARTITION,
  addDays,
  dailyPartitionName,
  parsePartitionBound,
  planPartitions,
  retentionCutoff,
  utcDay,
  type PartitionInfo,
} from './plan.js';

/** Advisory lock key of retention (ASCII "wuwr"); every collector uses the same. */
export const RETENTION_LOCK_KEY = 0x77757772;

/** Knobs of one maintenance run. */
export interface RetentionOptions {
  /** Raw events are kept for this many whole UTC days before today (plus today). */
  days: number;
  /** Rollups (detection timeline, status samples) are kept this many days. */
  rollupDays: number;
  /** Daily partitions exist this many days ahead. */
  aheadDays: number;
  /** Rows deleted per transaction when trimming a straddling partition. */
  trimBatchRows: number;
  /** lock_timeout of each DDL step. */
  lockTimeoutMs: number;
  /**
   * Pause between two partition drops. A DROP briefly holds ACCESS EXCLUSIVE on `events` (and locks the tables its
   * foreign keys reference), so writers queue behind it; pacing the drops spreads those stalls out, which matters on
   * the first run over months of history (steady state drops one partition a day).
   */
  pauseMs: number;
}

/** What one run did. */
export interface RetentionResult {
  led: boolean;
  created: string[];
  dropped: string[];
  trimmedRows: number;
  movedFromDefault: number;
  rollupsPruned: number;
}

/** The partitions of `events` with their bounds. */
export async function listPartitions(q: Queryable): Promise<PartitionInfo[]> {
  const { rows } = await q.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'events'::regclass ORDER BY c.relname`,
  );
  return rows.map((r) => parsePartitionBound(r.name, r.bound));
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Runs `fn` in a transaction holding the retention lock; null when another collector holds it. */
async function step<T>(db: Database, lockTimeoutMs: number, fn: (q: Queryable) => Promise<T>): Promise<T | null> {
  return db.withTransaction(async (q) => {
    const { rows } = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      RETENTION_LOCK_KEY,
    ]);
    if (!rows[0]?.locked) return null;
    await q.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    return fn(q);
  });
}

/** Creates the daily partition of `day`, moving any rows of that day out of the default partition first. */
async function createDay(q: Queryable, day: Date): Promise<number> {
  const name = quoteIdent(dailyPartitionName(day));
  const from = day.toISOString();
  const to = addDays(day, 1).toISOString();
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${quoteIdent(DEFAULT_PARTITION)} WHERE received_at >= $1 AND received_at < $2`,
    [from, to],
  );
  const strays = rows[0]?.n ?? 0;
  if (strays === 0) {
    await q.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF events FOR VALUES FROM ('${from}') TO ('${to}')`);
    return 0;
  }
  // ATTACH refuses a range the default partition still holds rows of: build the table, move the rows, attach.
  await q.query(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS)`);
  await q.query(
    `WITH moved AS (DELETE FROM ${quoteIdent(DEFAULT_PARTITION)} WHERE received_at >= $1 AND received_at < $2
       RETURNING *) INSERT INTO ${name} SELECT * FROM moved`,
    [from, to],
  );
  await q.query(`ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
  return strays;
}

/** Days (UTC midnight) of rows sitting in the default partition inside the window. */
async function strayDays(q: Queryable, cutoff: Date): Promise<Date[]> {
  const { rows } = await q.query<{ day: Date }>(
    `SELECT DISTINCT date_trunc('day', received_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day
     FROM ${quoteIdent(DEFAULT_PARTITION)} WHERE received_at >= $1 ORDER BY 1 LIMIT 400`,
    [cutoff.toISOString()],
  );
  return rows.map((r) => utcDay(new Date(r.day)));
}

/** One maintenance run at `now` (see the module comment). */
export async function runRetention(db: Database, opts: RetentionOptions, now: Date): Promise<RetentionResult> {
  const result: RetentionResult = {
    led: true,
    created: [],
    dropped: [],
    trimmedRows: 0,
    movedFromDefault: 0,
    rollupsPruned: 0,
  };
  const plan = planPartitions(await listPartitions(db), { now, ...opts });
  const lead = <T>(v: T | null): v is T => {
    if (v === null) result.led = false;
    return v !== null;
  };
  const days = [...plan.create];
  if (plan.trim.includes(DEFAULT_PARTITION)) {
    const stray = await strayDays(db, plan.cutoff);
    for (const d of stray) if (!days.some((x) => x.getTime() === d.getTime())) days.push(d);
  }
  for (const day of days) {
    const moved = await step(db, opts.lockTimeoutMs, (q) => createDay(q, day));
    if (!lead(moved)) return result;
    result.movedFromDefault += moved;
    result.created.push(dailyPartitionName(day));
  }
  for (const [i, name] of plan.drop.entries()) {
    if (i > 0 && opts.pauseMs > 0) await new Promise((r) => setTimeout(r, opts.pauseMs));
    const done = await step(db, opts.lockTimeoutMs, async (q) => {
      await q.query(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
      return true;
    });
    if (!lead(done)) return result;
    result.dropped.push(name);
  }
  for (const name of plan.trim) {
    for (;;) {
      const n = await step(db, opts.lockTimeoutMs, async (q) => {
        // Partitions are plain tables: ctid batches keep each DELETE short; the rows are few (one-time legacy).
        const r = await q.query(
          `DELETE FROM ${quoteIdent(name)} WHERE ctid = ANY (ARRAY(
             SELECT ctid FROM ${quoteIdent(name)} WHERE received_at < $1 LIMIT ${opts.trimBatchRows}))`,
          [plan.cutoff.toISOString()],
        );
        return r.rowCount;
      });
      if (!lead(n)) return result;
      result.trimmedRows += n;
      if (n < opts.trimBatchRows) break;
    }
  }
  const pruned = await step(db, opts.lockTimeoutMs, async (q) => {
    const rollupCutoff = retentionCutoff(now, opts.rollupDays);
    const a = await q.query(`DELETE FROM detection_days WHERE day < $1::date OR day > $2::date`, [
      rollupCutoff.toISOString().slice(0, 10),
      addDays(utcDay(now), 2).toISOString().slice(0, 10),
    ]);
    const b = await q.query(`DELETE FROM status_samples WHERE "at" < $1`, [rollupCutoff.toISOString()]);
    return a.rowCount + b.rowCount;
  });
  if (lead(pruned)) result.rollupsPruned = pruned;
  return result;
}
