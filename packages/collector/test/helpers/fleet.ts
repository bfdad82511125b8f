// Fleets inserted straight into the database (set-based SQL), for paging tests and the benchmark: far faster than
// enrolling thousands of agents through the API, and the rows are the ones the collector itself would write.
import { randomBytes } from 'node:crypto';
import { hashCredential } from '../../src/auth/tokens.js';

/** Anything with a pg-style `query` (a Database, a transaction, a pg Pool or Client). */
export interface Sql {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Shape of the machines inserted by {@link insertFleet}. */
export interface FleetOptions {
  /** Agent ids are `${idPrefix}${i}`, hostnames `${hostPrefix}${i}` zero-padded to 6 digits. */
  idPrefix?: string;
  hostPrefix?: string;
  /** Machine i gets statuses[i % statuses.length]. */
  statuses?: string[];
  /** Machine i gets wsusUrls[i % wsusUrls.length] (null: Microsoft Update). */
  wsusUrls?: (string | null)[];
  /** First index (so several fleets can share a database). */
  from?: number;
}

/** Inserts `n` agents and their machines with generate_series; returns nothing but is idempotent per id prefix. */
export async function insertFleet(sql: Sql, n: number, opts: FleetOptions = {}): Promise<void> {
  const idPrefix = opts.idPrefix ?? 'agt_fleet_';
  const hostPrefix = opts.hostPrefix ?? 'fleet-';
  const statuses = opts.statuses ?? ['healthy'];
  const urls = opts.wsusUrls ?? [null];
  const from = opts.from ?? 1;
  await sql.query(
    `INSERT INTO agents (id, token_hash, token_prefix)
     SELECT $1 || i, md5($1 || i) || md5(i::text), 'wwa_fleet' FROM generate_series($2::int, $3::int) AS i`,
    [idPrefix, from, from + n - 1],
  );
  // The time columns agree with each status, so the collector's status sweep finds nothing to re-evaluate (it would
  // otherwise spend the benchmark rewriting synthetic rows).
  await sql.query(
    `INSERT INTO machines (agent_id, hostname, os_version, agent_version, mode, status, wsus_url, status_reasons,
       first_seen, last_seen, last_success_detection_at)
     SELECT $1 || i, $2 || lpad(i::text, 6, '0'), 'Windows Server 2016', 'fleet', 'event', s.status,
       ($5::text[])[1 + i % cardinality($5::text[])],
       CASE s.status WHEN 'detect_stale' THEN '[{"code":"DETECTION_STALE","status":"detect_stale","message":"stale","evidence":{}}]'::jsonb
         ELSE '[]'::jsonb END,
       now() - interval '30 days',
       CASE s.status WHEN 'silent' THEN now() - interval '1 day' ELSE now() END,
       CASE s.status WHEN 'detect_stale' THEN now() - interval '10 days' ELSE now() - interval '1 hour' END
     FROM generate_series($3::int, $6::int) AS i,
       LATERAL (SELECT ($4::text[])[1 + i % cardinality($4::text[])] AS status) AS s`,
    [idPrefix, hostPrefix, from, statuses, urls, from + n - 1],
  );
}

/** Inserts `n` agents with real (hashed) tokens, as enrollment would; returns their ids and tokens. */
export async function insertAgentsWithTokens(
  sql: Sql,
  n: number,
  idPrefix = 'agt_sim_',
): Promise<{ agentId: string; token: string }[]> {
  const agents = Array.from({ length: n }, (_, i) => ({
    agentId: `${idPrefix}${i + 1}`,
    token: 'wwa_' + randomBytes(32).toString('base64url'),
  }));
  for (let i = 0; i < agents.length; i += 5000) {
    const chunk = agents.slice(i, i + 5000);
    await sql.query(
      `INSERT INTO agents (id, token_hash, token_prefix)
       SELECT id, hash, 'wwa_sim' FROM unnest($1::text[], $2::text[]) AS u(id, hash)`,
      [chunk.map((a) => a.agentId), chunk.map((a) => hashCredential(a.token))],
    );
  }
  return agents;
}
