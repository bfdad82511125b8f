/**
 * A fleet held by one collector: AGENTS simulated agents (each its own token, real protocol, real WebSockets on
 * 127.0.0.1, the real agent's cadence plus detection events) connect within CONNECT_SPREAD_S and are held HOLD_S,
 * while the machines list is read through the API. The collector and the load each run in their own process, so
 * RSS and CPU are the collector's alone.
 * Writes bench/results/fleet.json: agentsConnected, collectorRssMbPeak, collectorCpuPctMedian, ackP95Ms,
 * apiMachinesP95Ms, eventsSent, eventsLost, eventsDoubled (plus the details). ackP95Ms is over every batch, from its
 * send to its ack, the first batch after each connect included; welcomeP95Ms is hello → welcome.
 * machinesSqlP95Ms (the list's SQL straight on PostgreSQL) and healthzP95Ms (no database) say where API time goes.
 * Run: ulimit -n 20000 && npm run bench:fleet   (PostgreSQL on 127.0.0.1:5432)
 * Knobs: WUWATCH_BENCH_SCALE=0.1 (agents × 0.1), WUWATCH_FLEET_HOLD_S=120, WUWATCH_BENCH_OUT=/tmp/x.json,
 * WUWATCH_FLEET_PROFILE_DIR=/tmp/prof (a CPU profile of the collector).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { spawnCollector, type ChildCollector } from '../packages/collector/test/helpers/child-collector.js';
import { insertAgentsWithTokens } from '../packages/collector/test/helpers/fleet.js';
import { createBenchDatabase, describeServer } from './lib/database.js';
import { cpuSecondsOf, mib, openFileLimit, percentile, round } from './lib/stats.js';

const scale = Number(process.env.WUWATCH_BENCH_SCALE ?? 1);
const AGENTS = Math.round(10_000 * scale);
const HOLD_S = Number(process.env.WUWATCH_FLEET_HOLD_S ?? 120);
const CONNECT_SPREAD_S = 30;
/** The agent's default probe interval (intervals.probeSeconds). */
const PROBE_MS = 300_000;
/** The first page of GET /v1/machines as machines/repository.ts listMachineRows runs it. */
const MACHINES_LIST_SQL = `SELECT id, hostname, status, status_changed_at, wsus_url, os_version, agent_version, mode,
  connected, first_seen, last_seen, last_detection_at, last_detection_outcome, last_detection_hresult,
  consecutive_detection_failures, last_success_detection_at, last_probe_ok, last_probe->>'class' AS last_probe_class,
  (last_probe->>'httpStatus')::int AS last_probe_http_status, last_probe_at, status_reasons
  FROM machines ORDER BY hostname, id LIMIT 100`;
const COLLECTOR_LIMITS = {
  limits: { maxConnections: AGENTS + 2000, maxUnauthenticatedPerAddress: AGENTS },
  // Experiments only (e.g. '{"alerts":{"enabled":false}}'); a committed result runs without it.
  ...(JSON.parse(process.env.WUWATCH_FLEET_EXTRA_CONFIG ?? '{}') as Record<string, unknown>),
};
const GOALS = { agentsConnected: AGENTS, collectorRssMb: 1024, ackP95Ms: 2000, apiMachinesP95Ms: 250 };

const loadAtStart = loadavg()[0]!;
/** The kernel's count of connections dropped because a listen queue was full (all processes: a hint, not proof). */
function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return NaN;
  }
}
const overflowsAtStart = listenOverflows();
const limit = openFileLimit();
// Each process holds one end of every connection: the collector and the load process need AGENTS descriptors each.
if (limit < AGENTS + 2000) {
  console.error(`ulimit -n is ${limit}; ${AGENTS} agents need about ${AGENTS + 2000}. Run "ulimit -n 20000" first.`);
  process.exit(2);
}

