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
  currentDataWatermark,
  enqueueNotifications,
  loadAlertsToReconcile,
  loadCandidateSnapshots,
  loadEvaluatorState,
  loadMachineSnapshots,
  loadSeenVersions,
  loadSilences,
  saveAlerts,
  saveEvaluatorState,
  type EvaluatorState,
} from './store.js';
import type { Alert } from './types.js';

/** Advisory lock key of the evaluator (ASCII "wuwa"); any fixed key works as long as every collector uses it. */
export const EVALUATOR_LOCK_KEY = 0x77757761; // "wuwa"

/** Result of one evaluation. */
export interface EvaluationResult {
  /** False when another collector held the lock and this one skipped. */
  led: boolean;
  firing: number;
  notifications: number;
  /** `full` read every machine; `incremental` only the changed, the due and those with open alerts. */
  mode?: 'full' | 'incremental';
  /** Machines the rules read. */
  machinesRead?: number;
}

const MINUTE = 60_000;
/**
 * Overlap of every incremental window: a batch whose transaction began before the last evaluation but committed
 * after it carries an updated_at older than that evaluation's watermark, and a due time exactly on a window edge
 * must not fall between two windows. Five minutes of overlap re-reads a few machines and misses none of those.
 */
export const INCREMENTAL_SLACK_MS = 5 * MINUTE;

/** Options of one evaluation. */
export interface EvaluateOptions {
  rules: AlertRulesConfig;
  channels: readonly string[];
  now: Date;
  /** Read the whole fleet (the evaluator's first run, and every `fullEveryMinutes`). */
  full?: boolean;
  /** A full evaluation at least this often, whatever `full` says (default 60). */
  fullEveryMinutes?: number;
}

/** Whether this evaluation must read every machine. */
function needsFull(state: EvaluatorState | null, opts: EvaluateOptions): boolean {
  if (!state || opts.full) return true;
  const every = (opts.fullEveryMinutes ?? 60) * MINUTE;
  // A clock that went back (another collector's, or a test's) would make every window empty.
  return opts.now.getTime() < state.evaluatedAt.getTime() || opts.now.getTime() - state.fullAt.getTime() >= every;
}

/** Machines named by the alerts being reconciled: their conditions are re-checked every evaluation. */
function alertMachineIds(alerts: readonly Alert[]): string[] {
  const ids = new Set<string>();
  for (const a of alerts) {
    if (a.subject.startsWith('machine:')) ids.add(a.subject.slice('machine:'.length));
    for (const m of a.machines ?? []) ids.add(m.machineId);
  }
  return [...ids];
}

/**
 * Runs one evaluation inside a transaction that holds the evaluator lock. Incremental unless a full one is due: the
 * rules read only the machines whose data changed since the last evaluation's watermark, those whose silent, stale
 * or WSUS-delay threshold fell due since its clock (index ranges), those named by open alerts, and every machine
 * of a WSUS server one of them points at. Conditions of machines outside that set cannot have changed, and no open
 * alert is about them, so reconciling against this subset gives what a full read gives.
 */
export async function evaluateOnce(q: Queryable, opts: EvaluateOptions): Promise<EvaluationResult> {
  const { rows } = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
    EVALUATOR_LOCK_KEY,
  ]);
  if (!rows[0]?.locked) return { led: false, firing: 0, notifications: 0 };
  // One after another: a transaction is one connection, and pg deprecates overlapping queries on a client
  // (pg@9 rejects them).
  const state = await loadEvaluatorState(q);
  const alerts = await loadAlertsToReconcile(q);
  // Read before the machines: whatever commits after this is newer than the watermark and read next time.
  const watermark = await currentDataWatermark(q);
  // The bookmark an incremental evaluation continues from; null means read everything.
  const from = needsFull(state, opts) ? null : state;
  const full = from === null;
  const at = (base: number, minus: number) => new Date(base - minus);
  const since = from ? from.evaluatedAt.getTime() - INCREMENTAL_SLACK_MS : 0;
  const now = opts.now.getTime();
  const silentMs = opts.rules.agentSilent.afterMinutes * MINUTE;
  const staleMs = opts.rules.detectStale.afterHours * 60 * MINUTE;
  const probeMs = opts.rules.wsusUnreachable.afterMinutes * MINUTE;
  const { machines, wsusMachineCounts, dataVersions } = !from
    ? await loadMachineSnapshots(q)
    : await loadCandidateSnapshots(q, {
        changedSince: at(from.dataWatermark?.getTime() ?? 0, INCREMENTAL_SLACK_MS),
        lastSeen: { after: at(since, silentMs), upTo: at(now, silentMs) },
        detectionReference: { after: at(since, staleMs), upTo: at(now, staleMs) },
        probeFailingSince: { after: at(since, probeMs), upTo: at(now, probeMs) },
        machineIds: alertMachineIds(alerts),
      });
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
  await saveEvaluatorState(q, {
    evaluatedAt: opts.now,
    dataWatermark: watermark ?? state?.dataWatermark ?? null,
    fullAt: from ? from.fullAt : opts.now,
  });
  return {
    led: true,
    firing: result.alerts.filter((a) => a.state === 'firing').length,
    notifications: result.notifications.length,
    mode: full ? 'full' : 'incremental',
    machinesRead: machines.length,
  };
}

