/** Alerts, silences and the notification outbox in the database (raw SQL; the evaluator's transaction is passed in). */
import { toJsonbText, type Queryable } from '../db/index.js';
import {
  alertFacts,
  alertFactsCandidates,
  machinesDataWatermark,
  type AlertCandidateWindows,
  type AlertFactsRow,
} from '../machines/repository.js';
import { subjectsForMachine } from './rules.js';
import type { Silence } from './state.js';
import type { Alert, AlertMachineSnapshot, Notification } from './types.js';

interface AlertRow {
  id: string;
  rule: Alert['rule'];
  subject: string;
  state: Alert['state'];
  severity: Alert['severity'];
  title: string;
  summary: string;
  evidence: Alert['evidence'];
  fix: string;
  machines: Alert['machines'] | null;
  inhibited_by: string | null;
  firing_since: Date;
  clear_since: Date | null;
  good_observations: number;
  resolved_at: Date | null;
  last_seen: Date;
  last_notified_at: Date | null;
  last_notified_state: Alert['lastNotifiedState'];
  notified_machines: number | null;
  acknowledged_at?: Date | null;
  ack_comment?: string | null;
}

function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    rule: r.rule,
    subject: r.subject,
    state: r.state,
    severity: r.severity,
    title: r.title,
    summary: r.summary,
    evidence: r.evidence,
    fix: r.fix,
    ...(r.machines ? { machines: r.machines } : {}),
    inhibitedBy: r.inhibited_by,
    firingSince: r.firing_since,
    clearSince: r.clear_since,
    goodObservations: r.good_observations,
    resolvedAt: r.resolved_at,
    lastSeen: r.last_seen,
    lastNotifiedAt: r.last_notified_at,
    lastNotifiedState: r.last_notified_state,
    lastNotifiedMachines: r.notified_machines,
  };
}

/** Open alerts plus resolved ones whose resolution has not been notified yet (the reconciler needs both). */
export async function loadAlertsToReconcile(q: Queryable): Promise<Alert[]> {
  const { rows } = await q.query<AlertRow>(
    `SELECT * FROM alerts WHERE state <> 'resolved' OR (last_notified_state = 'firing' AND state = 'resolved')`,
  );
  return rows.map(toAlert);
}

/**
 * Writes alerts back (insert or update by id). updated_at records the newest machine data seen for the alert's
 * subject (`versions`, see loadSeenVersions), or `now` for a subject without machines.
 */
export async function saveAlerts(
  q: Queryable,
  alerts: readonly Alert[],
  now: Date,
  versions: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  for (const a of alerts) {
    const version = versions.get(a.subject);
    await q.query(
      `INSERT INTO alerts (id, rule, subject, state, severity, title, summary, evidence, fix, machines, inhibited_by,
         firing_since, clear_since, good_observations, resolved_at, last_seen, last_notified_at, last_notified_state,
         updated_at, notified_machines)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9,$10::jsonb,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
       ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, severity = EXCLUDED.severity, title = EXCLUDED.title,
         summary = EXCLUDED.summary, evidence = EXCLUDED.evidence, fix = EXCLUDED.fix, machines = EXCLUDED.machines,
         inhibited_by = EXCLUDED.inhibited_by, clear_since = EXCLUDED.clear_since,
         good_observations = EXCLUDED.good_observations, resolved_at = EXCLUDED.resolved_at,
         last_seen = EXCLUDED.last_seen, last_notified_at = EXCLUDED.last_notified_at,
         last_notified_state = EXCLUDED.last_notified_state, updated_at = EXCLUDED.updated_at,
         notified_machines = EXCLUDED.notified_machines`,
      [
        a.id,
        a.rule,
        a.subject,
        a.state,
        a.severity,
        a.title,
        a.summary,
        toJsonbText(a.evidence),
        a.fix,
        a.machines ? toJsonbText(a.machines) : null,
        a.inhibitedBy ?? null,
        a.firingSince,
        a.clearSince,
        a.goodObservations,
        a.resolvedAt ?? null,
        a.lastSeen,
        a.lastNotifiedAt,
        a.lastNotifiedState,
        version === undefined ? now : new Date(version),
        a.lastNotifiedMachines ?? null,
      ],
    );
  }
}

/** Queues one outbox row per notification and channel (same transaction as the alert update). */
export async function enqueueNotifications(
  q: Queryable,
  notifications: readonly Notification[],
  channels: readonly string[],
  now: Date,
): Promise<void> {
  for (const n of notifications) {
    for (const channel of channels) {
      await q.query(
        `INSERT INTO alert_notifications (id, channel, alert_id, kind, payload, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6) ON CONFLICT (id, channel) DO NOTHING`,
        [n.id, channel, n.alert.id, n.kind, toJsonbText(n), now],
      );
    }
  }
}

/**
 * Per subject of an open alert, the newest machine data (machines.updated_at) the last evaluation saw: saveAlerts
 * stores it as the alert's updated_at. Data newer than this is a fresh observation. Comparing data with data, not
 * with an evaluation's clock, counts a report once whichever collector evaluates it, whatever its clock says, and
 * even when the report commits while an evaluation runs.
 */
export async function loadSeenVersions(q: Queryable): Promise<Map<string, number>> {
  const { rows } = await q.query<{ subject: string; at: Date }>(
    `SELECT subject, min(updated_at) AS at FROM alerts WHERE state <> 'resolved' GROUP BY subject`,
  );
  return new Map(rows.map((r) => [r.subject, r.at.getTime()]));
}

