/**
 * When to probe again: the regular interval while the WSUS server answers, and `@wuwatch/core`'s exponential
 * backoff with full jitter while it does not, so a fleet whose WSUS went down at once does not hammer it in lockstep
 * when it comes back.
 */
import { Backoff, type RandomFn } from '@wuwatch/core';

export type { RandomFn } from '@wuwatch/core';

/** Settings of {@link ProbeBackoff}. */
export interface ProbeBackoffOptions {
  /** Delay between probes while the server answers. */
  intervalMs: number;
  /** First retry ceiling after a failure. */
  baseMs: number;
  /** Largest retry ceiling; usually the normal interval. */
  maxMs: number;
  random?: RandomFn;
}

/** Counts consecutive failures and turns each probe result into the delay before the next probe. */
export class ProbeBackoff {
  private readonly backoff: Backoff;

  constructor(private readonly options: ProbeBackoffOptions) {
    this.backoff = new Backoff({ baseMs: options.baseMs, capMs: options.maxMs }, options.random);
  }

  /** Consecutive failed probes so far. */
  get consecutiveFailures(): number {
    return this.backoff.consecutiveFailures;
  }

  /** Records a probe result and returns the delay before the next probe. */
  next(ok: boolean): number {
    if (!ok) return this.backoff.fail();
    this.backoff.reset();
    return this.options.intervalMs;
  }
}
