/**
 * Retention benchmark on PostgreSQL: a simulated fleet's months of events, pruned while ingest goes on.
 *   1. Fill: MACHINES machines × EVENTS_PER_DAY events a day × HISTORY_DAYS days, generated in SQL straight into the
 *      daily partitions (no agents: the point is the volume, not the path), received_at spread over each day.
 *   2. Ingest: INGEST_AGENTS writers push batches through the collector's real writer (writeBatch: agent lock, event
 *      insert, projection, status) for BASELINE_SECONDS: the rate without pruning.
 *   3. Prune: runRetention (retention.days = 90, drops paced by retention.pauseMs) while the same ingest continues;
 *      the rate during the prune ÷ the rate without (mean of the BASELINE_SECONDS windows before and after the prune,
 *      so a shared machine's drift cancels) is ingestRatioDuringPrune. Then ingest stops and rowsAfter is compared with expectedRowsAfter
 *      (rows received inside the window before the prune + rows the ingest inserted).
 * Run: npm run bench:retention   (PostgreSQL on 127.0.0.1:5432; writes bench/results/retention.json)
 * Knobs: WUWATCH_BENCH_SCALE=0.2 (fleet size × 0.2), WUWATCH_BENCH_OUT=/tmp/x.json,
 *   WUWATCH_RETENTION_PAUSE_MS=0 (unpaced drops, for the before/after comparison).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { openDatabase } from '../packages/collector/src/db/database.js';
import { writeBatch } from '../packages/collector/src/ingest/writer.js';
import { MachineService } from '../packages/collector/src/machines/refresh.js';
import { runRetention, type RetentionOptions } from '../packages/collector/src/retention/maintenance.js';
import { addDays, utcDay } from '../packages/collector/src/retention/plan.js';
import { StatusConfig } from '../packages/collector/src/config/schema.js';
import { coreAssessor } from '../packages/collector/src/server.js';
import { detectionEvent, probe503 } from '../packages/collector/test/helpers/events.js';
import { createBenchDatabase, describeServer } from './lib/database.js';
import { round } from './lib/stats.js';

const scale = Number(process.env.WUWATCH_BENCH_SCALE ?? 1);
if (!(scale > 0 && scale <= 4)) {
  console.error(`WUWATCH_BENCH_SCALE must be in (0, 4], got ${process.env.WUWATCH_BENCH_SCALE}`);
  process.exit(2);
}
const MACHINES = Math.round(250 * scale);
/** A probe every 15 minutes: the volume of today's agent (every 5 min) after issue 16's "store on change". */
const EVENTS_PER_DAY = 96;
const HISTORY_DAYS = 120;
const INGEST_AGENTS = 40;
const BATCH = 100;
const CONCURRENCY = 4;
const BASELINE_SECONDS = 15;
const PAUSE_MS = Number(process.env.WUWATCH_RETENTION_PAUSE_MS ?? 1000);
const OPTS: RetentionOptions = {
  days: 90,
  rollupDays: 400,
  aheadDays: 7,
  trimBatchRows: 5000,
  lockTimeoutMs: 2000,
  pauseMs: PAUSE_MS,
};
const TARGETS = { ingestRatioDuringPrune: 0.7 };
const URL1 = 'http://wsus01.corp.example:8530';

