/**
 * The machines repository: the only SQL in the collector that reads or writes `machines` rows and the projections
 * kept beside them (`wsus_servers`, a machine's events as its timeline). Everything else asks here, so a column,
 * an index or a locking rule changes in one file.
 */
import type { Hello, MachineStatus, ProbeData } from '@wuwatch/core';
import { toJsonbText, type Queryable } from '../db/index.js';
import type { StatusReason, StatusThresholds, StatusVerdict } from '../status/types.js';
import type { InstallState } from './installs.js';
import type { MachineProjection } from './projection.js';
import {
  columnValue,
  MACHINE_STATE_COLUMNS,
  PROJECTION_COLUMNS,
  PROJECTION_FIELDS,
  type MachineStateRow,
} from './row.js';

// ---------------------------------------------------------------------------------------------------------------
// Write side: the refresh service (refresh.ts) and the ingest call these inside their transaction.

/** Loads a machine row with a row lock (the caller is in a transaction). */
export async function lockMachine(q: Queryable, agentId: string): Promise<MachineStateRow | null> {
  const { rows } = await q.query<MachineStateRow>(
    `SELECT ${MACHINE_STATE_COLUMNS} FROM machines WHERE agent_id = $1 FOR UPDATE`,
    [agentId],
  );
  return rows[0] ?? null;
}

/**
 * Writes the projection and verdict back to the machine row. `seen` (the agent just sent something) moves last_seen;
 * a re-evaluation by the clock must not, or a silent machine would look freshly seen and flap back.
 */
export async function saveMachine(
  q: Queryable,
  row: MachineStateRow,
  p: MachineProjection,
  verdict: StatusVerdict,
  now: Date,
  seen = false,
): Promise<void> {
  await q.query(SAVE_MACHINE_SQL, [
    row.id,
    ...PROJECTION_FIELDS.map((f) => columnValue(p, f, toJsonbText)),
    verdict.status,
    toJsonbText(verdict.reasons),
    now,
    seen,
  ]);
}

// Built once from the projection's column list: $1 the id, then one parameter per projection field, then the verdict.
const SAVE_MACHINE_SQL = (() => {
  const n = PROJECTION_FIELDS.length;
  const [status, reasons, now, seen] = [n + 2, n + 3, n + 4, n + 5];
  const sets = PROJECTION_FIELDS.map((f, i) => {
    const spec: { column: string; jsonb?: true } = PROJECTION_COLUMNS[f];
    return `${spec.column} = $${i + 2}${spec.jsonb ? '::jsonb' : ''}`;
  });
  return `UPDATE machines SET ${sets.join(', ')}, status = $${status}, status_reasons = $${reasons}::jsonb,
    status_changed_at = CASE WHEN status = $${status} THEN status_changed_at ELSE $${now} END, updated_at = $${now},
    last_seen = CASE WHEN $${seen} THEN GREATEST(last_seen, $${now}) ELSE last_seen END
  WHERE id = $1`;
})();

/** Records the WSUS server a projection points at, with its freshest probe (the `wsus_servers` projection). */
export async function saveWsusServer(q: Queryable, p: MachineProjection, now: Date): Promise<void> {
  if (!p.wsusUrl) return;
  // An agent's clock may run ahead (admission lets event times up to its allowance into the future): the server view
  // never records an answer or a probe later than the collector's own now, so no agent can pin them ahead.
  const notAfterNow = (d: Date | null) => (d && d.getTime() > now.getTime() ? now : d);
  const answered = notAfterNow(p.lastProbe?.ok ? (p.lastProbeAt ?? now) : null);
  await q.query(
    `INSERT INTO wsus_servers (url, first_seen, last_answer_at, last_probe_at, last_probe_class)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (url) DO UPDATE SET
       last_answer_at = GREATEST(wsus_servers.last_answer_at, EXCLUDED.last_answer_at),
       last_probe_at = GREATEST(wsus_servers.last_probe_at, EXCLUDED.last_probe_at),
       last_probe_class = COALESCE(EXCLUDED.last_probe_class, wsus_servers.last_probe_class)`,
    [p.wsusUrl, now, answered, notAfterNow(p.lastProbeAt), p.lastProbe?.class ?? null],
  );
}

/** A machine row as hello leaves it, with the stored verdict to compare against. */
export type HelloRow = MachineStateRow & { status_reasons: unknown };

/**
 * Registers (or refreshes) the machine behind an agent at hello, in one statement; returns the refreshed row and the
 * seq the collector has stored for the agent.
 */