/** Active silences at `now`. */
export async function loadSilences(q: Queryable, now: Date): Promise<Silence[]> {
  const { rows } = await q.query<{
    id: string;
    rule: Silence['rule'] | null;
    machine_id: string | null;
    wsus_url: string | null;
    starts_at: Date;
    until: Date;
    comment: string | null;
  }>(`SELECT * FROM silences WHERE deleted_at IS NULL AND until > $1 AND starts_at <= $1`, [now]);
  return rows.map((r) => ({
    id: r.id,
    ...(r.rule ? { rule: r.rule } : {}),
    ...(r.machine_id ? { machineId: r.machine_id } : {}),
    ...(r.wsus_url ? { wsusUrl: r.wsus_url } : {}),
    startsAt: r.starts_at,
    until: r.until,
    ...(r.comment ? { comment: r.comment } : {}),
  }));
}

/**
 * The machines snapshot the rules read, machines per WSUS URL, and per subject the newest machine data in this
 * snapshot (ms since epoch of machines.updated_at) — read in the same statement, so it matches what the rules saw.
 */
export async function loadMachineSnapshots(q: Queryable): Promise<MachineSnapshots> {
  const rows = await alertFacts(q);
  const wsusMachineCounts: Record<string, number> = {};
  for (const r of rows) if (r.wsus_url) wsusMachineCounts[r.wsus_url] = (wsusMachineCounts[r.wsus_url] ?? 0) + 1;
  return toSnapshots(rows, wsusMachineCounts);
}

/** The machines, counts and data versions the rules read (see loadMachineSnapshots). */
export interface MachineSnapshots {
  machines: AlertMachineSnapshot[];
  wsusMachineCounts: Record<string, number>;
  dataVersions: Map<string, number>;
}

/** Like loadMachineSnapshots, for the machines an incremental evaluation must read (alertFactsCandidates). */
export async function loadCandidateSnapshots(q: Queryable, windows: AlertCandidateWindows): Promise<MachineSnapshots> {
  const { rows, wsusMachineCounts } = await alertFactsCandidates(q, windows);
  return toSnapshots(rows, wsusMachineCounts);
}

function toSnapshots(rows: readonly AlertFactsRow[], wsusMachineCounts: Record<string, number>): MachineSnapshots {
  const dataVersions = new Map<string, number>();
  const machines = rows.map((r) => {
    const version = r.updated_at.getTime();
    for (const subject of subjectsForMachine({ machineId: r.id, wsusUrl: r.wsus_url, lastProbe: r.last_probe })) {
      dataVersions.set(subject, Math.max(dataVersions.get(subject) ?? 0, version));
    }
    return {
      machineId: r.id,
      hostname: r.hostname,
      status: r.status,
      statusReasons: r.status_reasons,
      wsusUrl: r.wsus_url,
      consecutiveDetectionFailures: r.consecutive_detection_failures,
      lastDetectionHresult: r.last_detection_hresult,
      firstFailureAt: r.first_failure_at,
      lastDetectionAt: r.last_detection_at,
      lastSuccessDetectionAt: r.last_success_detection_at,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      lastGoodbyeAt: r.last_goodbye_at,
      probeFailingSince: r.probe_failing_since,
      lastProbe: r.last_probe,
      installs: r.installs,
    };
  });
  return { machines, wsusMachineCounts, dataVersions };
}

/** Where the evaluator left off (null before its first evaluation). */
export interface EvaluatorState {
  evaluatedAt: Date;
  dataWatermark: Date | null;
  fullAt: Date;
}

/** Reads the evaluator's bookmark (the caller holds the evaluator lock). */
export async function loadEvaluatorState(q: Queryable): Promise<EvaluatorState | null> {
  const { rows } = await q.query<{ evaluated_at: Date; data_watermark: Date | null; full_at: Date }>(
    'SELECT evaluated_at, data_watermark, full_at FROM alert_evaluator_state WHERE id = 1',
  );
  const r = rows[0];
  return r ? { evaluatedAt: r.evaluated_at, dataWatermark: r.data_watermark, fullAt: r.full_at } : null;
}

/** Writes the evaluator's bookmark. */
export async function saveEvaluatorState(q: Queryable, s: EvaluatorState): Promise<void> {
  await q.query(
    `INSERT INTO alert_evaluator_state (id, evaluated_at, data_watermark, full_at) VALUES (1, $1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET evaluated_at = $1, data_watermark = $2, full_at = $3`,
    [s.evaluatedAt, s.dataWatermark, s.fullAt],
  );
}

/** The newest machine data now (the next incremental evaluation reads what changed after it). */
export const currentDataWatermark = machinesDataWatermark;

/**
 * Resolves the open alerts about one machine without a notification (it was decommissioned on purpose, nothing got
 * better) and ends the silences naming it. Grouped WSUS alerts drop it at the next evaluation.
 */
export async function closeMachineAlerts(q: Queryable, machineId: string, now: Date): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE alerts SET state = 'resolved', resolved_at = $2, updated_at = $2
     WHERE subject = $1 AND state <> 'resolved'`,
    [`machine:${machineId}`, now],
  );
  await q.query(`UPDATE silences SET deleted_at = $2 WHERE machine_id = $1 AND deleted_at IS NULL`, [machineId, now]);
  return rowCount;
}
