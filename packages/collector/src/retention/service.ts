/**
 * Runs partition maintenance and rollup pruning at start and then on an interval. Any collector may run it: each
 * step takes the retention advisory lock, so on a shared database only one does a given step at a time.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/index.js';
import { runRetention, type RetentionOptions, type RetentionResult } from './maintenance.js';

/** Schedules retention runs; `stop()` waits for a run in progress. */
export class RetentionService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionResult | null> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly opts: RetentionOptions & { intervalMinutes: number; log: Logger; now?: () => Date },
  ) {}

  /** Runs once now, then every `intervalMinutes`. */
  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.opts.intervalMinutes * 60_000);
    this.timer.unref();
  }

  /** One run (joins one in progress); null when stopped or when it failed (logged). */
  async run(): Promise<RetentionResult | null> {
    if (this.stopped) return null;
    this.running ??= (async () => {
      try {
        const r = await runRetention(this.db, this.opts, this.opts.now?.() ?? new Date());
        if (r.created.length || r.dropped.length || r.trimmedRows || r.movedFromDefault || r.rollupsPruned)
          this.opts.log.info(r, 'retention: partitions maintained');
        return r;
      } catch (err) {
        // A missed run is retried on the next interval; a DROP that timed out on its lock is the usual cause.
        this.opts.log.warn({ err }, 'retention run failed; retrying at the next interval');
        return null;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Stops the schedule and waits for a running run. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
