/** A stoppable "run, then wait the delay it returns" loop for the agent's periodic sources. */
import type { Logger } from 'pino';

/** A periodic task: `run` returns the delay in ms before the next run. */
export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly run: () => Promise<number>,
    private readonly log: Logger,
    private readonly errorDelayMs: number,
  ) {}

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
      } catch (err) {
        this.log.error({ err, task: this.name }, `${this.name} failed; retrying later`);
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
