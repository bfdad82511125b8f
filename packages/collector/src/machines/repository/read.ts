/** The read side for people: the query API's listings, counts, one machine, its history, and lookups by hostname. */
import type { Queryable } from '../../db/index.js';

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
