/**
 * Machines per status over time, for the summary chart, kept in the `status_samples` rollup table: a sample every
 * interval, stored at the start of its slot with ON CONFLICT DO NOTHING, so the history survives a restart and
 * several collectors on one database write one sample per slot between them. Retention prunes samples older than
 * retention.rollupDays (one row per slot for the whole fleet, so the size does not grow with the fleet).
 */
import type { Logger } from 'pino';
import type { Queryable } from '../db/index.js';
import type { HistoryPoint } from './svg.js';

/** Stores one sample in the slot of `at` (intervals of `intervalMs` since the epoch); false if the slot had one. */
export async function recordSample(
  q: Queryable,
  at: Date,
  intervalMs: number,
  byStatus: Record<string, number>,
): Promise<boolean> {
  const slot = new Date(Math.floor(at.getTime() / intervalMs) * intervalMs);
  const { rowCount } = await q.query(
    `INSERT INTO status_samples ("at", by_status) VALUES ($1, $2::jsonb) ON CONFLICT ("at") DO NOTHING`,
    [slot, JSON.stringify(byStatus)],
  );
  return rowCount === 1;
}

/** The newest `limit` samples, oldest first. */
export async function loadHistory(q: Queryable, limit: number): Promise<HistoryPoint[]> {
  const { rows } = await q.query<{ at: Date; by_status: Record<string, number> }>(
    `SELECT "at", by_status FROM status_samples ORDER BY "at" DESC LIMIT $1`,
    [limit],
  );
  return rows.reverse().map((r) => ({ at: new Date(r.at), byStatus: r.by_status }));
}

/** Samples `summary()` into the table now and every `intervalMs`; the returned function stops it (and waits). */
export function startSampler(
  db: Queryable,
  summary: () => Promise<Record<string, number>>,
  intervalMs: number,
  log: Logger,
): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  const sample = () => {
    if (inFlight) return;
    inFlight = summary()
      .then((byStatus) => recordSample(db, new Date(), intervalMs, byStatus))
      .then(() => undefined)
      // A missed sample leaves a gap in a chart; it must not take the collector down.
      .catch((err: unknown) => log.warn({ err }, 'dashboard: status sample failed'))
      .finally(() => {
        inFlight = null;
      });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    if (inFlight) await inFlight;
  };
}
