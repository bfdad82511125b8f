/**
 * GET /v1/machines?status=… over a large fleet: latency percentiles through the real API (HTTP, auth, JSON), and the
 * query plan PostgreSQL picks for the same SQL.
 */
import type pg from 'pg';
import { MACHINE_STATUSES } from '@wuwatch/core';
import { insertFleet } from '../../packages/collector/test/helpers/fleet.js';
import { percentile, round } from './stats.js';

/** Statuses with a realistic skew: most machines healthy, 5 % in each problem status. */
const STATUSES: string[] = [...Array<string>(13).fill('healthy'), ...MACHINE_STATUSES.filter((s) => s !== 'healthy')];

/** What the query run measured. */
export interface MachinesQueryResult {
  machines: number;
  requests: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  plan: string[];
  indexUsed: string | null;
  deepPagePlan: string[];
}

/** Inserts `machines` machines with a realistic status mix (directly, set-based) and refreshes the statistics. */
export async function seedMachines(pool: pg.Pool, machines: number): Promise<void> {
  await insertFleet(pool, machines, {
    idPrefix: 'agt_q_',
    hostPrefix: 'srv-',
    statuses: STATUSES,
    wsusUrls: ['http://wsus01.corp.example:8530', 'http://wsus02.corp.example:8530', null],
  });
  await pool.query('ANALYZE machines');
}

/** Times `requests` GETs cycling through the statuses (after seedMachines), and explains the query. */
export async function runMachinesQuery(
  api: { url: string; token: string },
  pool: pg.Pool,
  opts: { machines: number; requests: number },
): Promise<MachinesQueryResult> {
  const statuses = [...new Set(STATUSES)];
  const get = async (status: string) => {
    const started = performance.now();
    const res = await fetch(`${api.url}/v1/machines?status=${status}`, {
      headers: { authorization: `Bearer ${api.token}` },
    });
    const body = (await res.json()) as { items: unknown[] };
    if (res.status !== 200 || body.items.length === 0)
      throw new Error(`GET /v1/machines?status=${status}: ${res.status}`);
    return performance.now() - started;
  };
  for (const s of statuses) await get(s); // warm-up: connections, plan cache
  const latencies: number[] = [];
  for (let i = 0; i < opts.requests; i++) latencies.push(await get(statuses[i % statuses.length]!));

  // The same predicate, order and limit as listMachines (api/queries.ts).
  const explain = async (sql: string, params: unknown[]) =>
    (
      await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${sql}`, params)
    ).rows.map((r) => r['QUERY PLAN']);
  const plan = await explain('SELECT * FROM machines WHERE status = $1 ORDER BY hostname, id LIMIT $2', [
    'wsus_unreachable',
    101,
  ]);
  const deepPagePlan = await explain(
    'SELECT * FROM machines WHERE status = $1 AND (hostname, id) > ($2, $3) ORDER BY hostname, id LIMIT $4',
    ['healthy', 'srv-050000', '', 101],
  );
  const index = /Index Scan using (\S+)/.exec(plan.join('\n'));
  return {
    machines: opts.machines,
    requests: opts.requests,
    latencyMs: {
      p50: round(percentile(latencies, 50), 2),
      p95: round(percentile(latencies, 95), 2),
      p99: round(percentile(latencies, 99), 2),
      max: round(Math.max(...latencies), 2),
    },
    plan,
    indexUsed: index ? index[1]! : null,
    deepPagePlan,
  };
}
