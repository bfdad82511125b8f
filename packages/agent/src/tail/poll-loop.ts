/**
 * The lifecycle of a polling tail: idle until started, polling until stopped. Polls from the timer and from
 * `pollNow()` run one after another, never interleaved; `stop()` waits for the poll in progress.
 */
import { makeError } from '@wuwatch/core';

/** Lifecycle of a tailer: idle until started, reading (polling) until stopped. */
export type TailState = 'idle' | 'reading' | 'stopped';

/** Runs `poll` now and then every `pollMs` after the previous one ended, one at a time, until stopped. */
export class PollLoop {
  private current: TailState = 'idle';
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private started: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly pollMs: number,
    private readonly poll: () => Promise<void>,
  ) {}

  /** Current lifecycle state. */
  get state(): TailState {
    return this.current;
  }

  /** True once `stop()` was called: a poll in progress ends after its current step. */
  get stopRequested(): boolean {
    return this.stopping !== null;
  }

  /** Runs `prepare`, queues the first poll, then keeps polling; resolves once prepared. Idempotent while running. */
  start(prepare: () => Promise<void>): Promise<void> {
    if (this.stopping !== null) {
      return Promise.reject(makeError('INTERNAL', ['a stopped log tailer was started again; create a new one']));
    }
    if (this.started !== null) return this.started;
    this.current = 'reading';
    // The first poll is queued before start() resolves, so a pollNow() that follows runs after it.
    this.started = prepare().then(() => {
      void this.enqueue().then(() => this.schedule());
    });
    return this.started;
  }

  /** Runs one poll now (after any poll in progress); for tests and the simulator. */
  async pollNow(): Promise<void> {
    if (this.started === null) throw makeError('INTERNAL', ['pollNow() called before start()']);
    await this.started;
    await this.enqueue();
  }

  /** Stops polling: waits for the poll in progress, then runs `finish`. Idempotent. */
  stop(finish: () => Promise<void>): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.clearTimer();
    this.stopping = (async () => {
      await this.started;
      await this.chain;
      this.clearTimer();
      try {
        await finish();
      } finally {
        this.current = 'stopped';
      }
    })();
    return this.stopping;
  }

  private schedule(): void {
    if (this.stopping !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.enqueue().then(() => this.schedule());
    }, this.pollMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private enqueue(): Promise<void> {
    const next = this.chain.then(() => (this.stopping === null ? this.poll() : undefined));
    // `poll` reports its own failures; the chain must go on after one.
    this.chain = next.catch(() => undefined);
    return next;
  }
}
