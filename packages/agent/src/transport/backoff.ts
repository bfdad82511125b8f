/** Reconnect delays: exponential backoff with full jitter and a cap, so a fleet never reconnects in lockstep. */

/** Delay before reconnect attempt `attempt` (0-based): random in [0, min(cap, base × 2^attempt)]. */
export function reconnectDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  // Never 0: a tight reconnect loop must be impossible even with an unlucky draw.
  return Math.max(baseMs / 4, Math.floor(random() * ceiling));
}
