import type { Queryable } from './queryable.js';

/** One agent event to store; (agentId, seq) identifies it, so re-sent events are ignored. */
export interface EventRow {
  agentId: string;
  machineId: string;
  seq: bigint | number | string;
  /** When the event happened on the machine. */
  time: Date;
  kind: string;
  data: unknown;
  /**
   * Whether a detection goes into the machine's per-day timeline (detection_days); default true. The ingest sets it
   * false for scans of update services that do not decide the machine's status (collector status/services.ts), so a
   * Store success never paints a green day over failing WSUS scans.
   */
  rollup?: boolean;
}

/** At or above this many rows a PostgreSQL transaction streams them with COPY instead of one unnest INSERT. */
export const COPY_THRESHOLD = 2000;

/**
 * The insert both paths share, from `source` (rows agent_id, machine_id, seq, "time", kind, data). `events` is
 * partitioned by received_at, so (agent_id, seq) cannot be a unique index (it would have to contain received_at):
 * the ingest writer refuses re-sent seqs (only seq > agents.last_acked_seq, under the agent's row lock), and here a
 * seq repeated within the rows or already stored in the last two days' partitions is skipped — the same guarantee
 * ON CONFLICT gave, for every path that does not go through the writer's filter, at the cost of two index probes.
 * Inserted detections whose row says `rollup` are added to the machine's per-day rollup (detection_days) in the same
 * statement; a detection dated more than a day ahead (a broken agent clock) is stored but not rolled up.
 */
function insertFrom(source: string, sinceParam: string): string {
  return `WITH src AS (
  SELECT DISTINCT ON (s.agent_id, s.seq) s.agent_id, s.machine_id, s.seq, s."time", s.kind, s.data, s.rollup
  FROM ${source} ORDER BY s.agent_id, s.seq
), ins AS (
  INSERT INTO events (agent_id, machine_id, seq, "time", kind, data)
  SELECT src.agent_id, src.machine_id, src.seq, src."time", src.kind, src.data FROM src
  WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.agent_id = src.agent_id AND e.seq = src.seq
    AND e.received_at >= ${sinceParam}::timestamptz)
  RETURNING agent_id, machine_id, seq, "time", kind, data
), rolled AS (
  INSERT INTO detection_days (machine_id, day, succeeded, failed, hresults)
  SELECT ins.machine_id, (ins."time" AT TIME ZONE 'UTC')::date,
    count(*) FILTER (WHERE ins.data->>'outcome' = 'succeeded')::int,
    count(*) FILTER (WHERE ins.data->>'outcome' = 'failed')::int,
    array_remove(array_agg(DISTINCT ins.data->>'hresult'), NULL)
  FROM ins JOIN src ON src.agent_id = ins.agent_id AND src.seq = ins.seq
  WHERE ins.kind = 'detection' AND src.rollup AND ins."time" <= now() + interval '1 day'
  GROUP BY 1, 2
  ON CONFLICT (machine_id, day) DO UPDATE SET
    succeeded = detection_days.succeeded + EXCLUDED.succeeded,
    failed = detection_days.failed + EXCLUDED.failed,
    hresults = ARRAY(SELECT DISTINCT h FROM unnest(detection_days.hresults || EXCLUDED.hresults) AS h ORDER BY h)
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM rolled)::int AS rolled,
  (SELECT jsonb_object_agg(agent_id, n) FROM (SELECT agent_id, count(*)::int AS n FROM ins GROUP BY agent_id) c)
    AS per_agent`;
}

const UNNEST_INSERT = insertFrom(
  `(SELECT u.agent_id, u.machine_id, u.seq, u.t AS "time", u.kind, u.data::jsonb AS data, u.rollup
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $8::boolean[])
    AS u(agent_id, machine_id, seq, t, kind, data, rollup)) s`,
  '$7',
);