const adminToken = 'bench-admin-token-' + process.pid.toString().padStart(8, '0');
const database = await createBenchDatabase();
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
const jobFile = join(tmpdir(), `wuwatch-fleet-${process.pid}.json`);
let collector: ChildCollector | null = null;
try {
  collector = await spawnCollector(
    {
      DATABASE_URL: database.url,
      WUWATCH_HOST: '127.0.0.1',
      WUWATCH_PORT: '0',
      WUWATCH_ADMIN_TOKEN: adminToken,
      WUWATCH_LOG_LEVEL: 'warn',
    },
    // A collector meant for AGENTS agents is configured for them: limits.maxConnections (default 4096) above the
    // fleet with headroom (README, sizing). All simulated agents share 127.0.0.1, where a real fleet has an address
    // each, so the per-address limit on connections not yet authenticated is lifted too.
    COLLECTOR_LIMITS,
    {
      nodeArgs: process.env.WUWATCH_FLEET_PROFILE_DIR
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.WUWATCH_FLEET_PROFILE_DIR]
        : [],
    },
  );
  // The collector's warnings and errors (stderr, JSON lines), counted by message: why connections were dropped.
  const warnings = new Map<string, number>();
  createInterface({ input: collector.proc.stderr! }).on('line', (line) => {
    try {
      const { level, msg } = JSON.parse(line) as { level?: number; msg?: string };
      if ((level ?? 0) >= 40) warnings.set(String(msg), (warnings.get(String(msg)) ?? 0) + 1);
    } catch {
      warnings.set('(not JSON)', (warnings.get('(not JSON)') ?? 0) + 1);
    }
  });
  const creds = await insertAgentsWithTokens(pool, AGENTS, 'agt_fl_');
  writeFileSync(
    jobFile,
    JSON.stringify({
      wsUrl: collector.wsUrl,
      agents: creds,
      holdMs: HOLD_S * 1000,
      probeMs: PROBE_MS,
      connectSpreadMs: CONNECT_SPREAD_S * 1000,
    }),
  );
  const load = spawn(
    process.execPath,
    [
      '--conditions=wuwatch-source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./lib/fleet-load.ts', import.meta.url)),
      jobFile,
      `${jobFile}.out`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const loadResult = new Promise<string>((resolve, reject) =>
    load.once('exit', (code) =>
      code === 0 ? resolve(readFileSync(`${jobFile}.out`, 'utf8')) : reject(new Error(`load process exited ${code}`)),
    ),
  );

  // While the load runs: collector CPU per second, and the machines list through the API every 500 ms.
  const cpuPct: number[] = [];
  const apiMs: number[] = [];
  const apiErrors = new Map<string, number>();
  let last = cpuSecondsOf(collector.pid);
  let lastAt = performance.now();
  let sampling = true;
  const c = collector;
  const cpuLoop = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = cpuSecondsOf(c.pid);
      const at = performance.now();
      cpuPct.push(((now - last) / ((at - lastAt) / 1000)) * 100);
      last = now;
      lastAt = at;
    }
  })();
  const apiLoop = (async () => {
    await new Promise((r) => setTimeout(r, CONNECT_SPREAD_S * 1000));
    while (sampling) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${c.url}/v1/machines?limit=100`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        await res.text();
        if (res.ok) apiMs.push(performance.now() - t0);
        else apiErrors.set(`HTTP ${res.status}`, (apiErrors.get(`HTTP ${res.status}`) ?? 0) + 1);
      } catch (err) {
        // A refused or reset request is a result too (the collector shedding load), not a reason to stop measuring.
        const m = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
        apiErrors.set(m, (apiErrors.get(m) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  // Where the API's time goes: the same list query straight on PostgreSQL, and /healthz (no database) through the
  // collector's HTTP server, sampled alongside.
  const sqlMs: number[] = [];
  const healthMs: number[] = [];
  const sideLoop = (async () => {
    await new Promise((r) => setTimeout(r, CONNECT_SPREAD_S * 1000 + 250));
    while (sampling) {
      let t0 = performance.now();
      await pool.query(MACHINES_LIST_SQL);
      sqlMs.push(performance.now() - t0);
      t0 = performance.now();
      try {
        const res = await fetch(`${c.url}/healthz`);
        await res.text();
        if (res.ok) healthMs.push(performance.now() - t0);
      } catch {
        // counted by its absence
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const r = JSON.parse(await loadResult) as {
    agentsConnected: number;
    maxConnected: number;
    seconds: number;
    eventsSent: number;
    unackedAtEnd: number;
    ackLatencies: number[];
    welcomeLatencies: number[];
    reconnects: number;
    errors: Record<string, number>;
    maxSeqs: Record<string, number>;
    ackedSeqs: Record<string, number>;
  };
  sampling = false;
  await Promise.all([cpuLoop, apiLoop, sideLoop]);
  // The collector's event-loop delay over the run (prom-client's default metrics), read before it stops.
  const metricsText = await (
    await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
  ).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? NaN) * 1000;
  const peak = collector.memory().peakRss;

  // Lost: a seq the collector acknowledged that is not stored (the agent has deleted it from its spool). Events still
  // unacknowledged when the hold ended are not lost: they wait in the agents' spools (pendingInSpools).
  // Doubled: an (agent, seq) stored twice.
  const acked = Object.entries(r.ackedSeqs);
  const { rows } = await pool.query<{ stored: string; distinct_keys: string; stored_acked: string }>(
    `SELECT count(*) AS stored, count(DISTINCT (e.agent_id, e.seq)) AS distinct_keys,
       count(DISTINCT (e.agent_id, e.seq)) FILTER (WHERE e.seq <= a.acked) AS stored_acked
     FROM events e JOIN unnest($1::text[], $2::bigint[]) AS a(agent_id, acked) ON a.agent_id = e.agent_id`,
    [acked.map(([id]) => id), acked.map(([, n]) => n)],
  );
  const stored = Number(rows[0]!.stored);
  const distinct = Number(rows[0]!.distinct_keys);
  const ackedTotal = acked.reduce((s, [, n]) => s + n, 0);
  const produced = Object.values(r.maxSeqs).reduce((s, n) => s + n, 0);
  const out = {
    when: new Date().toISOString(),
    server: await describeServer(pool),
    note:
      `shared 2-core machine (other work may run beside it; the load average says how much): figures are noisy; load and collector share the 2 ` +
      `cores; load average (1 min) ${round(loadAtStart)} at start, ${round(loadavg()[0]!)} at the end of the hold`,
    agents: AGENTS,
    holdSeconds: HOLD_S,
    collectorConfig: COLLECTOR_LIMITS,
    agentsConnected: r.agentsConnected,
    maxConnected: r.maxConnected,
    collectorRssMbPeak: mib(peak),
    collectorCpuPctMedian: round(percentile(cpuPct, 50)),
    ackP95Ms: round(percentile(r.ackLatencies, 95)),
    ackP50Ms: round(percentile(r.ackLatencies, 50)),
    acks: r.ackLatencies.length,
    welcomeP95Ms: round(percentile(r.welcomeLatencies, 95)),
    apiMachinesP95Ms: round(percentile(apiMs, 95)),
    apiRequests: apiMs.length,
    machinesSqlP95Ms: round(percentile(sqlMs, 95)),
    healthzP95Ms: round(percentile(healthMs, 95)),
    eventLoopDelayP99Ms: round(metric('nodejs_eventloop_lag_p99_seconds')),
    eventLoopDelayMaxMs: round(metric('nodejs_eventloop_lag_max_seconds')),
    apiErrors: Object.fromEntries(apiErrors),
    collectorAlive: collector.proc.exitCode === null && collector.proc.signalCode === null,
    eventsSent: r.eventsSent,
    eventsStored: stored,
    eventsAcked: ackedTotal,
    eventsLost: ackedTotal - Number(rows[0]!.stored_acked),
    eventsDoubled: stored - distinct,
    pendingInSpools: produced - distinct,
    unackedAtEnd: r.unackedAtEnd,
    reconnects: r.reconnects,
    agentErrors: r.errors,
    listenOverflows: listenOverflows() - overflowsAtStart,
    connectionsDropped: Object.fromEntries(
      [...metricsText.matchAll(/^wuwatch_connections_dropped_total\{reason="([^"]+)"\} (\S+)$/gm)].map((m) => [
        m[1]!,
        Number(m[2]),
      ]),
    ),
    collectorWarnings: Object.fromEntries([...warnings].sort((a, b) => b[1] - a[1]).slice(0, 8)),
    goals: {
      agentsConnected: r.agentsConnected >= GOALS.agentsConnected,
      collectorRssMb: mib(peak) < GOALS.collectorRssMb,
      ackP95Ms: percentile(r.ackLatencies, 95) < GOALS.ackP95Ms,
      apiMachinesP95Ms: percentile(apiMs, 95) < GOALS.apiMachinesP95Ms,
      nothingLostOrDoubled: ackedTotal === Number(rows[0]!.stored_acked) && stored === distinct,
    },
  };
  console.log(JSON.stringify(out, null, 2));
  const file = process.env.WUWATCH_BENCH_OUT ?? fileURLToPath(new URL('./results/fleet.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
} finally {
  rmSync(jobFile, { force: true });
  rmSync(`${jobFile}.out`, { force: true });
  await collector?.stop();
  await pool.end();
  await database.drop();
}
