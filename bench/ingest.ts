/**
 * Collector ingest benchmark on PostgreSQL.
 *   1. End-to-end ingest with N = 100 and N = 1,000 simulated agents streaming batches as fast as acks allow
 *      (events/s sent → committed → acked, ack latency p50/p99, collector RSS), and in the same run a raw COPY of the
 *      same rows into the same (emptied) events table as the ceiling, with the ratio.
 *   2. A reconnect storm: 5,000 agents connecting within 5 s, each with a 20-event backlog, drained and acknowledged.
 *   3. GET /v1/machines?status=… over 100,000 machines: p95 latency over 200 requests, and the plan.
 * The collector runs as a child process (so its RSS is its own) on a fresh database that is dropped at the end.
 * Run: npm run bench:ingest   (needs PostgreSQL on 127.0.0.1:5432 and `ulimit -n` ≥ 12000; writes bench/results/ingest.json)
 * Knobs (for before/after comparisons on a busy machine, where many short interleaved runs beat one long one):
 *   WUWATCH_BENCH_SCALE=0.2         every size × 0.2 (WUWATCH_BENCH_QUICK=1 is 0.1: a smoke run, its figures mean little)
 *   WUWATCH_BENCH_ONLY=ingest,storm  run only these parts (ingest, storm, query)
 *   WUWATCH_BENCH_OUT=/tmp/x.json    write the results there instead of bench/results/ingest.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { spawnCollector, type ChildCollector } from '../packages/collector/test/helpers/child-collector.js';
import { detectionEvent, probe503 } from '../packages/collector/test/helpers/events.js';
import { createBenchDatabase, describeServer } from './lib/database.js';
import { copyCeiling } from './lib/copy-ceiling.js';
import { runIngestPhase, type IngestResult } from './lib/ingest-phase.js';
import { runMachinesQuery, seedMachines } from './lib/machines-query.js';
import { runStorm } from './lib/storm.js';
import { openFileLimit, round } from './lib/stats.js';

const TARGETS = { eventsPerSec: 30_000, copyRatio: 0.4, stormSeconds: 60, stormRssMiB: 1024, machinesP95Ms: 50 };
const scale = Number(process.env.WUWATCH_BENCH_SCALE ?? (process.env.WUWATCH_BENCH_QUICK === '1' ? 0.1 : 1));
if (!(scale > 0 && scale <= 1)) {
  console.error(`WUWATCH_BENCH_SCALE must be in (0, 1], got ${process.env.WUWATCH_BENCH_SCALE}`);
  process.exit(2);
}
const PARTS = new Set((process.env.WUWATCH_BENCH_ONLY ?? 'ingest,storm,query').split(',').map((s) => s.trim()));
for (const p of PARTS) {
  if (!['ingest', 'storm', 'query'].includes(p)) {
    console.error(`WUWATCH_BENCH_ONLY: unknown part "${p}" (ingest, storm, query)`);
    process.exit(2);
  }
}
const PHASES = [
  { agents: Math.round(100 * scale), eventsPerAgent: 2_500, batchSize: 500, maxInFlight: 2 },
  { agents: Math.round(1_000 * scale), eventsPerAgent: 500, batchSize: 500, maxInFlight: 2 },
];
const STORM = { agents: Math.round(5_000 * scale), backlog: 20, spreadMs: 5_000 };
const QUERY = { machines: Math.round(100_000 * scale), requests: 200 };
const URL1 = 'http://wsus01.corp.example:8530';
const BASE = Date.UTC(2026, 0, 1);

/** A realistic event mix: mostly failing detections (the agent's bread and butter), a 503 probe every 10th. */
function makeEvent(seq: number) {
  const time = new Date(BASE + seq * 60_000);
  return seq % 10 === 0 ? probe503(seq, time, URL1) : detectionEvent(seq, time, 'failed', { hresult: '0x80244022' });
}

const limit = openFileLimit();
const descriptors = PARTS.has('storm') ? Math.round(STORM.agents * 2.2) + 1000 : 1000;
if (limit < descriptors) {
  console.error(
    `ulimit -n is ${limit}: the ${STORM.agents}-agent storm needs about ${descriptors} descriptors. Run "ulimit -n 20000" first.`,
  );
  process.exit(2);
}

const adminToken = 'bench-admin-token-' + process.pid.toString().padStart(8, '0');
const database = await createBenchDatabase();
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
const env = {
  DATABASE_URL: database.url,
  WUWATCH_HOST: '127.0.0.1',
  WUWATCH_PORT: '0',
  WUWATCH_ADMIN_TOKEN: adminToken,
  WUWATCH_LOG_LEVEL: 'warn',
};
let collector: ChildCollector | null = null;
const pct = (x: number) => `${round(x * 100, 0)} %`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

