/** Decommissioning: forgetting a machine, its events and its rollups, with its agent's token revoked. */
import type { Queryable } from '../../db/index.js';

/** What forgetting a machine removed. */
export interface ForgottenMachine {
  machineId: string;
  hostname: string;
  agentId: string;
  /** Raw events deleted with it. */
  events: number;
}

/**
 * Forgets a decommissioned machine (inside the caller's transaction): its agent's token is revoked (the agent row is
 * kept, revoked, like every credential, so the listing still shows who it was and the old token can never bring the
 * machine back), its events are deleted, and the machine row goes with its rollups (detection_days cascade).
 * Returns null when no machine has that id.
 */
export async function forgetMachine(q: Queryable, machineId: string): Promise<ForgottenMachine | null> {
  const { rows } = await q.query<{ id: string; agent_id: string; hostname: string }>(
    'SELECT id, agent_id, hostname FROM machines WHERE id = $1 FOR UPDATE',
    [machineId],
  );
  const m = rows[0];
  if (!m) return null;
  // Locks the agent row too: a batch being written for it finishes first, the next is refused as revoked.
  await q.query('UPDATE agents SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [m.agent_id]);
  const events = await q.query('DELETE FROM events WHERE machine_id = $1', [m.id]);
  await q.query('DELETE FROM machines WHERE id = $1', [m.id]);
  return { machineId: m.id, hostname: m.hostname, agentId: m.agent_id, events: events.rowCount };
}
