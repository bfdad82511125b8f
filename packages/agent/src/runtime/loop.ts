/**
 * A stoppable "run, then wait the delay it returns" loop for the agent's periodic sources. A source that fails on
 * every run (a tool missing, access denied) is logged once per distinct failure and once when it works again, not
 * on every run: a day of the same line would hide the one that says what changed.
 */
import type { Logger } from 'pino';
import { failureKey, failureLog, type FailureLog } from '../log/log-on-change.js';

/** A periodic task: `run` returns the delay in ms before the next run. */
export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly failures: FailureLog;

  constructor(
    private readonly name: string,
    private readonly run: () => Promise<number>,
    log: Logger,
    private readonly errorDelayMs: number,
  ) {
    this.failures = failureLog(log, `source ${name}`);
  }

  /** Runs now, then keeps scheduling itself. */
  start(): void {
    this.tick();
  }

  /** Runs immediately (if not already running). */
  trigger(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.tick();
    return this.running ?? Promise.resolve();
  }

  private tick(): void {
    if (this.stopped || this.running) return;
    this.running = (async () => {
      let delay = this.errorDelayMs;
      try {
        delay = await this.run();
        this.failures.recovered({ task: this.name });
      } catch (err) {
        this.failures.failed({
          key: failureKey(err),
          fields: { err, task: this.name },
          msg: `${this.name} failed; retrying (logged again only when the failure changes)`,
        });
      } finally {
        this.running = null;
      }
      if (!this.stopped) {
        this.timer = setTimeout(() => this.tick(), delay);
        this.timer.unref();
      }
    })();
  }

  /** Stops scheduling and waits for a run in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
