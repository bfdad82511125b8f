/** What the alert evaluator reads of the fleet: every machine, or only the incremental candidates, and the watermark. */
import type { MachineStatus, ProbeData } from '@wuwatch/core';
import type { Queryable } from '../../db/index.js';
import type { StatusReason } from '../../status/types.js';
import type { InstallState } from '../installs.js';

/** The columns of every machine the alert rules read. */
export interface AlertFactsRow {
  id: string;
  hostname: string;
  status: MachineStatus;
  status_reasons: StatusReason[];
  wsus_url: string | null;
  consecutive_detection_failures: number;
  last_detection_hresult: string | null;
  first_failure_at: Date | null;
  last_detection_at: Date | null;
  last_success_detection_at: Date | null;
  first_seen: Date;
  last_seen: Date | null;
  last_goodbye_at: Date | null;
  probe_failing_since: Date | null;
  last_probe: ProbeData | null;
  installs: InstallState;
  updated_at: Date;
}

const ALERT_FACT_COLUMNS = `id, hostname, status, status_reasons, wsus_url, consecutive_detection_failures,
  last_detection_hresult, first_failure_at, last_detection_at, last_success_detection_at, first_seen, last_seen,
  last_goodbye_at, probe_failing_since, last_probe, installs, updated_at`;

/** Every machine, with the columns the alert rules read (one statement, so the snapshot is consistent). */
export async function alertFacts(q: Queryable): Promise<AlertFactsRow[]> {
  const { rows } = await q.query<AlertFactsRow>(`SELECT ${ALERT_FACT_COLUMNS} FROM machines`);
  return rows;
}

/** Windows of the incremental alert read: a machine is read when a bound below falls in (after, upTo]. */
export interface AlertCandidateWindows {
  /** Machines whose data (updated_at) is newer than this changed since the last evaluation. */
  changedSince: Date;
  /** last_seen in the window: the silent rule falls due. */
  lastSeen: { after: Date; upTo: Date };
  /** last_success_detection_at (first_seen when none) in the window: the stale rule falls due. */
  detectionReference: { after: Date; upTo: Date };
  /** probe_failing_since in the window: the WSUS rule's delay elapses. */
  probeFailingSince: { after: Date; upTo: Date };
  /** Machines named by open alerts (their conditions are re-checked every time). */
  machineIds: readonly string[];
}

/**
 * The machines an incremental alert evaluation must read (each branch an index range, so the cost follows the
 * changes and the due times, not the fleet size), plus the machines with a failing probe pointing at a WSUS server
 * one of them names (the WSUS rule groups those per server), and the machine count per such server (an index-only
 * count). One statement: a consistent snapshot.
 */
export async function alertFactsCandidates(
  q: Queryable,
  w: AlertCandidateWindows,
): Promise<{ rows: AlertFactsRow[]; wsusMachineCounts: Record<string, number> }> {
  const { rows } = await q.query<AlertFactsRow & { wsus_count: string | null }>(
    `WITH cand AS (
       SELECT id FROM machines WHERE updated_at > $1
       UNION SELECT id FROM machines WHERE last_seen > $2 AND last_seen <= $3
       UNION SELECT id FROM machines WHERE last_success_detection_at > $4 AND last_success_detection_at <= $5
       UNION SELECT id FROM machines WHERE last_success_detection_at IS NULL AND first_seen > $4 AND first_seen <= $5
       UNION SELECT id FROM machines WHERE probe_failing_since > $6 AND probe_failing_since <= $7
       UNION SELECT unnest($8::text[])
     ), urls AS (
       SELECT DISTINCT m.wsus_url AS url FROM machines m JOIN cand c ON c.id = m.id WHERE m.wsus_url IS NOT NULL
     ), scope AS (
       -- The WSUS rule builds a server's condition from its machines whose probe fails; the rest it only counts.
       SELECT id FROM cand
       UNION SELECT id FROM machines WHERE probe_failing_since IS NOT NULL AND wsus_url IN (SELECT url FROM urls)
     ), counts AS (
       SELECT wsus_url, count(*) AS n FROM machines WHERE wsus_url IN (SELECT url FROM urls) GROUP BY wsus_url
     )
     SELECT ${ALERT_FACT_COLUMNS.split(',')
       .map((c) => `m.${c.trim()}`)
       .join(', ')}, c.n AS wsus_count
     FROM machines m JOIN scope s ON s.id = m.id LEFT JOIN counts c ON c.wsus_url = m.wsus_url`,
    [
      w.changedSince,
      w.lastSeen.after,
      w.lastSeen.upTo,
      w.detectionReference.after,
      w.detectionReference.upTo,
      w.probeFailingSince.after,
      w.probeFailingSince.upTo,
      [...w.machineIds],
    ],
  );
  const wsusMachineCounts: Record<string, number> = {};
  for (const r of rows) if (r.wsus_url && r.wsus_count !== null) wsusMachineCounts[r.wsus_url] = Number(r.wsus_count);
  return { rows, wsusMachineCounts };
}

/** The newest machine data (max updated_at), or null with no machines (an index lookup). */
export async function machinesDataWatermark(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ at: Date | null }>('SELECT max(updated_at) AS at FROM machines');
  return rows[0]?.at ?? null;
}
