/**
 * Writes one agent batch: events appended (deduplicated on (agent_id, seq)), folded into the machine's projection and
 * settled by the machines module (rules, save), the agent's acknowledged seq advanced — all in one transaction, so an
 * ack always means "committed" and a redelivered batch changes nothing. A status change is emitted after commit.
 */
import type { WireEvent } from '@wuwatch/core';
import { insertEvents, type Database } from '../db/index.js';
import { applyEvents, type PolicyAssessor } from '../machines/projection.js';
import { changeOf, settleMachine, type MachineService } from '../machines/refresh.js';
import { lockMachine } from '../machines/repository.js';
import { rowToProjection } from '../machines/row.js';
import type { StatusVerdict } from '../status/types.js';
import type { QuarantinedEvent } from './admission.js';
import { insertQuarantined } from '../quarantine/store.js';

/** Result of writing one batch. */
export interface BatchResult {
  /** Every event with seq ≤ upTo is stored. */
  upTo: number;
  inserted: number;
  /** Quarantined events newly recorded (redelivered ones are counted once). */
  quarantined: number;
  machineId: string;
  statusBefore: string;
  verdict: StatusVerdict;
}

/** Writes a batch for an agent in one transaction and returns what to acknowledge. */
export async function writeBatch(
  db: Database,
  agentId: string,
  events: readonly WireEvent[],
  deps: {
    assessor: PolicyAssessor;
    machines: MachineService;
    now?: () => Date;
    /** Events admission set aside; acknowledged with the batch. */
    quarantined?: readonly QuarantinedEvent[];
  },
): Promise<BatchResult> {
  const result = await db.withTransaction(async (tx) => {
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
    const setAside = (deps.quarantined ?? []).filter((e) => e.seq > lastAcked);
    const maxSeq = [...events, ...setAside].reduce((m, e) => Math.max(m, e.seq), lastAcked);
    const quarantined = await insertQuarantined(tx, agentId, row.id, setAside);
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
    const settled = await settleMachine(tx, row, projection, deps.machines.thresholds, {
      now,
      seen: true,
      connected: true,
    });
    await tx.query('UPDATE agents SET last_acked_seq = $2 WHERE id = $1', [agentId, maxSeq]);
    return {
      upTo: maxSeq,
      inserted,
      quarantined,
      machineId: row.id,
      statusBefore: row.status,
      verdict: settled.verdict,
    };
  });
  deps.machines.emit([changeOf({ machineId: result.machineId, before: result.statusBefore, verdict: result.verdict })]);
  return result;
}
