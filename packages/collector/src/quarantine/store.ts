/** The quarantine table: events admission or the database refused, kept with their reason for the operator. */
import type { Queryable } from '../db/index.js';
import type { QuarantinedEvent } from '../ingest/admission.js';

/** One quarantined event as the API and CLI show it. */
export interface QuarantineRow {
  id: string;
  agent_id: string;
  machine_id: string | null;
  seq: string;
  kind: string | null;
  class: string;
  reason: string;
  raw: string;
  received_at: string;
}

/** Stores quarantined events of one agent; a redelivered (agent, seq) is kept once. Returns rows inserted. */
export async function insertQuarantined(
  q: Queryable,
  agentId: string,
  machineId: string | null,
  events: readonly QuarantinedEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const res = await q.query(
    `INSERT INTO quarantined_events (agent_id, machine_id, seq, kind, class, reason, raw)
     SELECT $1, $2, u.seq, u.kind, u.class, u.reason, u.raw
     FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(seq, kind, class, reason, raw)
     ON CONFLICT (agent_id, seq) DO NOTHING`,
    [
      agentId,
      machineId,
      events.map((e) => String(e.seq)),
      events.map((e) => e.kind),
      events.map((e) => e.class),
      events.map((e) => e.reason),
      events.map((e) => e.raw),
    ],
  );
  return res.rowCount;
}

/** Lists quarantined events, newest first, optionally of one agent. */
export async function listQuarantined(
  q: Queryable,
  opts: { agentId?: string; limit: number },
): Promise<QuarantineRow[]> {
  const { rows } = await q.query<QuarantineRow>(
    `SELECT id::text AS id, agent_id, machine_id, seq::text AS seq, kind, class, reason, raw,
            to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_at
     FROM quarantined_events WHERE ($1::text IS NULL OR agent_id = $1)
     ORDER BY received_at DESC, id DESC LIMIT $2`,
    [opts.agentId ?? null, opts.limit],
  );
  return rows;
}