try {
  collector = await spawnCollector(env);
  const server = await describeServer(pool);
  console.log(
    `collector pid ${collector.pid} at ${collector.url}; PostgreSQL ${server.server_version}; ${availableParallelism()} cores`,
  );

  const ingest: (Omit<IngestResult, 'machines'> & {
    copy: { rowsPerSec: number; seconds: number; postgresCpuMicrosPerRow: number };
    ratioToCopy: number;
  })[] = [];
  for (const [i, phase] of PARTS.has('ingest') ? PHASES.entries() : []) {
    await pool.query('TRUNCATE events');
    const r = await runIngestPhase(collector, pool, { ...phase, makeEvent }, `agt_n${phase.agents}_${i}_`);
    // The ceiling: the same rows into the same table, emptied again so both start from the same state.
    await pool.query('TRUNCATE events');
    const c = await copyCeiling(pool, { agents: r.machines, total: phase.eventsPerAgent, makeEvent });
    const { machines: _machines, ...result } = r;
    const ratio = r.eventsPerSec / c.rowsPerSec;
    ingest.push({
      ...result,
      copy: {
        rowsPerSec: Math.round(c.rowsPerSec),
        seconds: round(c.seconds, 2),
        postgresCpuMicrosPerRow: round((c.postgresCpuSeconds * 1e6) / c.rows),
      },
      ratioToCopy: round(ratio, 2),
    });
    console.log(
      `ingest N=${phase.agents}: ${r.events} events in ${r.seconds} s = ${r.eventsPerSec} events/s end to end ` +
        `[${verdict(r.eventsPerSec >= TARGETS.eventsPerSec)} ≥ ${TARGETS.eventsPerSec}]; ack p50 ${r.ackLatencyMs.p50} ms, ` +
        `p99 ${r.ackLatencyMs.p99} ms; collector peak RSS ${r.collectorPeakRssMiB} MiB; ` +
        `COPY ${Math.round(c.rowsPerSec)} rows/s → ratio ${pct(ratio)} [${verdict(ratio >= TARGETS.copyRatio)} ≥ 40 %]`,
    );
    console.log(
      `  CPU µs/event: collector ${r.cpuMicrosPerEvent.collector}, PostgreSQL ${r.cpuMicrosPerEvent.postgres}, ` +
        `agents ${r.cpuMicrosPerEvent.driver} (COPY: PostgreSQL ${round((c.postgresCpuSeconds * 1e6) / c.rows)} µs/row); ` +
        `load average at start ${r.loadAverage}`,
    );
  }
  await pool.query('TRUNCATE events');

  // A fresh collector process for the storm, so its RSS is the storm's alone.
  const port = collector.port;
  let storm: Awaited<ReturnType<typeof runStorm>> | null = null;
  if (PARTS.has('storm')) {
    await collector.stop();
    // A collector meant for this many agents is configured for them (limits.maxConnections defaults to 4096), and all
    // simulated agents share 127.0.0.1, where a real fleet has an address each (see bench/fleet.ts).
    collector = await spawnCollector(
      { ...env, WUWATCH_PORT: String(port) },
      { limits: { maxConnections: STORM.agents + 2000, maxUnauthenticatedPerAddress: STORM.agents } },
    );
    const s = await runStorm(collector, pool, { ...STORM, makeEvent });
    storm = s;
    console.log(
      `storm: ${s.agents} agents × ${s.backlogPerAgent} events, connecting within ${s.connectSpreadSeconds} s: ` +
        `all welcomed after ${s.allWelcomedSeconds} s, drained and acknowledged after ${s.drainedSeconds} s ` +
        `[${verdict(s.drainedSeconds <= TARGETS.stormSeconds)} ≤ 60 s]; collector peak RSS ${s.collectorPeakRssMiB} MiB ` +
        `[${verdict(s.collectorPeakRssMiB < TARGETS.stormRssMiB)} < 1 GiB]; ack p99 ${s.ackLatencyMs.p99} ms`,
    );
  }

  // The query is measured on a settled collector: a fresh process over the 100,000-machine fleet.
  await collector.stop();
  collector = null;
  let query: Awaited<ReturnType<typeof runMachinesQuery>> | null = null;
  if (PARTS.has('query')) {
    await seedMachines(pool, QUERY.machines);
    collector = await spawnCollector({ ...env, WUWATCH_PORT: String(port) });
    const q = await runMachinesQuery({ url: collector.url, token: adminToken }, pool, QUERY);
    query = q;
    console.log(
      `GET /v1/machines?status=… over ${q.machines} machines, ${q.requests} requests: p50 ${q.latencyMs.p50} ms, ` +
        `p95 ${q.latencyMs.p95} ms [${verdict(q.latencyMs.p95 < TARGETS.machinesP95Ms)} < 50 ms]; index: ${q.indexUsed}`,
    );
    console.log(q.plan.map((l) => `  ${l}`).join('\n'));
  }

  const results = {
    benchmark: 'ingest',
    date: new Date().toISOString(),
    command: 'npm run bench:ingest',
    scale,
    parts: [...PARTS],
    machine: { cores: availableParallelism(), node: process.version, postgres: server },
    collector: {
      process: 'child process (packages/collector/test/fixtures/collector/child.ts under tsx), default config',
      processes: 'one for both ingest runs, a fresh one for the storm, a fresh one for the machines query',
    },
    targets: TARGETS,
    ingest,
    storm,
    machinesQuery: query,
    pass: {
      eventsPerSec: ingest.every((r) => r.eventsPerSec >= TARGETS.eventsPerSec),
      copyRatio: ingest.every((r) => r.ratioToCopy >= TARGETS.copyRatio),
      storm: storm
        ? storm.drainedSeconds <= TARGETS.stormSeconds && storm.collectorPeakRssMiB < TARGETS.stormRssMiB
        : null,
      machinesQuery: query ? query.latencyMs.p95 < TARGETS.machinesP95Ms : null,
    },
  };
  const out = process.env.WUWATCH_BENCH_OUT ?? fileURLToPath(new URL('./results/ingest.json', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${out}`);
} finally {
  await collector?.stop();
  await pool.end();
  await database.drop();
}
