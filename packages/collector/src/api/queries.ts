/**
 * The query API's reads: machines (keyset-paged), one machine, summary, WSUS servers. Request checks and cursors live
 * here; the SQL is the machines repository's.
 */
import { makeError, normalizeWsusUrl, type UpdateSources } from '@wuwatch/core';
import type { Queryable } from '../db/index.js';
import { countByStatus, listMachineRows, machineById, machineHistory, wsusPointers } from '../machines/repository.js';
import { scanOverview } from '../status/services.js';
import { MACHINE_STATUSES, type ScansByService } from '../status/types.js';
import { aggregateWsus, buildWsusView, type WsusServerView } from '../status/wsus.js';

/** Filters and paging of GET /v1/machines. */
export interface MachineQuery {
  status?: string | undefined;
  wsus?: string | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

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
  if (query.status && !(MACHINE_STATUSES as readonly string[]).includes(query.status)) {
    throw makeError('BAD_REQUEST', [`status must be one of ${MACHINE_STATUSES.join(', ')}`]);
  }
  const rows = await listMachineRows(
    q,
    {
      status: query.status,
      // Stored URLs are normalised (scheme://host[:port]); accept any spelling a GPO or an operator might paste.
      wsusUrl: query.wsus ? (normalizeWsusUrl(query.wsus) ?? query.wsus.toLowerCase().replace(/\/+$/, '')) : undefined,
      hostnameContains: query.q,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    },
    query.limit + 1,
  );
  const more = rows.length > query.limit;
  const items = more ? rows.slice(0, query.limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor(last.hostname, last.id) : null };
}

/** Counts per status, every status present (0 when none). */
export async function summary(q: Queryable): Promise<{ total: number; byStatus: Record<string, number> }> {
  const byStatus: Record<string, number> = Object.fromEntries(MACHINE_STATUSES.map((s) => [s, 0]));
  let total = 0;
  for (const r of await countByStatus(q)) {
    byStatus[r.status] = r.count;
    total += r.count;
  }
  return { total, byStatus };
}

/**
 * One machine with its recent events, a per-day detection timeline and its scans per update service (which count
 * for its status and which are context; the source summary is its `update_sources` column).
 */
export async function machineDetail(q: Queryable, id: string, days = 30): Promise<Record<string, unknown>> {
  const machine = await machineById(q, id);
  if (!machine) throw makeError('NOT_FOUND', [`Machine ${id}`]);
  const sources = machine.update_sources as UpdateSources | null;
  const scans = scanOverview((machine.detection_scans ?? {}) as ScansByService, sources?.servicesThatMatter ?? null);
  return { ...machine, scans, ...(await machineHistory(q, id, days)) };
}

/** The WSUS servers view (per normalised URL). */
export async function wsusServers(q: Queryable): Promise<WsusServerView[]> {
  const { pointers, lastAnswerAt } = await wsusPointers(q);
  return buildWsusView(aggregateWsus(pointers, lastAnswerAt));
}
