/**
 * Alert evaluation at fleet scale on PostgreSQL: the time of one evaluation over MACHINES machines, read whole (what
 * every evaluation did before issue 16, and what the evaluator still does at start and every
 * alerts.fullEvaluationMinutes) and incrementally (the changed, the due and the alerted machines only), with
 * CHANGED machines reporting new data between two evaluations.
 * Run: npm run bench:alerts   (PostgreSQL on 127.0.0.1:5432; writes bench/results/alerts.json)
 * Knobs: WUWATCH_BENCH_SCALE=0.1 (fleet × 0.1), WUWATCH_BENCH_OUT=/tmp/x.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { openDatabase } from '../packages/collector/src/db/database.js';
import { evaluateOnce, type EvaluationResult } from '../packages/collector/src/alerts/engine.js';
import { AlertRulesConfig } from '../packages/collector/src/alerts/rules.js';
import { insertFleet } from '../packages/collector/test/helpers/fleet.js';
import { createBenchDatabase, describeServer } from './lib/database.js';
import { percentile, round } from './lib/stats.js';

const scale = Number(process.env.WUWATCH_BENCH_SCALE ?? 1);
const MACHINES = Math.round(100_000 * scale);
/** Machines with new data between two evaluations (a busy minute: 100 detections or status changes). */
const CHANGED = 100;
const RUNS = 7;
/** One machine in a thousand silent for a day: 100 open alerts at 100k, re-checked by every evaluation. */
const STATUSES = [...Array.from({ length: 999 }, () => 'healthy'), 'silent'];

const rules = AlertRulesConfig.parse({});
const database = await createBenchDatabase();
const db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', log: pino({ level: 'warn' }) });
/**
 * Simulated time between two evaluations: the debounced evaluation after ingest. Kept short so the fleet's healthy
 * machines (last seen at insert) stay inside the silent threshold for the whole run.
 */
const STEP_MS = 5_000;

try {
  await insertFleet(db, MACHINES, { statuses: STATUSES, wsusUrls: ['http://wsus01:8530', 'http://wsus02:8530', null] });
  await db.query(`UPDATE machines SET updated_at = now() - interval '1 hour'`);
  await db.query('VACUUM ANALYZE machines');
  let clock = Date.now();
  const evaluate = async (full: boolean) => {
    clock += STEP_MS;
    const started = performance.now();
    const r: EvaluationResult = await db.withTransaction((tx) =>
      evaluateOnce(tx, { rules, channels: ['ops'], now: new Date(clock), full, fullEveryMinutes: 1e9 }),
    );
    return { ms: performance.now() - started, r };
  };
  const touch = async () => {
    // CHANGED machines report: data moves as the ingest writes it (updated_at = the report's time).
    await db.query(
      `UPDATE machines SET consecutive_detection_failures = consecutive_detection_failures + 1,
         last_detection_at = to_timestamp($2 / 1000.0), updated_at = to_timestamp($2 / 1000.0)
       WHERE id IN (SELECT id FROM machines ORDER BY random() LIMIT $1)`,
      [CHANGED, clock],
    );
  };
  await evaluate(true); // first: creates the alerts and the bookmark
  const full: number[] = [];
  const incremental: number[] = [];
  let fullRead = 0;
  let incrementalRead = 0;
  // Interleaved, so the shared machine's load drifts over both series alike.
  for (let i = 0; i < RUNS; i++) {
    await touch();
    const f = await evaluate(true);
    full.push(f.ms);
    fullRead = f.r.machinesRead ?? 0;
    await touch();
    const inc = await evaluate(false);
    incremental.push(inc.ms);
    incrementalRead = inc.r.machinesRead ?? 0;
  }
  const out = {
    when: new Date().toISOString(),
    server: await describeServer(db.pool!),
    note: 'shared 2-core machine with other engineers working: absolute times are noisy; both series interleaved',
    machines: MACHINES,
    openAlerts: Math.round(MACHINES / 1000),
    changedPerEvaluation: CHANGED,
    before: {
      mode: 'full read (every evaluation before issue 16)',
      machinesRead: fullRead,
      medianMs: round(percentile(full, 50)),
      p95Ms: round(percentile(full, 95)),
    },
    after: {
      mode: 'incremental (changed + due + alerted machines)',
      machinesRead: incrementalRead,
      medianMs: round(percentile(incremental, 50)),
      p95Ms: round(percentile(incremental, 95)),
    },
    speedup: round(percentile(full, 50) / percentile(incremental, 50), 1),
  };
  console.log(JSON.stringify(out, null, 2));
  const file = process.env.WUWATCH_BENCH_OUT ?? fileURLToPath(new URL('./results/alerts.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
} finally {
  await db.close();
  await database.drop();
}