/** Schedules evaluations; `poke()` asks for one soon after ingest. `stop()` is idempotent. */
/** Evaluations may take at most this share of the time while ingest keeps poking (1 in 1 + this factor). */
export const POKE_DELAY_FACTOR = 4;

/**
 * The delay before a poked evaluation: the configured debounce, or longer when the last evaluation was slow. During a
 * reconnect storm every machine changes, each incremental evaluation reads most of the fleet, and back-to-back runs
 * would hold the event loop the sockets and the API need; waiting `POKE_DELAY_FACTOR` times the last run's length
 * keeps the evaluator's share of the process bounded while alerts still follow within a few seconds.
 */
export function pokeDelayMs(debounceMs: number, lastRunMs: number): number {
  return Math.max(debounceMs, Math.ceil(lastRunMs * POKE_DELAY_FACTOR));
}

export class AlertEvaluator {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private pokeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The first evaluation of this process reads every machine (rules or thresholds may have changed meanwhile). */
  private fullDone = false;
  /** How long the last evaluation took: pokes wait in proportion (see {@link pokeDelayMs}). */
  private lastRunMs = 0;

  constructor(
    private readonly db: Database,
    private readonly opts: {
      rules: AlertRulesConfig;
      channels: readonly string[];
      schedule: string;
      debounceMs: number;
      /** A full evaluation at least this often (minutes); the others are incremental. */
      fullEveryMinutes?: number;
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
    const delay = pokeDelayMs(this.opts.debounceMs, this.lastRunMs);
    this.pokeTimer = setTimeout(() => {
      this.pokeTimer = null;
      // Another collector held the lock: its evaluation may have read the machines before this ingest committed,
      // so skipping would leave the change unseen until the next scheduled run. Try again instead.
      void this.run().then((led) => {
        if (!led) this.poke();
      });
    }, delay);
    this.pokeTimer.unref();
  }

  /** Runs one evaluation now (waits for one in progress first); false when another collector held the lead. */
  async run(): Promise<boolean> {
    if (this.stopped) return true;
    while (this.running) await this.running;
    let led = true;
    this.running = (async () => {
      const now = this.opts.now?.() ?? new Date();
      const started = performance.now();
      try {
        const r = await this.db.withTransaction((tx) =>
          evaluateOnce(tx, {
            rules: this.opts.rules,
            channels: this.opts.channels,
            now,
            full: !this.fullDone,
            ...(this.opts.fullEveryMinutes !== undefined && { fullEveryMinutes: this.opts.fullEveryMinutes }),
          }),
        );
        led = r.led;
        if (r.led) this.fullDone = true;
        this.opts.log.debug({ mode: r.mode, machinesRead: r.machinesRead }, 'alerts evaluated');
        if (r.notifications > 0) {
          this.opts.log.info({ notifications: r.notifications, firing: r.firing }, 'alerts: notifications queued');
          this.opts.onQueued?.();
        }
      } catch (err) {
        this.opts.log.error({ err }, 'alert evaluation failed');
      } finally {
        this.lastRunMs = performance.now() - started;
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
