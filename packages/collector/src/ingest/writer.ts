/**
 * Writes agent batches: events appended (deduplicated on (agent_id, seq)), folded into each machine's projection and
 * settled by the machines module (rules, save), each agent's acknowledged seq advanced — all in one transaction, so
 * an ack always means "committed" and a redelivered batch changes nothing. `writeBatches` does it for the batches of
 * many agents at once (the group commit, group.ts), one statement per step for all of them; `writeBatch` is one batch
 * in its own transaction. A status change is emitted after commit.
 */
import type { WireEvent } from '@wuwatch/core';
import { insertEventsByAgent, type Database, type Queryable } from '../db/index.js';
import { applyEvents, type PolicyAssessor } from '../machines/projection.js';
import { changeOf, settleMachines, type MachineService, type SettleItem } from '../machines/refresh.js';
import { lockMachines } from '../machines/bulk.js';
import { rowToProjection } from '../machines/row.js';
import { detectionCounts } from '../status/services.js';
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
  /**
   * Seqs between the agent's last acknowledged one and this batch's highest that the batch does not carry: never
   * delivered (the agent set them aside after repeated refusals, or lost them). The ack covers them, so they can never
   * arrive later: counted and logged, the one trace such a gap leaves on the collector.
   */
  neverDelivered: number;
  machineId: string;
  statusBefore: string;
  verdict: StatusVerdict;
}

/** One agent's batch in a group: its admitted events and the events admission set aside. */
export interface BatchItem {
  agentId: string;
  events: readonly WireEvent[];
  quarantined?: readonly QuarantinedEvent[];
}

/** What {@link writeBatches} needs. */
export interface WriteDeps {
  assessor: PolicyAssessor;
  machines: MachineService;
  now?: () => Date;
}

/**
 * Writes the batches of distinct agents inside the caller's transaction. Returns, per item in order, its result or
 * the error that refused it alone (agent unknown or revoked, no machine yet): the other items are still written.
 * A database error throws and takes the whole transaction with it.
 */
export async function writeBatches(
  tx: Queryable,
  items: readonly BatchItem[],
  deps: WriteDeps,
): Promise<(BatchResult | Error)[]> {
  if (items.length === 0) return [];
  const now = deps.now?.() ?? new Date();
  const ids = items.map((i) => i.agentId);
  if (new Set(ids).size !== ids.length) throw new Error('writeBatches: one batch per agent per transaction');
  // Agent rows first, then machine rows, each in id order: the lock order every writer shares.
  const { rows: agentRows } = await tx.query<{ id: string; last_acked_seq: string }>(
    'SELECT id, last_acked_seq FROM agents WHERE id = ANY($1::text[]) AND revoked_at IS NULL ORDER BY id FOR UPDATE',
    [ids],
  );
  const lastAcked = new Map(agentRows.map((r) => [r.id, Number(r.last_acked_seq)]));
  const machines = await lockMachines(
    tx,
    ids.filter((id) => lastAcked.has(id)),
  );
  const out: (BatchResult | Error)[] = [];
  const live: {
    item: BatchItem;
    index: number;
    fresh: WireEvent[];
    maxSeq: number;
    quarantined: number;
    neverDelivered: number;
  }[] = [];
  for (const [index, item] of items.entries()) {
    const acked = lastAcked.get(item.agentId);
    const row = machines.get(item.agentId);
    if (acked === undefined) out.push(new Error(`agent ${item.agentId} is unknown or revoked`));
    else if (!row) out.push(new Error(`agent ${item.agentId} has no machine (hello not processed)`));
    else {
      const fresh = item.events.filter((e) => e.seq > acked).sort((a, b) => a.seq - b.seq);
      const setAside = (item.quarantined ?? []).filter((e) => e.seq > acked);
      const maxSeq = [...item.events, ...setAside].reduce((m, e) => Math.max(m, e.seq), acked);
      const quarantined = await insertQuarantined(tx, item.agentId, row.id, setAside);
      const carried = new Set([...fresh, ...setAside].map((e) => e.seq)).size;
      live.push({ item, index, fresh, maxSeq, quarantined, neverDelivered: maxSeq - acked - carried });
      out.push(new Error('pending'));
    }
  }
  const inserted = await insertEventsByAgent(
    tx,
    live.flatMap(({ item, fresh }) => {
      const row = machines.get(item.agentId)!;
      // The timeline shows the scans that decide the status, as the machine's policy stood when the batch came.
      const matter = rowToProjection(row).updateSources?.servicesThatMatter ?? null;
      return fresh.map((e) => ({
        agentId: item.agentId,
        machineId: row.id,
        seq: e.seq,
        time: new Date(e.time),
        kind: e.kind,
        data: e.data,
        rollup: e.kind !== 'detection' || detectionCounts(e.data, matter),
      }));
    }),
  );
  const settleItems: SettleItem[] = live.map(({ item, fresh }) => {
    const row = machines.get(item.agentId)!;
    const before = rowToProjection(row);
    return {
      row,
      projection: fresh.length > 0 ? applyEvents(before, fresh, deps.assessor) : before,
      seen: true,
      connected: true,
    };
  });
  const settled = await settleMachines(tx, settleItems, deps.machines.thresholds, now);
  if (live.length > 0) {
    await tx.query(
      `UPDATE agents a SET last_acked_seq = u.seq
       FROM unnest($1::text[], $2::bigint[]) AS u(id, seq) WHERE a.id = u.id`,
      [live.map((l) => l.item.agentId), live.map((l) => String(l.maxSeq))],
    );
  }
  for (const [i, l] of live.entries()) {
    out[l.index] = {
      upTo: l.maxSeq,
      inserted: inserted.get(l.item.agentId) ?? 0,
      quarantined: l.quarantined,
      neverDelivered: l.neverDelivered,
      machineId: settled[i]!.machineId,
      statusBefore: settled[i]!.before,
      verdict: settled[i]!.verdict,
    };
  }
  return out;
}

/** Writes a batch for an agent in one transaction and returns what to acknowledge. */
export async function writeBatch(
  db: Pick<Database, 'withTransaction'>,
  agentId: string,
  events: readonly WireEvent[],
  deps: WriteDeps & {
    /** Events admission set aside; acknowledged with the batch. */
    quarantined?: readonly QuarantinedEvent[];
  },
): Promise<BatchResult> {
  const [result] = await db.withTransaction(async (tx) => {
    const r = await writeBatches(tx, [{ agentId, events, quarantined: deps.quarantined }], deps);
    // A refused item must roll back (nothing of it is written anyway) and reach the caller as the error it is.
    if (r[0] instanceof Error) throw r[0];
    return r;
  });
  const r = result as BatchResult;
  deps.machines.emit([changeOf({ machineId: r.machineId, before: r.statusBefore, verdict: r.verdict })]);
  return r;
}
