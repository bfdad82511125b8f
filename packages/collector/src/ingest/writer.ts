/**
 * Writes one agent batch: events appended (deduplicated on (agent_id, seq)), the machine's projection and
 * status updated, the agent's acknowledged seq advanced — all in one transaction, so an ack always means
 * "committed" and a redelivered batch changes nothing.
 */
import type { WireEvent } from '@wuwatch/core';
import { insertEvents, toJsonbText, type Database, type Queryable } from '../db/index.js';
import { computeStatus } from '../status/rules.js';
import type { StatusThresholds, StatusVerdict } from '../status/types.js';
import { MACHINE_STATE_COLUMNS, rowToProjection, toFacts, type MachineStateRow } from './machine-row.js';
import { applyEvents, type MachineProjection, type PolicyAssessor } from './projection.js';

/** Result of writing one batch. */
export interface BatchResult {
  /** Every event with seq ≤ upTo is stored. */
  upTo: number;
  inserted: number;
  machineId: string;
  statusBefore: string;
  verdict: StatusVerdict;
}

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
  await q.query(
    `UPDATE machines SET policy = $2::jsonb, policy_assessment = $3::jsonb, wsus_url = $4, last_probe = $5::jsonb,
       last_probe_at = $6, last_probe_ok = $7, probe_failing_since = $8, last_detection_at = $9,
       last_detection_outcome = $10, last_detection_hresult = $11, last_detection_source = $12,
       consecutive_detection_failures = $13, first_failure_at = $14, last_success_detection_at = $15,
       last_wua = $16::jsonb, last_goodbye_at = $17, status = $18, status_reasons = $19::jsonb,
       status_changed_at = CASE WHEN status = $18 THEN status_changed_at ELSE $20 END, updated_at = $20,
       last_seen = CASE WHEN $21 THEN GREATEST(last_seen, $20) ELSE last_seen END
     WHERE id = $1`,
    [
      row.id,
      p.policy === null ? null : toJsonbText(p.policy),
      p.assessment === null ? null : toJsonbText(p.assessment),
      p.wsusUrl,
      p.lastProbe === null ? null : toJsonbText(p.lastProbe),
      p.lastProbeAt,
      p.lastProbeOk,
      p.probeFailingSince,
      p.lastDetectionAt,
      p.lastDetectionOutcome,
      p.lastDetectionHresult,
      p.lastDetectionSource,
      p.consecutiveDetectionFailures,
      p.firstFailureAt,
      p.lastSuccessDetectionAt,
      p.lastWua === null ? null : toJsonbText(p.lastWua),
      p.lastGoodbyeAt,
      verdict.status,
      toJsonbText(verdict.reasons),
      now,
      seen,
    ],
  );
}

async function recordWsusServer(q: Queryable, p: MachineProjection, now: Date): Promise<void> {
  if (!p.wsusUrl) return;
  const answered = p.lastProbe?.ok ? (p.lastProbeAt ?? now) : null;
  await q.query(
    `INSERT INTO wsus_servers (url, first_seen, last_answer_at, last_probe_at, last_probe_class)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (url) DO UPDATE SET
       last_answer_at = GREATEST(wsus_servers.last_answer_at, EXCLUDED.last_answer_at),
       last_probe_at = GREATEST(wsus_servers.last_probe_at, EXCLUDED.last_probe_at),
       last_probe_class = COALESCE(EXCLUDED.last_probe_class, wsus_servers.last_probe_class)`,
    [p.wsusUrl, now, answered, p.lastProbeAt, p.lastProbe?.class ?? null],
  );
}

/** Writes a batch for an agent in one transaction and returns what to acknowledge. */
export async function writeBatch(
  db: Database,
  agentId: string,
  events: readonly WireEvent[],
  deps: { assessor: PolicyAssessor; thresholds: StatusThresholds; now?: () => Date },
): Promise<BatchResult> {
  return db.withTransaction(async (tx) => {
    const now = deps.now?.() ?? new Date();
    const { rows: agentRows } = await tx.query<{ last_acked_seq: string }>(
      'SELECT last_acked_seq FROM agents WHERE id = $1 AND revoked_at IS NULL FOR UPDATE',
      [agentId],
    );
    const agent = agentRows[0];
    if (!agent) throw new Error(`agent ${agentId} is unknown or revoked`);
    const lastAcked = Number(agent.last_acked_seq);
    const row = await lockMachine(tx, agentId);
    if (!row) throw new Error(`agent ${agentId} has no machine (hello not processed)`);
    const fresh = events.filter((e) => e.seq > lastAcked).sort((a, b) => a.seq - b.seq);
    const maxSeq = events.reduce((m, e) => Math.max(m, e.seq), lastAcked);
    let inserted = 0;
    const before = rowToProjection(row);
    let projection = before;
    if (fresh.length > 0) {
      inserted = await insertEvents(
        tx,
        fresh.map((e) => ({
          agentId,
          machineId: row.id,
          seq: e.seq,
          time: new Date(e.time),
          kind: e.kind,
          data: e.data,
        })),
      );
      projection = applyEvents(before, fresh, deps.assessor);
    }
    const verdict = computeStatus(toFacts(row, projection, now, true), deps.thresholds);
    await saveMachine(tx, row, projection, verdict, now, true);
    if (projection.lastProbeAt !== before.lastProbeAt || projection.wsusUrl !== before.wsusUrl) {
      await recordWsusServer(tx, projection, now);
    }
    await tx.query('UPDATE agents SET last_acked_seq = $2 WHERE id = $1', [agentId, maxSeq]);
    return { upTo: maxSeq, inserted, machineId: row.id, statusBefore: row.status, verdict };
  });
}
