/**
 * Delivery retry schedule, pure: the delay is core's backoffDelay (exponential, full jitter, capped — the formula the
 * agent's reconnects and its WSUS probe use too), so a receiver that comes back is not hit by every queued
 * notification at the same instant. This file adds only the delivery policy: when to give up.
 */
import { backoffDelay } from '@wuwatch/core';

/** Backoff settings; `random` returns [0, 1) and is injectable for tests. */
export interface RetryOptions {
  baseMs: number;
  maxMs: number;
  /** Failed attempts after which a notification is dead (kept for the operator, no longer retried). */
  giveUpAfter: number;
  random: () => number;
}

/** Defaults: 5 s base, 15 min cap, dead after 20 failed attempts (about 4 hours of retries at the cap). */
export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  baseMs: 5000,
  maxMs: 15 * 60_000,
  giveUpAfter: 20,
  random: Math.random,
});

/** Delay before the next try after `attempt` failed attempts (1 = the first failure): random in [0, min(max, base·2^(attempt−1))). */
export function nextAttemptDelay(attempt: number, opts: Partial<RetryOptions> = {}): number {
  const { baseMs, maxMs, random } = { ...DEFAULT_RETRY, ...opts };
  // backoffDelay counts failures before this one (0 = the first retry); attempt counts this one too.
  return backoffDelay(Math.floor(attempt) - 1, { baseMs, capMs: maxMs }, random);
}

/** What to do after a failed delivery. */
export type RetryDecision = { action: 'retry'; delayMs: number; at: Date } | { action: 'dead'; reason: string };

/**
 * Decides after `attempts` failed attempts: retry later, or give up when the attempts are spent or the failure
 * is permanent (`retryable: false`, such as HTTP 400/404 from the receiver).
 */
export function retryDecision(
  attempts: number,
  now: Date,
  opts: Partial<RetryOptions> = {},
  retryable = true,
): RetryDecision {
  const giveUpAfter = opts.giveUpAfter ?? DEFAULT_RETRY.giveUpAfter;
  if (!retryable) return { action: 'dead', reason: 'permanent failure: retrying will not help' };
  if (attempts >= giveUpAfter) return { action: 'dead', reason: `gave up after ${attempts} failed attempts` };
  const delayMs = nextAttemptDelay(attempts, opts);
  return { action: 'retry', delayMs, at: new Date(now.getTime() + delayMs) };
}
