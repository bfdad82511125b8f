/**
 * When to probe again. Exponential backoff with full jitter (AWS architecture blog): a fleet whose WSUS
 * went down at once does not hammer it in lockstep when it comes back.
 */

/** A random source in [0, 1), injectable for tests. */
export type RandomFn = () => number;

/**
 * Delay before the next probe after `consecutiveFailures` failures in a row: uniform in
 * [0, min(maxMs, baseMs · 2^failures)] (full jitter), as an integer number of milliseconds.
 */
export function nextProbeDelay(
  consecutiveFailures: number,
  baseMs: number,
  maxMs: number,
  random: RandomFn = Math.random,
): number {
  const failures = Number.isFinite(consecutiveFailures) ? Math.max(0, Math.floor(consecutiveFailures)) : 0;
  const base = Math.max(0, baseMs);
  const max = Math.max(0, maxMs);
  // 2^1023 is the largest finite power; beyond it base·2^n is Infinity (or NaN for base 0) and min() needs a number.
  const ceiling = base === 0 ? 0 : Math.min(max, base * 2 ** Math.min(failures, 1023));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

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
  private failures = 0;
  private readonly options: ProbeBackoffOptions;

  constructor(options: ProbeBackoffOptions) {
    this.options = options;
  }

  /** Consecutive failed probes so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Records a probe result and returns the delay before the next probe. */
  next(ok: boolean): number {
    if (ok) {
      this.failures = 0;
      return this.options.intervalMs;
    }
    const delay = nextProbeDelay(this.failures, this.options.baseMs, this.options.maxMs, this.options.random);
    this.failures++;
    return delay;
  }
}
