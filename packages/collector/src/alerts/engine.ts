/**
 * The alert evaluator: rules over the machines table, reconciled with stored alerts, notifications queued in
 * the outbox — all in one transaction that holds a PostgreSQL advisory lock, so with several collectors on one
 * database exactly one evaluates at a time and each notification is queued once.
 * Runs on a node-cron schedule (noOverlap) and, debounced, right after ingest changed a machine.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Database, Queryable } from '../db/index.js';
import { evaluateAlertRules, type AlertRulesConfig } from './rules.js';
import { reconcileAlerts } from './state.js';
import {
  enqueueNotifications,
  loadAlertsToReconcile,
  loadMachineSnapshots,
  loadSeenVersions,
  loadSilences,
  saveAlerts,
} from './store.js';

/** Advisory lock key of the evaluator (ASCII "wuwa"); any fixed key works as long as every collector uses it. */
export const EVALUATOR_LOCK_KEY = 0x77757761; // "wuwa"

/** Result of one evaluation. */
export interface EvaluationResult {
  /** False when another collector held the lock and this one skipped. */
  led: boolean;
  firing: number;
  notifications: number;
}

/** Runs one evaluation inside a transaction that holds the evaluator lock. */
export async function evaluateOnce(
  q: Queryable,
  opts: { rules: AlertRulesConfig; channels: readonly string[]; now: Date },
): Promise<EvaluationResult> {
  const { rows } = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
    EVALUATOR_LOCK_KEY,
  ]);
  if (!rows[0]?.locked) return { led: false, firing: 0, notifications: 0 };
  // One after another: a transaction is one connection, and pg deprecates overlapping queries on a client
  // (pg@9 rejects them).
  const { machines, wsusMachineCounts, dataVersions } = await loadMachineSnapshots(q);
  const alerts = await loadAlertsToReconcile(q);
  const silences = await loadSilences(q, opts.now);
  const seen = await loadSeenVersions(q);
  const conditions = evaluateAlertRules({ machines, now: opts.now, wsusMachineCounts }, opts.rules);
  const result = reconcileAlerts({
    alerts,
    conditions,
    now: opts.now,
    config: opts.rules,
    silences,
    // An evaluation that only moved the clock is not a good observation; machine data newer than the last
    // evaluation of the alert saw is (see loadSeenVersions).
    isFresh: (s: string) => (dataVersions.get(s) ?? 0) > (seen.get(s) ?? Infinity),
  });
  await saveAlerts(q, result.alerts, opts.now, dataVersions);
  await enqueueNotifications(q, result.notifications, opts.channels, opts.now);
  return {
    led: true,
    firing: result.alerts.filter((a) => a.state === 'firing').length,
    notifications: result.notifications.length,
  };
}

/** Schedules evaluations; `poke()` asks for one soon after ingest. `stop()` is idempotent. */
export class AlertEvaluator {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private pokeTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly opts: {
      rules: AlertRulesConfig;
      channels: readonly string[];
      schedule: string;
      debounceMs: number;
      log: Logger;
      /** Called after an evaluation queued notifications (wakes the outbox). */
      onQueued?: () => void;
      now?: () => Date;
    },
  ) {}

  /** Starts the cron schedule. */
  start(): void {
    this.task = cron.schedule(this.opts.schedule, () => this.run(), { noOverlap: true, name: 'wuwatch-alerts' });
  }

  /** Requests an evaluation soon (debounced): ingest calls this when a machine changed. */
  poke(): void {
    if (this.stopped || this.pokeTimer) return;
    this.pokeTimer = setTimeout(() => {
      this.pokeTimer = null;
      // Another collector held the lock: its evaluation may have read the machines before this ingest committed,
      // so skipping would leave the change unseen until the next scheduled run. Try again instead.
      void this.run().then((led) => {
        if (!led) this.poke();
      });
    }, this.opts.debounceMs);
    this.pokeTimer.unref();
  }

  /** Runs one evaluation now (waits for one in progress first); false when another collector held the lead. */
  async run(): Promise<boolean> {
    if (this.stopped) return true;
    while (this.running) await this.running;
    let led = true;
    this.running = (async () => {
      const now = this.opts.now?.() ?? new Date();
      try {
        const r = await this.db.withTransaction((tx) =>
          evaluateOnce(tx, { rules: this.opts.rules, channels: this.opts.channels, now }),
        );
        led = r.led;
        if (r.notifications > 0) {
          this.opts.log.info({ notifications: r.notifications, firing: r.firing }, 'alerts: notifications queued');
          this.opts.onQueued?.();
        }
      } catch (err) {
        this.opts.log.error({ err }, 'alert evaluation failed');
      } finally {
        this.running = null;
      }
    })();
    await this.running;
    return led;
  }

  /** Stops scheduling and waits for a running evaluation. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pokeTimer) clearTimeout(this.pokeTimer);
    await this.task?.stop();
    await this.task?.destroy();
    await this.running;
  }
}
