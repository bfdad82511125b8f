/**
 * Time compression (pure). The simulator never fakes the clock: every timestamp it writes (log lines, events,
 * wua.json) is the real time, in UTC. What it compresses is how long Windows Update waits: a simulated duration
 * of D lasts D / timeScale of real time. With the default scale a 22 h detection interval passes in 20 s, and the
 * history written before the start (three cycles, one interval apart) spans a minute. Only a stale machine's last
 * success is in calendar days (9 days before the run), so it is stale under compressed and real thresholds alike.
 */

/** Simulated seconds per real second: 22 h in 20 s. */
export const DEFAULT_TIME_SCALE = (22 * 3600) / 20;

const HOUR_MS = 3_600_000;

/** Real milliseconds that `simHours` of simulated time last at `timeScale`. */
export function realMsFor(simHours: number, timeScale: number): number {
  return (simHours * HOUR_MS) / timeScale;
}

/**
 * Real delay to the next automatic detection: Windows waits the interval minus 0–20 % at random (design notes §1).
 * `random` is in [0, 1).
 */
export function nextDetectionDelayMs(intervalHours: number, timeScale: number, random: number): number {
  return realMsFor(intervalHours * (1 - 0.2 * random), timeScale);
}

/** Validates a time scale given by an operator (≥ 1: the simulator never slows Windows down). */
export function checkTimeScale(value: number): string | null {
  if (!Number.isFinite(value) || value < 1) return 'the time scale must be a number ≥ 1 (1 = real time)';
  if (value > 1_000_000) return 'the time scale must be at most 1000000';
  return null;
}

/** Options of {@link compressedCollectorConfig}. */
export interface CompressedCollectorOptions {
  timeScale: number;
  /** Real minutes without contact before an agent is silent (transport time is never compressed). Default 1. */
  silentAfterMinutes?: number;
  /** Real seconds between status sweeps. Default 5. */
  sweepSeconds?: number;
  /** Webhook URL alerts are delivered to (the demo's sink). */
  webhookUrl?: string;
  /** Seconds between alert evaluations, 1–59 (default 5; larger fleets want more). */
  alertEverySeconds?: number;
  /**
   * Compress staleness in the status engine too (`status.staleAfterIntervals` = 3 / scale). Off by default for
   * now: the collector's status sweep binds `staleAfterIntervals` and `silentAfterMinutes` as SQL integers, so a
   * fraction makes every sweep fail and silence is never detected. Turn it on once the sweep casts them to float8.
   */
  compressStaleness?: boolean;
}

/**
 * Collector config overrides (keys of the collector's config schema) that make its thresholds agree with the
 * compressed clock. Windows Update durations are divided by the scale: how long a WSUS must be dead before
 * alerting (30 min), the alert hysteresis (30 min) and, with `compressStaleness`, staleness (3 detection
 * intervals: the collector multiplies `staleAfterIntervals` by each machine's policy interval in real hours, so the
 * factor carries the scale) and the stale alert (72 h). Transport and operator time is not compressed: silence,
 * sweeps and the repeat interval of notifications stay real; silence is shortened to a minute so a silent agent
 * shows within a demo, and the group interval to half a minute so a WSUS alert's growth shows too.
 */
export function compressedCollectorConfig(opts: CompressedCollectorOptions): Record<string, unknown> {
  const s = opts.timeScale;
  const stale = opts.compressStaleness === true ? s : 1;
  // Whole minutes: the collector's sweep binds this value as an SQL integer.
  const silent = Math.max(1, Math.round(opts.silentAfterMinutes ?? 1));
  return {
    status: {
      silentAfterMinutes: silent,
      staleAfterIntervals: 3 / stale,
      sweepSeconds: opts.sweepSeconds ?? 5,
    },
    alerts: {
      // node-cron's optional seconds field: the first alerts arrive within seconds of the evidence.
      schedule: `*/${Math.min(59, Math.max(1, Math.round(opts.alertEverySeconds ?? 5)))} * * * * *`,
      debounceMs: 500,
      rules: {
        detectFailures: { threshold: 3 },
        detectStale: { afterHours: 72 / stale },
        wsusUnreachable: { afterMinutes: 30 / s },
        agentSilent: { afterMinutes: silent },
        hysteresis: { clearAfterMinutes: 30 / s },
        // Operator time, but the fleet comes up over seconds: half a minute lets a dead WSUS server's alert
        // grow from its first machines to all of them within a demo.
        groupIntervalMinutes: 0.5,
      },
      delivery: { pollMs: 1000, retryBaseMs: 1000 },
      channels: opts.webhookUrl ? [{ type: 'webhook', name: 'demo-sink', url: opts.webhookUrl }] : [],
    },
  };
}