export async function upsertHello(
  q: Queryable,
  agentId: string,
  hello: Hello,
): Promise<{ row: HelloRow; ackedSeq: number }> {
  const { rows } = await q.query<HelloRow & { acked_seq: string | null }>(
    `INSERT INTO machines (agent_id, hostname, os_version, agent_version, mode, connected, last_seen, last_goodbye_at)
     VALUES ($1, $2, $3, $4, $5, true, now(), NULL)
     ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname, os_version = EXCLUDED.os_version,
       agent_version = EXCLUDED.agent_version, mode = EXCLUDED.mode, connected = true, last_seen = now(),
       last_goodbye_at = NULL
     RETURNING ${MACHINE_STATE_COLUMNS}, status_reasons, (SELECT last_acked_seq FROM agents WHERE id = $1) AS acked_seq`,
    [agentId, hello.hostname, hello.osVersion, hello.agentVersion, hello.mode],
  );
  const { acked_seq, ...row } = rows[0]!;
  return { row, ackedSeq: Number(acked_seq ?? 0) };
}

/** Marks a machine disconnected; `graceful` records that the agent said goodbye first. */
export async function markDisconnected(q: Queryable, agentId: string, graceful: boolean): Promise<void> {
  await q.query(
    `UPDATE machines SET connected = false, last_seen = now(),
       last_goodbye_at = CASE WHEN $2 THEN now() ELSE last_goodbye_at END
     WHERE agent_id = $1`,
    [agentId, graceful],
  );
}

/**
 * Refreshes last_seen for agents connected to this collector, so live-but-quiet agents never look silent. Only rows
 * seen before `seenBefore` (default: now) are written: agents that report anyway move last_seen themselves, and at
 * 10,000 agents rewriting every row each sweep is most of the database's work. Rows a writer holds are skipped (the
 * writer moves last_seen itself), and the rest are locked in agent_id order, the order the ingest's writers use.
 */
export async function touchConnected(
  q: Queryable,
  agentIds: readonly string[],
  now: Date = new Date(),
  seenBefore: Date = now,
): Promise<void> {
  if (agentIds.length === 0) return;
  await q.query(
    `UPDATE machines m SET last_seen = GREATEST(m.last_seen, $2), connected = true
     FROM (SELECT id FROM machines WHERE agent_id = ANY($1::text[]) AND (NOT connected OR last_seen < $3)
           ORDER BY agent_id FOR UPDATE SKIP LOCKED) t
     WHERE m.id = t.id`,
    [agentIds, now, seenBefore],
  );
}

/**
 * Agents whose machine's status may have changed with time alone (silence, staleness), at most `limit`.
 * Staleness is matched on the stored reasons, not the status: a failing machine is stale too (its status stays
 * detect_failing), and selecting it on every sweep would fill the LIMIT and starve real transitions.
 */
export async function sweepCandidates(
  q: Queryable,
  thresholds: StatusThresholds,
  now: Date,
  limit = 5000,
): Promise<string[]> {
  const { rows } = await q.query<{ agent_id: string }>(
    `SELECT agent_id FROM machines
     WHERE (status <> 'silent' AND last_seen < $1::timestamptz - make_interval(secs => $2::float8 * 60))
        OR (status = 'silent' AND last_seen >= $1::timestamptz - make_interval(secs => $2::float8 * 60))
        OR (NOT status_reasons @> '[{"code":"DETECTION_STALE"}]' AND COALESCE(last_success_detection_at, first_seen) <
            $1::timestamptz - make_interval(secs => $3::float8 * 3600 *
              COALESCE((policy_assessment->>'detectionIntervalHours')::float8, $4::float8)))
        OR (status_reasons @> '[{"code":"DETECTION_STALE"}]' AND COALESCE(last_success_detection_at, first_seen) >=
            $1::timestamptz - make_interval(secs => $3::float8 * 3600 *
              COALESCE((policy_assessment->>'detectionIntervalHours')::float8, $4::float8)))
     LIMIT $5`,
    [
      now,
      thresholds.silentAfterMinutes,
      thresholds.staleAfterIntervals,
      thresholds.defaultDetectionIntervalHours,
      limit,
    ],
  );
  return rows.map((r) => r.agent_id);
}

// ---------------------------------------------------------------------------------------------------------------
// Read side: the query API, the dashboard (through the API's queries) and the alert evaluator.

/** Filters of a machine listing; `after` is the keyset position (hostname, id) of the previous page's last row. */
export interface MachineListFilter {
  status?: string | undefined;
  /** A normalised WSUS URL. */
  wsusUrl?: string | undefined;
  /** Substring of the hostname, case-insensitive (matched literally). */
  hostnameContains?: string | undefined;
  after?: readonly [hostname: string, id: string] | undefined;
}

const LIST_COLUMNS = `id, hostname, status, status_changed_at, wsus_url, os_version, agent_version, mode, connected,
  first_seen, last_seen, last_detection_at, last_detection_outcome, last_detection_hresult,
  consecutive_detection_failures, last_success_detection_at, last_probe_ok, last_probe->>'class' AS last_probe_class,
  (last_probe->>'httpStatus')::int AS last_probe_http_status, last_probe_at, status_reasons`;

