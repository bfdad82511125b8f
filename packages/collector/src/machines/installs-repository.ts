/**
 * SQL of the fleet's install listing: the installs each machine's projection keeps (`machines.installs`, folded by
 * installs.ts), newest first. Beside repository.ts, which owns every other statement on `machines`; this file only
 * reads.
 */
import type { Queryable } from '../db/index.js';
import type { InstallRecord, UpdateInstalls } from './installs.js';

/** Filters of the install listing. */
export interface InstallFilter {
  /** Only failed installs (read through the last_install_failure_at index; all of them through last_install_at). */
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
 * The newest installs across the fleet (or one machine), at most `limit`, read from at most `limit` machines through
 * an index: the failed ones newest failure first (last_install_failure_at), all of them newest install first
 * (last_install_at). Every machine ranked before another holds a row ranked before all of that one's (same order,
 * hostname and id breaking ties), so the `limit` newest rows lie in the first `limit` machines. Without it a request
 * read every machine of the fleet.
 */
export async function listInstallRows(q: Queryable, f: InstallFilter): Promise<InstallRow[]> {
  // Two fixed statements (never a column name spliced from input); they differ only in the index and the outcome.
  const { rows } = await q.query<{
    id: string;
    hostname: string;
    install: InstallRecord;
    updates: Record<string, UpdateInstalls>;
  }>(f.failed ? FAILED_SQL : ALL_SQL, [f.machineId ?? null, f.limit]);
  return rows.map((r) => ({ machineId: r.id, hostname: r.hostname, install: r.install, updates: r.updates ?? {} }));
}

const FAILED_SQL = `SELECT m.id, m.hostname, r.value AS install, m.installs->'updates' AS updates
  FROM (SELECT id, hostname, installs FROM machines
        WHERE last_install_failure_at IS NOT NULL AND ($1::text IS NULL OR id = $1)
        ORDER BY last_install_failure_at DESC, hostname, id LIMIT $2) m
  CROSS JOIN LATERAL jsonb_array_elements(m.installs->'recent') r
  WHERE r.value->>'outcome' = 'failed'
  ORDER BY r.value->>'at' DESC, m.hostname, m.id
  LIMIT $2`;

const ALL_SQL = `SELECT m.id, m.hostname, r.value AS install, m.installs->'updates' AS updates
  FROM (SELECT id, hostname, installs FROM machines
        WHERE last_install_at IS NOT NULL AND ($1::text IS NULL OR id = $1)
        ORDER BY last_install_at DESC, hostname, id LIMIT $2) m
  CROSS JOIN LATERAL jsonb_array_elements(m.installs->'recent') r
  ORDER BY r.value->>'at' DESC, m.hostname, m.id
  LIMIT $2`;
