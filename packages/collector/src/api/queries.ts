/** Read-side SQL for the query API: machines (keyset-paged), one machine, summary, WSUS servers. */
import { makeError, normalizeWsusUrl } from '@wuwatch/core';
import type { Queryable } from '../db/index.js';
import { MACHINE_STATUSES } from '../status/types.js';
import { buildWsusView, type WsusAggregate, type WsusServerView } from '../status/wsus.js';

/** Filters and paging of GET /v1/machines. */
export interface MachineQuery {
  status?: string | undefined;
  wsus?: string | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

const LIST_COLUMNS = `id, hostname, status, status_changed_at, wsus_url, os_version, agent_version, mode, connected,
  first_seen, last_seen, last_detection_at, last_detection_outcome, last_detection_hresult,
  consecutive_detection_failures, last_success_detection_at, last_probe_ok, last_probe_at, status_reasons`;

function encodeCursor(hostname: string, id: string): string {
  return Buffer.from(JSON.stringify([hostname, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through to the error below
  }
  throw makeError('BAD_REQUEST', ['cursor is not one this API returned']);
}

/** Lists machines ordered by (hostname, id), keyset-paged so deep pages cost the same as the first. */
export async function listMachines(
  q: Queryable,
  query: MachineQuery,
): Promise<{ items: unknown[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.status) {
    if (!(MACHINE_STATUSES as readonly string[]).includes(query.status)) {
      throw makeError('BAD_REQUEST', [`status must be one of ${MACHINE_STATUSES.join(', ')}`]);
    }
    params.push(query.status);
    where.push(`status = $${params.length}`);
  }
  if (query.wsus) {
    // Stored URLs are normalised (scheme://host[:port]); accept any spelling a GPO or an operator might paste.
    params.push(normalizeWsusUrl(query.wsus) ?? query.wsus.toLowerCase().replace(/\/+$/, ''));
    where.push(`wsus_url = $${params.length}`);
  }
  if (query.q) {
    params.push(`%${query.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    where.push(`hostname ILIKE $${params.length}`);
  }
  if (query.cursor) {
    const [h, id] = decodeCursor(query.cursor);
    params.push(h, id);
    where.push(`(hostname, id) > ($${params.length - 1}, $${params.length})`);
  }
  params.push(query.limit + 1);
  const sql = `SELECT ${LIST_COLUMNS} FROM machines ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY hostname, id LIMIT $${params.length}`;
  const { rows } = await q.query<{ hostname: string; id: string }>(sql, params);
  const more = rows.length > query.limit;
  const items = more ? rows.slice(0, query.limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor(last.hostname, last.id) : null };
}

/** Counts per status, every status present (0 when none). */
export async function summary(q: Queryable): Promise<{ total: number; byStatus: Record<string, number> }> {
  const { rows } = await q.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM machines GROUP BY status',
  );
  const byStatus: Record<string, number> = Object.fromEntries(MACHINE_STATUSES.map((s) => [s, 0]));
  let total = 0;
  for (const r of rows) {
    byStatus[r.status] = Number(r.n);
    total += Number(r.n);
  }
  return { total, byStatus };
}

/** One machine with its recent events and a per-day detection timeline. */
export async function machineDetail(q: Queryable, id: string, days = 30): Promise<Record<string, unknown>> {
  const { rows } = await q.query(
    `SELECT m.*, a.last_acked_seq FROM machines m JOIN agents a ON a.id = m.agent_id WHERE m.id = $1`,
    [id],
  );
  const machine = rows[0];
  if (!machine) throw makeError('NOT_FOUND', [`Machine ${id}`]);
  const { rows: events } = await q.query(
    `SELECT seq, "time", received_at, kind, data FROM events WHERE machine_id = $1 ORDER BY "time" DESC, id DESC LIMIT 100`,
    [id],
  );
  const { rows: timeline } = await q.query(
    `SELECT to_char(date_trunc('day', "time" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
       count(*) FILTER (WHERE data->>'outcome' = 'succeeded')::int AS succeeded,
       count(*) FILTER (WHERE data->>'outcome' = 'failed')::int AS failed,
       array_remove(array_agg(DISTINCT data->>'hresult'), NULL) AS hresults
     FROM events WHERE machine_id = $1 AND kind = 'detection' AND "time" > now() - make_interval(days => $2)
     GROUP BY 1 ORDER BY 1`,
    [id, days],
  );
  return { ...machine, recentEvents: events, timeline };
}

/** The WSUS servers view (per normalised URL). */
export async function wsusServers(q: Queryable): Promise<WsusServerView[]> {
  const { rows } = await q.query<{
    url: string;
    machines: string;
    reachable: string;
    unreachable: string;
    last_answer_at: Date | null;
    last_probe_at: Date | null;
    sample_hostname: string | null;
  }>(
    `SELECT m.wsus_url AS url, count(*) AS machines,
       count(*) FILTER (WHERE m.last_probe_ok) AS reachable,
       count(*) FILTER (WHERE m.last_probe_ok = false) AS unreachable,
       max(w.last_answer_at) AS last_answer_at, max(m.last_probe_at) AS last_probe_at,
       min(m.hostname) AS sample_hostname
     FROM machines m LEFT JOIN wsus_servers w ON w.url = m.wsus_url
     WHERE m.wsus_url IS NOT NULL GROUP BY m.wsus_url ORDER BY m.wsus_url`,
  );
  const aggregates: WsusAggregate[] = rows.map((r) => ({
    url: r.url,
    machines: Number(r.machines),
    reachable: Number(r.reachable),
    unreachable: Number(r.unreachable),
    lastAnswerAt: r.last_answer_at,
    lastProbeAt: r.last_probe_at,
    sampleHostname: r.sample_hostname,
  }));
  return buildWsusView(aggregates);
}