/** Machines ordered by (hostname, id), at most `limit`, keyset-paged so deep pages cost the same as the first. */
export async function listMachineRows(
  q: Queryable,
  filter: MachineListFilter,
  limit: number,
): Promise<(Record<string, unknown> & { hostname: string; id: string })[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    params.push(filter.status);
    where.push(`status = $${params.length}`);
  }
  if (filter.wsusUrl) {
    params.push(filter.wsusUrl);
    where.push(`wsus_url = $${params.length}`);
  }
  if (filter.hostnameContains) {
    params.push(`%${filter.hostnameContains.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    where.push(`hostname ILIKE $${params.length}`);
  }
  if (filter.after) {
    params.push(filter.after[0], filter.after[1]);
    where.push(`(hostname, id) > ($${params.length - 1}, $${params.length})`);
  }
  params.push(limit);
  const sql = `SELECT ${LIST_COLUMNS} FROM machines ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY hostname, id LIMIT $${params.length}`;
  const { rows } = await q.query<Record<string, unknown> & { hostname: string; id: string }>(sql, params);
  return rows;
}

/** Machines per stored status (statuses with no machine are absent). */
export async function countByStatus(q: Queryable): Promise<{ status: string; count: number }[]> {
  const { rows } = await q.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM machines GROUP BY status',
  );
  return rows.map((r) => ({ status: r.status, count: Number(r.n) }));
}

/** One machine row (every column) with its agent's acknowledged seq, or null. */
export async function machineById(q: Queryable, id: string): Promise<Record<string, unknown> | null> {
  const { rows } = await q.query(
    `SELECT m.*, a.last_acked_seq FROM machines m JOIN agents a ON a.id = m.agent_id WHERE m.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** A machine's newest events (at most 100) and its per-day detection timeline over the last `days` days. */
export async function machineHistory(
  q: Queryable,
  id: string,
  days: number,
): Promise<{ recentEvents: unknown[]; timeline: unknown[] }> {
  const { rows: recentEvents } = await q.query(
    `SELECT seq, "time", received_at, kind, data FROM events WHERE machine_id = $1 ORDER BY "time" DESC, id DESC LIMIT 100`,
    [id],
  );
  // From the rollup written with each event insert, so the timeline outlives the pruning of raw events.
  const { rows: timeline } = await q.query(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, succeeded, failed, hresults
     FROM detection_days WHERE machine_id = $1
       AND day > ((now() AT TIME ZONE 'UTC') - make_interval(days => $2))::date
       AND day <= ((now() AT TIME ZONE 'UTC') + interval '1 day')::date
     ORDER BY day`,
    [id, days],
  );
  return { recentEvents, timeline };
}

/** One machine's WSUS pointer and last probe, as the fleet rules read them. */
export interface PointerRow {
  url: string;
  hostname: string;
  probe: Pick<ProbeData, 'url' | 'ok' | 'class' | 'httpStatus'> | null;
  probeAt: Date | null;
}

/** Every machine pointing at a WSUS server, in (url, hostname) order, plus each server's last answer. */
export async function wsusPointers(
  q: Queryable,
): Promise<{ pointers: PointerRow[]; lastAnswerAt: Map<string, Date | null> }> {
  const { rows } = await q.query<{
    url: string;
    hostname: string;
    probe: PointerRow['probe'];
    probe_at: Date | null;
  }>(
    `SELECT wsus_url AS url, hostname, CASE WHEN last_probe IS NULL THEN NULL ELSE jsonb_build_object('url',
         last_probe->'url', 'ok', last_probe->'ok', 'class', last_probe->'class', 'httpStatus', last_probe->'httpStatus')
       END AS probe, last_probe_at AS probe_at
     FROM machines WHERE wsus_url IS NOT NULL
     ORDER BY 1, 2`,
  );
  const { rows: servers } = await q.query<{ url: string; last_answer_at: Date | null }>(
    'SELECT url, last_answer_at FROM wsus_servers',
  );
  return {
    pointers: rows.map((r) => ({ url: r.url, hostname: r.hostname, probe: r.probe, probeAt: r.probe_at })),
    lastAnswerAt: new Map(servers.map((s) => [s.url, s.last_answer_at])),
  };
}

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

// ---------------------------------------------------------------------------------------------------------------
// Decommissioning.

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

/** Machines whose hostname equals `hostname` (case-insensitive, as Windows compares names). */
export async function machinesByHostname(
  q: Queryable,
  hostname: string,
): Promise<{ id: string; hostname: string; last_seen: Date }[]> {
  const { rows } = await q.query<{ id: string; hostname: string; last_seen: Date }>(
    'SELECT id, hostname, last_seen FROM machines WHERE lower(hostname) = lower($1) ORDER BY last_seen DESC',
    [hostname],
  );
  return rows;
}
