/**
 * Machines per status over time, for the summary chart. Kept in memory (a ring buffer sampled every 30 s plus once
 * at start) rather than in a `status_snapshots` table: the chart is a glance at recent trend, not an audit record,
 * and a table would need a migration. The price: history starts again when the collector restarts, and each
 * collector of a multi-instance deployment shows its own samples (of the same shared database).
 */
import type { Logger } from 'pino';
import type { HistoryPoint } from './svg.js';

/** A fixed-size buffer of samples; the oldest is dropped when full. */
export class StatusHistory {
  private readonly buf: HistoryPoint[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** Adds a sample. */
  record(point: HistoryPoint): void {
    if (this.buf.length < this.capacity) {
      this.buf.push(point);
      return;
    }
    this.buf[this.start] = point;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Samples, oldest first. */
  points(): HistoryPoint[] {
    return [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)];
  }
}

/** Samples `summary()` into `history` now and every `intervalMs`; the returned function stops it (and waits). */
export function startSampler(
  history: StatusHistory,
  summary: () => Promise<Record<string, number>>,
  intervalMs: number,
  log: Logger,
): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  const sample = () => {
    if (inFlight) return;
    inFlight = summary()
      .then((byStatus) => history.record({ at: new Date(), byStatus }))
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