// Session-scoped staging table; ON COMMIT DELETE ROWS empties it at the end of every transaction.
const STAGE_CREATE = `CREATE TEMP TABLE IF NOT EXISTS wuwatch_event_stage (
  agent_id text NOT NULL, machine_id text NOT NULL, seq bigint NOT NULL, "time" timestamptz NOT NULL,
  kind text NOT NULL, data jsonb NOT NULL, rollup boolean NOT NULL
) ON COMMIT DELETE ROWS`;
const STAGE_COPY = `COPY wuwatch_event_stage (agent_id, machine_id, seq, "time", kind, data, rollup) FROM STDIN`;
const STAGE_INSERT = insertFrom('wuwatch_event_stage s', '$1');

const DAY_MS = 86_400_000;
/**
 * Start of yesterday (UTC): the duplicate probe looks at received_at from here on. Passed as a parameter, not
 * computed in SQL, so the planner prunes the other partitions at plan time instead of planning all of them.
 */
function probeSince(): string {
  return new Date((Math.floor(Date.now() / DAY_MS) - 1) * DAY_MS).toISOString();
}

/**
 * JSON text for a jsonb column. PostgreSQL rejects the escape \u0000 in jsonb, and Windows event data can carry NUL
 * characters, so a real NUL escape (one preceded by an even number of backslashes) becomes U+FFFD.
 */
export function toJsonbText(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  if (!json.includes('\\u0000')) return json;
  return json.replace(/(\\*)\\u0000/g, (match, slashes: string) =>
    slashes.length % 2 === 0 ? `${slashes}\\ufffd` : match,
  );
}

interface InsertCounts {
  inserted: number;
  rolled: number;
  per_agent: Record<string, number> | null;
}

function insertedOf(res: { rows: InsertCounts[] }): Map<string, number> {
  return new Map(Object.entries(res.rows[0]?.per_agent ?? {}));
}

/** Escapes one value for COPY text format (backslash, tab, newline, carriage return). */
function copyField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function* copyLines(rows: readonly EventRow[], chunkRows = 500): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const r of rows) {
    chunk += `${copyField(r.agentId)}\t${copyField(r.machineId)}\t${String(r.seq)}\t${r.time.toISOString()}\t${copyField(r.kind)}\t${copyField(toJsonbText(r.data))}\t${r.rollup === false ? 'f' : 't'}\n`;
    if (++n === chunkRows) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk) yield chunk;
}

async function insertByCopy(q: Queryable, copyFrom: NonNullable<Queryable['copyFrom']>, rows: readonly EventRow[]) {
  await q.query(STAGE_CREATE);
  // Only non-empty when an earlier call in this transaction staged rows; they would just conflict, but cost time.
  await q.query('DELETE FROM wuwatch_event_stage');
  await copyFrom(STAGE_COPY, copyLines(rows));
  return insertedOf(await q.query<InsertCounts>(STAGE_INSERT, [probeSince()]));
}

/**
 * Stores events set-based and idempotently: rows whose (agent_id, seq) already exist (or repeat within `rows`) are
 * skipped. Call it inside `withTransaction`; returns how many rows were inserted. Works on both backends; large
 * batches on PostgreSQL go through COPY into a temp table, everything else through one unnest INSERT.
 */
export async function insertEvents(q: Queryable, rows: readonly EventRow[]): Promise<number> {
  let n = 0;
  for (const c of (await insertEventsByAgent(q, rows)).values()) n += c;
  return n;
}

/** {@link insertEvents} for rows of many agents (the ingest's group commit): rows inserted per agent id. */
export async function insertEventsByAgent(q: Queryable, rows: readonly EventRow[]): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  if (q.copyFrom && rows.length >= COPY_THRESHOLD) return insertByCopy(q, q.copyFrom.bind(q), rows);
  const res = await q.query<InsertCounts>(UNNEST_INSERT, [
    rows.map((r) => r.agentId),
    rows.map((r) => r.machineId),
    rows.map((r) => String(r.seq)),
    rows.map((r) => r.time.toISOString()),
    rows.map((r) => r.kind),
    rows.map((r) => toJsonbText(r.data)),
    probeSince(),
    rows.map((r) => r.rollup !== false),
  ]);
  return insertedOf(res);
}
