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
}

/** At or above this many rows a PostgreSQL transaction streams them with COPY instead of one unnest INSERT. */
export const COPY_THRESHOLD = 2000;

const UNNEST_INSERT = `INSERT INTO events (agent_id, machine_id, seq, "time", kind, data)
SELECT u.agent_id, u.machine_id, u.seq, u.t, u.kind, u.data::jsonb
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[])
  AS u(agent_id, machine_id, seq, t, kind, data)
ON CONFLICT (agent_id, seq) DO NOTHING`;

// Session-scoped staging table; ON COMMIT DELETE ROWS empties it at the end of every transaction.
const STAGE_CREATE = `CREATE TEMP TABLE IF NOT EXISTS wuwatch_event_stage (
  agent_id text NOT NULL, machine_id text NOT NULL, seq bigint NOT NULL, "time" timestamptz NOT NULL,
  kind text NOT NULL, data jsonb NOT NULL
) ON COMMIT DELETE ROWS`;
const STAGE_COPY = `COPY wuwatch_event_stage (agent_id, machine_id, seq, "time", kind, data) FROM STDIN`;
const STAGE_INSERT = `INSERT INTO events (agent_id, machine_id, seq, "time", kind, data)
SELECT agent_id, machine_id, seq, "time", kind, data FROM wuwatch_event_stage
ON CONFLICT (agent_id, seq) DO NOTHING`;

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

/** Escapes one value for COPY text format (backslash, tab, newline, carriage return). */
function copyField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function* copyLines(rows: readonly EventRow[], chunkRows = 500): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const r of rows) {
    chunk += `${copyField(r.agentId)}\t${copyField(r.machineId)}\t${String(r.seq)}\t${r.time.toISOString()}\t${copyField(r.kind)}\t${copyField(toJsonbText(r.data))}\n`;
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
  return (await q.query(STAGE_INSERT)).rowCount;
}

/**
 * Stores events set-based and idempotently: rows whose (agent_id, seq) already exist (or repeat within `rows`) are
 * skipped. Call it inside `withTransaction`; returns how many rows were inserted. Works on both backends; large
 * batches on PostgreSQL go through COPY into a temp table, everything else through one unnest INSERT.
 */
export async function insertEvents(q: Queryable, rows: readonly EventRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  if (q.copyFrom && rows.length >= COPY_THRESHOLD) return insertByCopy(q, q.copyFrom.bind(q), rows);
  const res = await q.query(UNNEST_INSERT, [
    rows.map((r) => r.agentId),
    rows.map((r) => r.machineId),
    rows.map((r) => String(r.seq)),
    rows.map((r) => r.time.toISOString()),
    rows.map((r) => r.kind),
    rows.map((r) => toJsonbText(r.data)),
  ]);
  return res.rowCount;
}
