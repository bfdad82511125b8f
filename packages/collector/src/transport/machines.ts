/** Machine rows touched by the connection lifecycle: hello, goodbye, disconnect. */
import type { Hello } from '@wuwatch/core';
import type { Queryable } from '../db/index.js';

/** Registers (or refreshes) the machine behind an agent at hello; returns the seq the collector has stored. */
export async function recordHello(
  q: Queryable,
  agentId: string,
  hello: Hello,
): Promise<{ machineId: string; ackedSeq: number }> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO machines (agent_id, hostname, os_version, agent_version, mode, connected, last_seen, last_goodbye_at)
     VALUES ($1, $2, $3, $4, $5, true, now(), NULL)
     ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname, os_version = EXCLUDED.os_version,
       agent_version = EXCLUDED.agent_version, mode = EXCLUDED.mode, connected = true, last_seen = now(),
       last_goodbye_at = NULL
     RETURNING id`,
    [agentId, hello.hostname, hello.osVersion, hello.agentVersion, hello.mode],
  );
  const { rows: a } = await q.query<{ last_acked_seq: string }>('SELECT last_acked_seq FROM agents WHERE id = $1', [
    agentId,
  ]);
  return { machineId: rows[0]!.id, ackedSeq: Number(a[0]?.last_acked_seq ?? 0) };
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
