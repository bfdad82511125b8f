/**
 * The write side of the machines repository: the refresh service (refresh.ts) and the ingest call these inside their
 * transaction to lock, save, register at hello, disconnect, touch, and pick the sweep's candidates.
 */
import type { Hello } from '@wuwatch/core';
import { toJsonbText, type Queryable } from '../../db/index.js';
import type { StatusThresholds, StatusVerdict } from '../../status/types.js';
import type { MachineProjection } from '../projection.js';
import {
  columnValue,
  MACHINE_STATE_COLUMNS,
  PROJECTION_COLUMNS,
  PROJECTION_FIELDS,
  type MachineStateRow,
} from '../row.js';

/** Loads a machine row with a row lock (the caller is in a transaction). */
export async function lockMachine(q: Queryable, agentId: string): Promise<MachineStateRow | null> {
  const { rows } = await q.query<MachineStateRow>(
    `SELECT ${MACHINE_STATE_COLUMNS} FROM machines WHERE agent_id = $1 FOR UPDATE`,
    [agentId],
  );
  return rows[0] ?? null;
}

/**
 * Writes the projection and verdict back to the machine row. `seen` (the agent just sent something) moves last_seen;
 * a re-evaluation by the clock must not, or a silent machine would look freshly seen and flap back.
 */
export async function saveMachine(
  q: Queryable,
  row: MachineStateRow,
  p: MachineProjection,
  verdict: StatusVerdict,
  now: Date,
  seen = false,
): Promise<void> {
  await q.query(SAVE_MACHINE_SQL, [
    row.id,
    ...PROJECTION_FIELDS.map((f) => columnValue(p, f, toJsonbText)),
    verdict.status,
    toJsonbText(verdict.reasons),
    now,
    seen,
  ]);
}

// Built once from the projection's column list: $1 the id, then one parameter per projection field, then the verdict.
const SAVE_MACHINE_SQL = (() => {
  const n = PROJECTION_FIELDS.length;
  const [status, reasons, now, seen] = [n + 2, n + 3, n + 4, n + 5];
  const sets = PROJECTION_FIELDS.map((f, i) => {
    const spec: { column: string; jsonb?: true } = PROJECTION_COLUMNS[f];
    return `${spec.column} = $${i + 2}${spec.jsonb ? '::jsonb' : ''}`;
  });
  return `UPDATE machines SET ${sets.join(', ')}, status = $${status}, status_reasons = $${reasons}::jsonb,
    status_changed_at = CASE WHEN status = $${status} THEN status_changed_at ELSE $${now} END, updated_at = $${now},
    last_seen = CASE WHEN $${seen} THEN GREATEST(last_seen, $${now}) ELSE last_seen END
  WHERE id = $1`;
})();

/** A machine row as hello leaves it, with the stored verdict to compare against. */
export type HelloRow = MachineStateRow & { status_reasons: unknown };

/**
 * Registers (or refreshes) the machine behind an agent at hello, in one statement; returns the refreshed row and the
 * seq the collector has stored for the agent.
 */
export async function upsertHello(
  q: Queryable,
  agentId: string,
  hello: Hello,
): Promise<{ row: HelloRow; ackedSeq: number }> {
  const { rows } = await q.query<HelloRow & { acked_seq: string | null }>(
    `INSERT INTO machines (agent_id, hostname, os_version, agent_version, mode, connected, last_seen, last_goodbye_at)
     VALUES ($1, $2, $3, $4, $5, true, now(), NULL)
     ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname, os_version = EXCLUDED.os_version,
       agent_version = EXCLUDED.agent_version, mode = EXCLUDED.mode, connected = true, last_seen = now(),
       last_goodbye_at = NULL
     RETURNING ${MACHINE_STATE_COLUMNS}, status_reasons, (SELECT last_acked_seq FROM agents WHERE id = $1) AS acked_seq`,
    [agentId, hello.hostname, hello.osVersion, hello.agentVersion, hello.mode],
  );
  const { acked_seq, ...row } = rows[0]!;
  return { row, ackedSeq: Number(acked_seq ?? 0) };
}

/** Marks a machine disconnected; `graceful` records that the agent said goodbye first. */
export async function markDisconnected(q: Queryable, agentId: string, graceful: boolean): Promise<void> {
  await q.query(
    `UPDATE machines SET connected = false, last_seen = now(),
       last_goodbye_at = CASE WHEN $2 THEN now() ELSE last_goodbye_at END
     WHERE agent_id = $1`,
    [agentId, graceful],
  );
}

/**
 * Refreshes last_seen for agents connected to this collector, so live-but-quiet agents never look silent. Only rows
 * seen before `seenBefore` (default: now) are written: agents that report anyway move last_seen themselves, and at
 * 10,000 agents rewriting every row each sweep is most of the database's work. Rows a writer holds are skipped (the
 * writer moves last_seen itself), and the rest are locked in agent_id order, the order the ingest's writers use.
 */
export async function touchConnected(
  q: Queryable,
  agentIds: readonly string[],
  now: Date = new Date(),
  seenBefore: Date = now,
): Promise<void> {
  if (agentIds.length === 0) return;
  await q.query(
    `UPDATE machines m SET last_seen = GREATEST(m.last_seen, $2), connected = true
     FROM (SELECT id FROM machines WHERE agent_id = ANY($1::text[]) AND (NOT connected OR last_seen < $3)
           ORDER BY agent_id FOR UPDATE SKIP LOCKED) t
     WHERE m.id = t.id`,
    [agentIds, now, seenBefore],
  );
}

/**
 * Agents whose machine's status may have changed with time alone (silence, staleness), at most `limit`.
 * Staleness is matched on the stored reasons, not the status: a failing machine is stale too (its status stays
 * detect_failing), and selecting it on every sweep would fill the LIMIT and starve real transitions.
 */
export async function sweepCandidates(
  q: Queryable,
  thresholds: StatusThresholds,
  now: Date,
  limit = 5000,
): Promise<string[]> {
  const { rows } = await q.query<{ agent_id: string }>(
    `SELECT agent_id FROM machines
     WHERE (status <> 'silent' AND last_seen < $1::timestamptz - make_interval(secs => $2::float8 * 60))
        OR (status = 'silent' AND last_seen >= $1::timestamptz - make_interval(secs => $2::float8 * 60))
        OR (NOT status_reasons @> '[{"code":"DETECTION_STALE"}]' AND COALESCE(last_success_detection_at, first_seen) <
            $1::timestamptz - make_interval(secs => $3::float8 * 3600 *
              COALESCE((policy_assessment->>'detectionIntervalHours')::float8, $4::float8)))
        OR (status_reasons @> '[{"code":"DETECTION_STALE"}]' AND COALESCE(last_success_detection_at, first_seen) >=
            $1::timestamptz - make_interval(secs => $3::float8 * 3600 *
              COALESCE((policy_assessment->>'detectionIntervalHours')::float8, $4::float8)))
     LIMIT $5`,
    [
      now,
      thresholds.silentAfterMinutes,
      thresholds.staleAfterIntervals,
      thresholds.defaultDetectionIntervalHours,
      limit,
    ],
  );
  return rows.map((r) => r.agent_id);
}