const log = pino({ level: 'warn' });
const database = await createBenchDatabase();
const db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', log, poolMax: CONCURRENCY + 2 });
const now = new Date();
const today = utcDay(now);
const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`, params)).rows[0]?.n);

try {
  // A long-running installation: the migration's (empty) legacy partition is gone, daily partitions cover history.
  await db.query('DROP TABLE events_legacy');
  await runRetention(
    db,
    { ...OPTS, days: 3650, aheadDays: HISTORY_DAYS + OPTS.aheadDays },
    addDays(today, -HISTORY_DAYS),
  );
  const seedAgents = `SELECT 'agt_' || g AS id, 'm_' || g AS mid, 'HOST-' || lpad(g::text, 6, '0') AS host FROM generate_series(1, $1) g`;
  await db.query(
    `INSERT INTO agents (id, token_hash, token_prefix) SELECT id, 'h_' || id, 'x' FROM (${seedAgents}) s`,
    [MACHINES + INGEST_AGENTS],
  );
  await db.query(`INSERT INTO machines (id, agent_id, hostname) SELECT mid, id, host FROM (${seedAgents}) s`, [
    MACHINES + INGEST_AGENTS,
  ]);

  const fillStarted = performance.now();
  for (let d = HISTORY_DAYS; d >= 1; d--) {
    const day = addDays(today, -d);
    // One statement per day: one partition's worth, committed on its own like a day of real ingest.
    await db.query(
      `INSERT INTO events (agent_id, machine_id, seq, "time", received_at, kind, data)
       SELECT 'agt_' || m, 'm_' || m, $2::bigint * $3 + i, ts - interval '2 seconds', ts, 'probe',
         jsonb_build_object('url', $4::text, 'ok', false, 'class', 'http_error', 'httpStatus', 503, 'ms', i % 900)
       FROM generate_series(1, $1) m, generate_series(0, $3 - 1) i,
         LATERAL (SELECT $5::timestamptz + make_interval(secs => i * (86400.0 / $3) + m % 60) AS ts) t`,
      [MACHINES, HISTORY_DAYS - d, EVENTS_PER_DAY, URL1, day.toISOString()],
    );
  }
  await db.query('ANALYZE events');
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const rowsFilled = await count('SELECT 1 FROM events');
  console.log(`filled ${rowsFilled} rows over ${HISTORY_DAYS} days in ${round(fillSeconds)} s`);

  // Ingest through the real writer; each commit is timestamped so rates can be cut to any window.
  const machines = new MachineService(db, StatusConfig.parse({}));
  const commits: { at: number; n: number }[] = [];
  let stop = false;
  const seqs = new Array<number>(INGEST_AGENTS).fill(0);
  let nextAgent = 0;
  const worker = async () => {
    while (!stop) {
      const a = nextAgent++ % INGEST_AGENTS;
      const agentId = `agt_${MACHINES + 1 + a}`;
      const from = seqs[a]! + 1;
      seqs[a] = from + BATCH - 1;
      const events = Array.from({ length: BATCH }, (_, k) => {
        const seq = from + k;
        const t = new Date(now.getTime() + seq);
        return seq % 10 === 0 ? probe503(seq, t, URL1) : detectionEvent(seq, t, 'failed');
      });
      const r = await writeBatch(db, agentId, events, { assessor: coreAssessor, machines });
      commits.push({ at: performance.now(), n: r.inserted });
    }
  };
  const inWindow = (a: number, b: number) => commits.filter((c) => c.at >= a && c.at < b).reduce((s, c) => s + c.n, 0);
  const workers = Array.from({ length: CONCURRENCY }, () => worker());
  await new Promise((r) => setTimeout(r, 2000)); // warm-up
  const baseStart = performance.now();
  await new Promise((r) => setTimeout(r, BASELINE_SECONDS * 1000));
  const baseEnd = performance.now();
  const beforeRate = inWindow(baseStart, baseEnd) / ((baseEnd - baseStart) / 1000);

  const cutoff = addDays(today, -OPTS.days);
  const rowsBefore = await count('SELECT 1 FROM events');
  const insertedBeforeCount = commits.reduce((s, c) => s + c.n, 0);
  // The fill's rows do not change while ingest runs (ingest agents are others): count them race-free.
  const fillInside = await count('SELECT 1 FROM events WHERE received_at >= $1 AND NOT (agent_id = ANY ($2))', [
    cutoff.toISOString(),
    Array.from({ length: INGEST_AGENTS }, (_, a) => `agt_${MACHINES + 1 + a}`),
  ]);
  const pruneStart = performance.now();
  const result = await runRetention(db, OPTS, now);
  const pruneEnd = performance.now();
  const pruneSeconds = (pruneEnd - pruneStart) / 1000;
  // A prune shorter than a second says little about a rate: measure ingest over at least a one-second window.
  const windowEnd = Math.max(pruneEnd, pruneStart + 1000);
  await new Promise((r) => setTimeout(r, Math.max(0, windowEnd - performance.now()) + 50));
  const duringRate = inWindow(pruneStart, windowEnd) / ((windowEnd - pruneStart) / 1000);
  // The rate after the prune tells drift (a busy shared machine, a growing table) from the prune's own cost.
  const afterStart = performance.now();
  await new Promise((r) => setTimeout(r, BASELINE_SECONDS * 1000));
  const afterRate = inWindow(afterStart, performance.now()) / ((performance.now() - afterStart) / 1000);
  // On a shared machine the rate drifts with other people's load: the rate without pruning is the mean of the
  // windows just before and just after the prune, so drift cancels instead of counting as the prune's cost.
  const baselineRate = (beforeRate + afterRate) / 2;
  stop = true;
  await Promise.all(workers);
  const insertedTotal = commits.reduce((s, c) => s + c.n, 0);
  const rowsAfter = await count('SELECT 1 FROM events');
  // Every ingested row was received now, inside the window.
  const expectedRowsAfter = fillInside + insertedTotal;
  const sizeOf = async () =>
    Number(
      (
        await db.query<{ b: string }>(
          `SELECT sum(pg_total_relation_size(inhrelid))::bigint AS b FROM pg_inherits WHERE inhparent = 'events'::regclass`,
        )
      ).rows[0]?.b,
    );
  const bytesAfter = await sizeOf();

  const out = {
    when: new Date().toISOString(),
    server: await describeServer(db.pool!),
    note: 'shared 2-core machine with other engineers working: rates are noisy',
    fleet: { machines: MACHINES, eventsPerDay: EVENTS_PER_DAY, historyDays: HISTORY_DAYS, retentionDays: OPTS.days },
    fillSeconds: round(fillSeconds),
    rowsBefore,
    rowsAfter,
    expectedRowsAfter,
    exact: rowsAfter === expectedRowsAfter,
    partitionsDropped: result.dropped.length,
    trimmedRows: result.trimmedRows,
    pruneSeconds: round(pruneSeconds, 3),
    ingest: {
      path: 'writeBatch (agent lock, event insert, projection, status) with 4 concurrent writers, 100-event batches',
      baselineEventsPerSec: round(baselineRate, 0),
      beforePruneEventsPerSec: round(beforeRate, 0),
      duringPruneEventsPerSec: round(duringRate, 0),
      afterPruneEventsPerSec: round(afterRate, 0),
      windowSeconds: round((windowEnd - pruneStart) / 1000, 2),
      insertedBeforeCount: insertedBeforeCount,
    },
    ingestRatioDuringPrune: round(duringRate / baselineRate, 3),
    eventsBytesAfter: bytesAfter,
    bytesPerEvent: round(bytesAfter / rowsAfter, 0),
    goals: {
      exact: rowsAfter === expectedRowsAfter,
      ingestRatioDuringPrune: duringRate / baselineRate >= TARGETS.ingestRatioDuringPrune,
    },
  };
  console.log(JSON.stringify(out, null, 2));
  const file = process.env.WUWATCH_BENCH_OUT ?? fileURLToPath(new URL('./results/retention.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
} finally {
  await db.close();
  await database.drop();
}
