/**
 * SQL of the fleet's install listing: the installs each machine's projection keeps (`machines.installs`, folded by
 * installs.ts), newest first. Beside repository.ts, which owns every other statement on `machines`; this file only
 * reads.
 */
import type { Queryable } from '../db/index.js';
import type { InstallRecord, UpdateInstalls } from './installs.js';

/** Filters of the install listing. */
export interface InstallFilter {
  /** Only failed installs (read through the last_install_failure_at index, see listInstallRows). */
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

/**
 * The newest installs across the fleet (or one machine), at most `limit`. Failed ones are read from at most `limit`
 * machines, newest failure first through the last_install_failure_at index: every machine ranked before another holds
 * a failure ranked before all of that one's (same order, hostname and id breaking ties), so the `limit` newest failures
 * lie in the first `limit` machines. Without it the fleet page read every machine that ever failed an install.
 */
export async function listInstallRows(q: Queryable, f: InstallFilter): Promise<InstallRow[]> {
  const { rows } = await q.query<{
    id: string;
    hostname: string;
    install: InstallRecord;
    updates: Record<string, UpdateInstalls>;
  }>(
    f.failed
      ? `SELECT m.id, m.hostname, r.value AS install, m.installs->'updates' AS updates
         FROM (SELECT id, hostname, installs FROM machines
               WHERE last_install_failure_at IS NOT NULL AND ($1::text IS NULL OR id = $1)
               ORDER BY last_install_failure_at DESC, hostname, id LIMIT $2) m
         CROSS JOIN LATERAL jsonb_array_elements(m.installs->'recent') r
         WHERE r.value->>'outcome' = 'failed'
         ORDER BY r.value->>'at' DESC, m.hostname, m.id
         LIMIT $2`
      : `SELECT m.id, m.hostname, r.value AS install, m.installs->'updates' AS updates
         FROM machines m CROSS JOIN LATERAL jsonb_array_elements(m.installs->'recent') r
         WHERE $1::text IS NULL OR m.id = $1
         ORDER BY r.value->>'at' DESC, m.hostname, m.id
         LIMIT $2`,
    [f.machineId ?? null, f.limit],
  );
  return rows.map((r) => ({ machineId: r.id, hostname: r.hostname, install: r.install, updates: r.updates ?? {} }));
}
