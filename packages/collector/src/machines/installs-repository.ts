/**
 * SQL of the fleet's install listing: the installs each machine's projection keeps (`machines.installs`, folded by
 * installs.ts), newest first. Beside repository.ts, which owns every other statement on `machines`; this file only
 * reads.
 */
import type { Queryable } from '../db/index.js';
import type { InstallRecord, UpdateInstalls } from './installs.js';

/** Filters of the install listing. */
export interface InstallFilter {
  /** Only failed installs (machines without one are skipped through the last_install_failure_at index). */
  failed: boolean;
  machineId?: string | undefined;
  limit: number;
}

/** One install of one machine, with that update's tracked attempts. */
export interface InstallRow {
  machineId: string;
  hostname: string;
  install: InstallRecord;
  updates: Record<string, UpdateInstalls>;
}

/** The newest installs across the fleet (or one machine), at most `limit`. */
export async function listInstallRows(q: Queryable, f: InstallFilter): Promise<InstallRow[]> {
  const { rows } = await q.query<{
    id: string;
    hostname: string;
    install: InstallRecord;
    updates: Record<string, UpdateInstalls>;
  }>(
    `SELECT m.id, m.hostname, r.value AS install, m.installs->'updates' AS updates
     FROM machines m CROSS JOIN LATERAL jsonb_array_elements(m.installs->'recent') r
     WHERE ($1::boolean IS FALSE OR (m.last_install_failure_at IS NOT NULL AND r.value->>'outcome' = 'failed'))
       AND ($2::text IS NULL OR m.id = $2)
     ORDER BY r.value->>'at' DESC, m.hostname, m.id
     LIMIT $3`,
    [f.failed, f.machineId ?? null, f.limit],
  );
  return rows.map((r) => ({ machineId: r.id, hostname: r.hostname, install: r.install, updates: r.updates ?? {} }));
}
