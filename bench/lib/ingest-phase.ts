/**
 * End-to-end ingest: N simulated agents connect and say hello, then (clock starts) stream their events in batches as
 * fast as acknowledgements allow; the clock stops at the last ack. Every ack means "committed", so events/s here is
 * sent → validated → committed → acknowledged.
 */
import type pg from 'pg';
import type { WireEvent } from '@wuwatch/core';
import type { ChildCollector } from '../../packages/collector/test/helpers/child-collector.js';
import { insertAgentsWithTokens } from '../../packages/collector/test/helpers/fleet.js';
import { runAll, simAgentsFor } from '../../packages/collector/test/helpers/sim-agent.js';
import { loadavg } from 'node:os';
import { cpuMeter, percentile, round, sampleRss, mib } from './stats.js';

/** What one ingest run is. */
export interface IngestPhase {
  agents: number;
  eventsPerAgent: number;
  batchSize: number;
  maxInFlight: number;
  makeEvent: (seq: number) => WireEvent;
}

/** What one ingest run measured. */
export interface IngestResult {
  agents: number;
  eventsPerAgent: number;
  batchSize: number;
  maxInFlight: number;
  events: number;
  seconds: number;
  eventsPerSec: number;
  ackLatencyMs: { p50: number; p99: number; max: number };
  collectorPeakRssMiB: number;
  /** CPU seconds spent in the measured window, and per event (µs); the machine is shared, so wall time alone varies. */
  cpuSeconds: { collector: number; postgres: number; driver: number };
  cpuMicrosPerEvent: { collector: number; postgres: number; driver: number };
  /** 1-minute load average when the clock started (other work on this 2-core machine slows every figure). */
  loadAverage: number;
  /** Agent id → machine id, for the COPY ceiling of the same rows. */
  machines: { agentId: string; machineId: string }[];
}

/** Runs one phase against a running collector and checks that every event was stored exactly once. */
export async function runIngestPhase(
  collector: ChildCollector,
  pool: pg.Pool,
  phase: IngestPhase,
  idPrefix: string,
): Promise<IngestResult> {
  const creds = await insertAgentsWithTokens(pool, phase.agents, idPrefix);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const latencies: number[] = [];
  const agents = simAgentsFor(collector.wsUrl, creds, idPrefix, {
    total: phase.eventsPerAgent,
    makeEvent: phase.makeEvent,
    batchSize: phase.batchSize,
    maxInFlight: phase.maxInFlight,
    startGate: gate,
    onAckLatency: (ms) => latencies.push(ms),
  });
  const done = runAll(agents, 600_000);
  await Promise.all(agents.map((a) => a.welcomed));
  const rss = sampleRss(collector.pid);
  const load = loadavg()[0]!;
  const cpu = await cpuMeter(collector.pid, pool);
  const started = performance.now();
  open();
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = await cpu.stop();
  const peak = rss.stop();
  await Promise.all(agents.map((a) => a.close()));

  const events = phase.agents * phase.eventsPerAgent;
  const { rows } = await pool.query<{ n: string; acked: string }>(
    `SELECT (SELECT count(*) FROM events WHERE agent_id LIKE $1 || '%') AS n,
            (SELECT count(*) FROM agents WHERE id LIKE $1 || '%' AND last_acked_seq = $2) AS acked`,
    [idPrefix, phase.eventsPerAgent],
  );
  if (Number(rows[0]!.n) !== events || Number(rows[0]!.acked) !== phase.agents) {
    throw new Error(
      `stored ${rows[0]!.n}/${events} events, ${rows[0]!.acked}/${phase.agents} agents fully acknowledged`,
    );
  }
  const { rows: machines } = await pool.query<{ agentId: string; machineId: string }>(
    `SELECT agent_id AS "agentId", id AS "machineId" FROM machines WHERE agent_id LIKE $1 || '%'`,
    [idPrefix],
  );
  return {
    agents: phase.agents,
    eventsPerAgent: phase.eventsPerAgent,
    batchSize: phase.batchSize,
    maxInFlight: phase.maxInFlight,
    events,
    seconds: round(seconds, 2),
    eventsPerSec: Math.round(events / seconds),
    ackLatencyMs: {
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      max: round(Math.max(...latencies)),
    },
    collectorPeakRssMiB: mib(peak),
    cpuSeconds,
    cpuMicrosPerEvent: {
      collector: round((cpuSeconds.collector * 1e6) / events),
      postgres: round((cpuSeconds.postgres * 1e6) / events),
      driver: round((cpuSeconds.driver * 1e6) / events),
    },
    loadAverage: round(load, 2),
    machines,
  };
}
