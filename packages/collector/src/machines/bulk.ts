/**
 * The machines repository's set-based side: the same reads and writes as repository.ts, for many machines in one
 * statement each. The ingest's group commit writes the batches and hellos of many agents in one transaction; one
 * statement per step instead of one per machine is what makes a group cheaper than the sum of its members.
 * Rows are locked in agent_id order so two groups (or a group and the sweep) never wait on each other in a cycle.
 */
import type { Hello } from '@wuwatch/core';
import { toJsonbText, type Queryable } from '../db/index.js';
import type { StatusVerdict } from '../status/types.js';
import type { MachineProjection } from './projection.js';
import type { HelloRow } from './repository.js';
import { MACHINE_STATE_COLUMNS, PROJECTION_COLUMNS, PROJECTION_FIELDS, type MachineStateRow } from './row.js';

/** Loads and row-locks the machines of `agentIds`, keyed by agent id (absent agents have no machine yet). */
export async function lockMachines(q: Queryable, agentIds: readonly string[]): Promise<Map<string, MachineStateRow>> {
  if (agentIds.length === 0) return new Map();
  const { rows } = await q.query<MachineStateRow>(
    `SELECT ${MACHINE_STATE_COLUMNS} FROM machines WHERE agent_id = ANY($1::text[]) ORDER BY agent_id FOR UPDATE`,
    [agentIds],
  );
  return new Map(rows.map((r) => [r.agent_id, r]));
}

/**
 * Registers (or refreshes) the machines behind many hellos in one statement (see repository.ts `upsertHello`):
 * returns each agent's refreshed row and the seq the collector has stored for it.
 */
export async function upsertHellos(
  q: Queryable,
  hellos: readonly { agentId: string; hello: Hello }[],
): Promise<Map<string, { row: HelloRow; ackedSeq: number }>> {
  if (hellos.length === 0) return new Map();
  const sorted = [...hellos].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  const { rows } = await q.query<HelloRow & { acked_seq: string | null }>(
    `INSERT INTO machines (agent_id, hostname, os_version, agent_version, mode, connected, last_seen, last_goodbye_at)
     SELECT u.agent_id, u.hostname, u.os_version, u.agent_version, u.mode, true, now(), NULL
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       AS u(agent_id, hostname, os_version, agent_version, mode)
     ORDER BY u.agent_id
     ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname, os_version = EXCLUDED.os_version,
       agent_version = EXCLUDED.agent_version, mode = EXCLUDED.mode, connected = true, last_seen = now(),
       last_goodbye_at = NULL
     RETURNING ${MACHINE_STATE_COLUMNS}, status_reasons,
       (SELECT a.last_acked_seq FROM agents a WHERE a.id = machines.agent_id) AS acked_seq`,
    [
      sorted.map((h) => h.agentId),
      sorted.map((h) => h.hello.hostname),
      sorted.map((h) => h.hello.osVersion),
      sorted.map((h) => h.hello.agentVersion),
      sorted.map((h) => h.hello.mode),
    ],
  );
  return new Map(rows.map(({ acked_seq, ...row }) => [row.agent_id, { row, ackedSeq: Number(acked_seq ?? 0) }]));
}

/** One machine to save: its locked row, new projection and verdict; `seen` moves last_seen (the agent spoke). */
export interface MachineSave {
  row: MachineStateRow;
  projection: MachineProjection;
  verdict: StatusVerdict;
  seen: boolean;
}

// The new values travel as one jsonb array read back with the table's own row type (jsonb_populate_recordset), so
// every column keeps its type without a cast list here. last_seen is null for a row not seen: GREATEST skips NULL.
const SAVE_MACHINES_SQL = `UPDATE machines m SET ${PROJECTION_FIELDS.map((f) => {
  const column = PROJECTION_COLUMNS[f].column;
  return `${column} = v.${column}`;
}).join(', ')}, status = v.status, status_reasons = v.status_reasons,
  status_changed_at = CASE WHEN m.status = v.status THEN m.status_changed_at ELSE v.updated_at END,
  updated_at = v.updated_at, last_seen = GREATEST(m.last_seen, v.last_seen)
FROM jsonb_populate_recordset(NULL::machines, $1::jsonb) AS v WHERE m.id = v.id`;

/** Writes many projections and verdicts back in one statement (see repository.ts `saveMachine`). */
export async function saveMachines(q: Queryable, saves: readonly MachineSave[], now: Date): Promise<void> {
  if (saves.length === 0) return;
  const records = saves.map((s) => {
    const r: Record<string, unknown> = { id: s.row.id };
    for (const f of PROJECTION_FIELDS) r[PROJECTION_COLUMNS[f].column] = s.projection[f];
    r.status = s.verdict.status;
    r.status_reasons = s.verdict.reasons;
    r.updated_at = now;
    r.last_seen = s.seen ? now : null;
    return r;
  });
  // toJsonbText: the one place NUL escapes (which jsonb refuses) are replaced, for the whole array at once.
  await q.query(SAVE_MACHINES_SQL, [toJsonbText(records)]);
}

/**
 * Records the WSUS servers of many projections with their freshest probe (see repository.ts `saveWsusServer`): one
 * row per URL, in URL order. Many machines point at the same few servers, so these rows are the hottest in the
 * ingest; one statement per group, late in its transaction, keeps their row locks short.
 */
export async function saveWsusServers(q: Queryable, projections: readonly MachineProjection[], now: Date) {
  const notAfterNow = (d: Date | null) => (d && d.getTime() > now.getTime() ? now : d);
  const byUrl = new Map<string, { answered: Date | null; probeAt: Date | null; cls: string | null }>();
  for (const p of projections) {
    if (!p.wsusUrl) continue;
    const answered = notAfterNow(p.lastProbe?.ok ? (p.lastProbeAt ?? now) : null);
    const probeAt = notAfterNow(p.lastProbeAt);
    const cls = p.lastProbe?.class ?? null;
    const cur = byUrl.get(p.wsusUrl);
    if (!cur) {
      byUrl.set(p.wsusUrl, { answered, probeAt, cls });
      continue;
    }
    const later = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b);
    cur.answered = later(cur.answered, answered);
    // The class of the freshest probe wins, as it would have if the machines had been written one after another.
    if (cls !== null && (cur.cls === null || (probeAt && (!cur.probeAt || probeAt >= cur.probeAt)))) cur.cls = cls;
    cur.probeAt = later(cur.probeAt, probeAt);
  }
  if (byUrl.size === 0) return;
  const urls = [...byUrl.keys()].sort();
  await q.query(
    `INSERT INTO wsus_servers (url, first_seen, last_answer_at, last_probe_at, last_probe_class)
     SELECT u.url, $2, u.answered, u.probe_at, u.cls
     FROM unnest($1::text[], $3::timestamptz[], $4::timestamptz[], $5::text[]) AS u(url, answered, probe_at, cls)
     ORDER BY u.url
     ON CONFLICT (url) DO UPDATE SET
       last_answer_at = GREATEST(wsus_servers.last_answer_at, EXCLUDED.last_answer_at),
       last_probe_at = GREATEST(wsus_servers.last_probe_at, EXCLUDED.last_probe_at),
       last_probe_class = COALESCE(EXCLUDED.last_probe_class, wsus_servers.last_probe_class)`,
    [
      urls,
      now,
      urls.map((u) => byUrl.get(u)!.answered),
      urls.map((u) => byUrl.get(u)!.probeAt),
      urls.map((u) => byUrl.get(u)!.cls),
    ],
  );
}
