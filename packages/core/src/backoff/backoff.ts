/**
 * Retry delays, pure: exponential backoff with full jitter and a cap (AWS architecture blog, "Exponential Backoff
 * and Jitter"), so a fleet that lost its collector, or a WSUS server or alert receiver that comes back, is not hit
 * by every retry at the same instant. The agent's reconnects, its WSUS probe and the collector's alert delivery all
 * take their delays from here.
 */

/** A random source in [0, 1), injectable for tests. */
export type RandomFn = () => number;

/** How delays grow. */
export interface BackoffOptions {
  /** Ceiling of the first retry (after one failure). */
  baseMs: number;
  /** Largest ceiling, however many failures. */
  capMs: number;
  /** Smallest delay ever returned: a tight loop must be impossible even with an unlucky draw (default 0). */
  floorMs?: number;
}

/**
 * Delay before the next try after `failures` failures in a row (0 = the first try after the first failure):
 * uniform in [floor, min(cap, base · 2^failures)), an integer number of milliseconds.
 */
export function backoffDelay(failures: number, opts: BackoffOptions, random: RandomFn = Math.random): number {
  const n = Number.isFinite(failures) ? Math.max(0, Math.floor(failures)) : 0;
  const base = Math.max(0, opts.baseMs);
  const cap = Math.max(0, opts.capMs);
  // Cap the exponent: 2 ** 1100 is Infinity (and base 0 × Infinity is NaN); the cap is reached long before anyway.
  const ceiling = base === 0 ? 0 : Math.min(cap, base * 2 ** Math.min(n, 52));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  const floor = Math.min(Math.max(0, opts.floorMs ?? 0), ceiling);
  return Math.max(floor, Math.floor(r * ceiling));
}

/** Counts failures in a row and turns each outcome into the delay before the next try. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: RandomFn = Math.random,
  ) {}

  /** Failures in a row so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Records a failure and returns the delay before the next try. */
  fail(): number {
    const delay = backoffDelay(this.failures, this.opts, this.random);
    this.failures++;
    return delay;
  }

  /** Records a success: the next failure starts from the base again. */
  reset(): void {
    this.failures = 0;
  }
}
