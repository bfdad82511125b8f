/**
 * Time-driven status changes: silence and staleness happen without any event arriving, so a sweep
 * re-evaluates the machines whose status the clock may have changed, plus any machine asked for.
 */
import type { Database, Queryable } from '../db/index.js';
import { lockMachine, saveMachine } from '../ingest/writer.js';
import { rowToProjection, toFacts } from '../ingest/machine-row.js';
import { computeStatus } from './rules.js';
import type { StatusThresholds, StatusVerdict } from './types.js';

/** Re-evaluates one machine's status inside a transaction; returns the verdict and the previous status. */
export async function refreshMachineStatus(
  q: Queryable,
  agentId: string,
  thresholds: StatusThresholds,
  now: Date = new Date(),
): Promise<{ machineId: string; before: string; verdict: StatusVerdict } | null> {
  const row = await lockMachine(q, agentId);
  if (!row) return null;
  const p = rowToProjection(row);
  const verdict = computeStatus(toFacts(row, p, now, row.connected), thresholds);
  await saveMachine(q, row, p, verdict, now);
  return { machineId: row.id, before: row.status, verdict };
}

/**
 * Finds machines whose status may have changed with time alone and re-evaluates them. Returns the changed ones.
 * Staleness is matched on the stored reasons, not the status: a failing machine is stale too (its status stays
 * detect_failing), and selecting it on every sweep would fill the LIMIT and starve real transitions.
 */
export async function sweepStatuses(
  db: Database,
  thresholds: StatusThresholds,
  now: Date = new Date(),
): Promise<{ machineId: string; before: string; after: string }[]> {
  const { rows } = await db.query<{ agent_id: string }>(
    `SELECT agent_id FROM machines
     WHERE (status <> 'silent' AND last_seen < $1::timestamptz - make_interval(secs => $2::float8 * 60))
        OR (status = 'silent' AND last_seen >= $1::timestamptz - make_interval(secs => $2::float8 * 60))
        OR (NOT status_reasons @> '[{"code":"DETECTION_STALE"}]' AND COALESCE(last_success_detection_at, first_seen) <
            $1::timestamptz - make_interval(secs => $3::float8 * 3600 *
              COALESCE((policy_assessment->>'detectionIntervalHours')::float8, $4::float8)))
        OR (status_reasons @> '[{"code":"DETECTION_STALE"}]' AND COALESCE(last_success_detection_at, first_seen) >=
            $1::timestamptz - make_interval(secs => $3::float8 * 3600 *
              COALESCE((policy_assessment->>'detectionIntervalHours')::float8, $4::float8)))
     LIMIT 5000`,
    [now, thresholds.silentAfterMinutes, thresholds.staleAfterIntervals, thresholds.defaultDetectionIntervalHours],
  );
  const changed: { machineId: string; before: string; after: string }[] = [];
  for (const r of rows) {
    const res = await db.withTransaction((tx) => refreshMachineStatus(tx, r.agent_id, thresholds, now));
    if (res && res.before !== res.verdict.status) {
      changed.push({ machineId: res.machineId, before: res.before, after: res.verdict.status });
    }
  }
  return changed;
}

/** Refreshes last_seen for agents connected to this collector, so live-but-quiet agents never look silent. */
export async function touchConnected(q: Queryable, agentIds: readonly string[], now: Date = new Date()): Promise<void> {
  if (agentIds.length === 0) return;
  await q.query(
    'UPDATE machines SET last_seen = GREATEST(last_seen, $2), connected = true WHERE agent_id = ANY($1::text[])',
    [agentIds, now],
  );
}
