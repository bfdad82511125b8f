/** Machine rows touched by the connection lifecycle: hello, goodbye, disconnect. */
import { isDeepStrictEqual } from 'node:util';
import type { Hello } from '@wuwatch/core';
import { toJsonbText, type Queryable } from '../db/index.js';
import { MACHINE_STATE_COLUMNS, type MachineStateRow } from '../ingest/machine-row.js';
import type { StatusVerdict } from '../status/types.js';

/** A machine row as hello leaves it, with the stored verdict to compare against. */
export type HelloRow = MachineStateRow & { status_reasons: unknown };

/**
 * Registers (or refreshes) the machine behind an agent at hello, in one statement; returns the seq the collector has
 * stored and the refreshed row, so the caller can tell whether the status needs re-evaluating.
 */
export async function recordHello(
  q: Queryable,
  agentId: string,
  hello: Hello,
): Promise<{ machineId: string; ackedSeq: number; row: HelloRow }> {
  const { rows } = await q.query<HelloRow & { acked_seq: string | null }>(
    `INSERT INTO machines (agent_id, hostname, os_version, agent_version, mode, connected, last_seen, last_goodbye_at)
     VALUES ($1, $2, $3, $4, $5, true, now(), NULL)
     ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname, os_version = EXCLUDED.os_version,
       agent_version = EXCLUDED.agent_version, mode = EXCLUDED.mode, connected = true, last_seen = now(),
       last_goodbye_at = NULL
     RETURNING ${MACHINE_STATE_COLUMNS}, status_reasons, (SELECT last_acked_seq FROM agents WHERE id = $1) AS acked_seq`,
    [agentId, hello.hostname, hello.osVersion, hello.agentVersion, hello.mode],
  );
  const row = rows[0]!;
  return { machineId: row.id, ackedSeq: Number(row.acked_seq ?? 0), row };
}

/** True when the stored status and reasons already are `verdict` (compared as stored JSON, key order aside). */
export function verdictUnchanged(row: HelloRow, verdict: StatusVerdict): boolean {
  return (
    row.status === verdict.status && isDeepStrictEqual(row.status_reasons, JSON.parse(toJsonbText(verdict.reasons)))
  );
}

/** Marks a machine disconnected; `graceful` records that the agent said goodbye first. */
export async function recordDisconnect(q: Queryable, agentId: string, graceful: boolean): Promise<void> {
  await q.query(
    `UPDATE machines SET connected = false, last_seen = now(),
       last_goodbye_at = CASE WHEN $2 THEN now() ELSE last_goodbye_at END
     WHERE agent_id = $1`,
    [agentId, graceful],
  );
}
