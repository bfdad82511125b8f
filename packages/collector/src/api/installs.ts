/** GET /v1/installs: the fleet's latest installs (or only the failed ones), each code explained from the catalogue. */
import { tryDescribeHresult } from '@wuwatch/core';
import * as z from 'zod';
import type { Queryable } from '../db/index.js';
import { findUpdate } from '../machines/installs.js';
import { listInstallRows } from '../machines/installs-repository.js';

/** The query string of GET /v1/installs. */
export const InstallsQuery = z.object({
  failed: z.enum(['true', 'false']).default('false').describe('true: only failed installs (wuwatch installs --failed)'),
  machine: z.string().max(100).optional().describe('only this machine (an id from /v1/machines)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('most rows, newest first'),
});

/** One install as the API returns it (times ISO). */
export interface InstallItem {
  machineId: string;
  hostname: string;
  at: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  title: string | null;
  kb: string | null;
  updateId: string | null;
  hresult: string | null;
  /** The catalogue's name and meaning of `hresult` (null when it has none or the code is not an HRESULT). */
  hresultName: string | null;
  meaning: string | null;
  /** How many times this update has failed in a row on the machine (0 once it installed). */
  failuresInARow: number;
  source: 'log' | 'event';
}

function explain(code: string | null): { hresultName: string | null; meaning: string | null } {
  const d = tryDescribeHresult(code);
  return { hresultName: d?.name ?? null, meaning: d?.description ?? null };
}

/** The newest installs across the fleet (or one machine), newest first. */
export async function listInstalls(
  q: Queryable,
  query: z.infer<typeof InstallsQuery>,
): Promise<{ items: InstallItem[] }> {
  const rows = await listInstallRows(q, {
    failed: query.failed === 'true',
    machineId: query.machine,
    limit: query.limit,
  });
  return {
    items: rows.map(({ machineId, hostname, install: r, updates }) => {
      const key = findUpdate(updates, r);
      return {
        machineId,
        hostname,
        at: r.at,
        outcome: r.outcome,
        title: r.title,
        kb: r.kb,
        updateId: r.updateId,
        hresult: r.hresult,
        ...explain(r.hresult),
        failuresInARow: key === null ? 0 : (updates[key]?.failures ?? 0),
        source: r.source,
      };
    }),
  };
}
