/**
 * Reconnect storm: thousands of agents (re)connect within a few seconds, each with a small backlog to drain; measured
 * until every backlog is acknowledged.
 */
import type pg from 'pg';
import type { WireEvent } from '@wuwatch/core';
import type { ChildCollector } from '../../packages/collector/test/helpers/child-collector.js';
import { insertAgentsWithTokens } from '../../packages/collector/test/helpers/fleet.js';
import { simAgentsFor } from '../../packages/collector/test/helpers/sim-agent.js';
import { mib, percentile, round, sampleRss } from './stats.js';

/** What the storm measured. */
export interface StormResult {
  agents: number;
  backlogPerAgent: number;
  connectSpreadSeconds: number;
  /** From the first connection attempt to the last welcome. */
  allWelcomedSeconds: number;
  /** From the first connection attempt to the last acknowledgement. */
  drainedSeconds: number;
  ackLatencyMs: { p50: number; p99: number };
  collectorPeakRssMiB: number;
  reconnects: number;
  /** Connection problems the agents saw, by message (e.g. a handshake timeout), most frequent first. */
  agentErrors: Record<string, number>;
}

/** Runs the storm against a running collector; throws unless every backlog was stored and acknowledged. */
export async function runStorm(
  collector: ChildCollector,
  pool: pg.Pool,
  opts: { agents: number; backlog: number; spreadMs: number; makeEvent: (seq: number) => WireEvent },
): Promise<StormResult> {
  const creds = await insertAgentsWithTokens(pool, opts.agents, 'agt_storm_');
  const latencies: number[] = [];
  const agents = simAgentsFor(collector.wsUrl, creds, 'storm-', {
    total: opts.backlog,
    makeEvent: opts.makeEvent,
    batchSize: opts.backlog,
    maxInFlight: 1,
    reconnectMs: 200,
    onAckLatency: (ms) => latencies.push(ms),
  });
  const rss = sampleRss(collector.pid);
  const started = performance.now();
  let lastWelcome = 0;
  for (const a of agents) void a.welcomed.then(() => (lastWelcome = performance.now()));
  // Each agent starts at a random moment within the spread, like a fleet coming back after a collector outage.
  const runs = agents.map((a) =>
    new Promise<void>((ok) => setTimeout(ok, Math.random() * opts.spreadMs)).then(() => a.run()),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(runs),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`storm not drained after 300 s`)), 300_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const drained = (performance.now() - started) / 1000;
  const peak = rss.stop();
  await Promise.all(agents.map((a) => a.close()));

  const { rows } = await pool.query<{ n: string; acked: string }>(
    `SELECT (SELECT count(*) FROM events WHERE agent_id LIKE 'agt_storm_%') AS n,
            (SELECT count(*) FROM agents WHERE id LIKE 'agt_storm_%' AND last_acked_seq = $1) AS acked`,
    [opts.backlog],
  );
  if (Number(rows[0]!.n) !== opts.agents * opts.backlog || Number(rows[0]!.acked) !== opts.agents) {
    throw new Error(`storm stored ${rows[0]!.n} events, ${rows[0]!.acked}/${opts.agents} agents fully acknowledged`);
  }
  return {
    agents: opts.agents,
    backlogPerAgent: opts.backlog,
    connectSpreadSeconds: opts.spreadMs / 1000,
    allWelcomedSeconds: round((lastWelcome - started) / 1000, 2),
    drainedSeconds: round(drained, 2),
    ackLatencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    collectorPeakRssMiB: mib(peak),
    reconnects: agents.reduce((n, a) => n + a.stats.connects - 1, 0),
    agentErrors: Object.fromEntries(
      [
        ...agents
          .flatMap((a) => a.stats.errors)
          .reduce((m, e) => m.set(e, (m.get(e) ?? 0) + 1), new Map<string, number>()),
      ]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5),
    ),
  };
}
