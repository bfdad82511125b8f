/**
 * The failing detection streak: the run of failed Windows Update detections since the last success, as the
 * collector's projection counts it (one attempt seen by the log and by an event counts once; a success resets it).
 */

/** The facts a streak is read from. */
export interface DetectionStreakFacts {
  consecutiveDetectionFailures: number;
  firstFailureAt: Date | null;
  lastDetectionHresult: string | null;
}

/** A failing streak: how many in a row, since when, with which last error. */
export interface FailingStreak {
  count: number;
  since: Date | null;
  hresult: string | null;
}

/** The machine's failing streak when it is at least `threshold` (≥ 1) failures long, else null. */
export function failingStreak(f: DetectionStreakFacts, threshold = 1): FailingStreak | null {
  const n = f.consecutiveDetectionFailures;
  if (!Number.isFinite(n) || n < Math.max(1, threshold)) return null;
  return { count: n, since: f.firstFailureAt, hresult: f.lastDetectionHresult };
}
