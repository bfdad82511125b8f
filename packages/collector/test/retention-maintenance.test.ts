// Retention on both backends: a database filled by the schema as it was before partitioning is migrated in place,
// keeps its events and idempotent ingest, and maintenance then removes exactly the rows behind the window.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { openDatabase, type Database } from '../src/db/database.js';
import { diffSchema } from '../src/db/migrate.js';
import { defaultPrismaDir } from '../src/db/paths.js';
import { writeBatch } from '../src/ingest/writer.js';
import { MachineService } from '../src/machines/refresh.js';
import { machineHistory } from '../src/machines/repository.js';
import { listPartitions, runRetention, type RetentionOptions } from '../src/retention/maintenance.js';
import { addDays, dailyPartitionName, utcDay } from '../src/retention/plan.js';
import { coreAssessor } from '../src/server.js';
import { StatusConfig } from '../src/config/schema.js';
import { createEmptyTestDatabase, silentLog } from './helpers/db.js';
import { detectionEvent } from './helpers/events.js';

const MIGRATIONS = join(defaultPrismaDir(), 'migrations');
/** The migrations as they were before this change: the schema a running installation has today. */
const BEFORE = ['20261125220447_init', '20261125222451_alerts', '20261126024524_alert_notified_machines'];
const OPTS: RetentionOptions = {
  days: 90,
  rollupDays: 400,
  aheadDays: 7,
  trimBatchRows: 50,
  lockTimeoutMs: 5000,
  pauseMs: 0,
};
const AGENTS = 3;
/** Days of history the old database holds, each agent one event per received day. */
const HISTORY_DAYS = 120;

async function oldMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-old-migrations-'));
  for (const name of [...BEFORE, 'migration_lock.toml'])
    await cp(join(MIGRATIONS, name), join(dir, name), { recursive: true });
  return dir;
}

/** Fills an old-schema database: agents, machines, events received over HISTORY_DAYS days (one detection a day). */
async function fillOld(db: Database, now: Date): Promise<void> {
  for (let a = 0; a < AGENTS; a++) {
    await db.query(`INSERT INTO agents (id, token_hash, token_prefix, last_acked_seq) VALUES ($1, $2, 'x', $3)`, [
      `agt_${a}`,
      `hash_${a}`,
      HISTORY_DAYS,
    ]);
    await db.query(`INSERT INTO machines (id, agent_id, hostname) VALUES ($1, $2, $3)`, [
      `m_${a}`,
      `agt_${a}`,
      `HOST-${a}`,
    ]);
  }
  await db.query(
    `INSERT INTO events (agent_id, machine_id, seq, "time", received_at, kind, data)
     SELECT 'agt_' || a, 'm_' || a, d, ts, ts, 'detection',
       jsonb_build_object('outcome', CASE WHEN d % 2 = 0 THEN 'failed' ELSE 'succeeded' END,
                          'hresult', CASE WHEN d % 2 = 0 THEN '0x80244022' END)
     FROM generate_series(0, $1 - 1) a, generate_series(1, $2) d,
       LATERAL (SELECT $3::timestamptz - make_interval(days => $2 - d) + interval '1 hour' AS ts) t`,
    [AGENTS, HISTORY_DAYS, utcDay(now).toISOString()],
  );
}

async function count(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) x`, params);
  return rows[0]?.n ?? -1;
}

async function scenario(t: import('ava').ExecutionContext, backend: 'postgres' | 'pglite') {
  const now = new Date();
  const old = await oldMigrations();
  t.teardown(() => rm(old, { recursive: true, force: true }));
  let databaseUrl: string | undefined;
  let dataDir = 'unused-with-postgres';
  if (backend === 'postgres') {
    const empty = await createEmptyTestDatabase();
    t.teardown(empty.drop);
    databaseUrl = empty.url;
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'wuwatch-retention-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  }
  const before = await openDatabase({ databaseUrl, dataDir, log: silentLog, migrationsDir: old });
  await fillOld(before, now);
  await before.close();

  const db = await openDatabase({ databaseUrl, dataDir, log: silentLog });
  t.teardown(() => db.close());
  t.deepEqual(db.appliedMigrations.slice(0, 2), ['20261206220000_events_partitioned', '20261206221000_rollups']);
  const target =
    backend === 'postgres'
      ? ({ kind: 'postgres', url: databaseUrl! } as const)
      : ({ kind: 'pglite', db: db.pglite! } as const);
  t.is(await diffSchema(target), null, 'schema.prisma still matches the migrated database');
  t.is(await count(db, 'SELECT 1 FROM events'), AGENTS * HISTORY_DAYS, 'every event kept by the migration');
  t.is(await count(db, 'SELECT 1 FROM events_legacy'), AGENTS * HISTORY_DAYS, 'attached in place as a partition');
  const parts = await listPartitions(db);
  t.true(
    parts.some((p) => p.name === dailyPartitionName(addDays(utcDay(now), 1))),
    'days ahead created',
  );
  t.true(parts.some((p) => p.isDefault));
  // The rollup was backfilled from the old events: one row per machine and day.
  t.is(await count(db, 'SELECT 1 FROM detection_days'), AGENTS * HISTORY_DAYS);

  // Idempotent ingest through the real writer: a resent batch is not doubled, a repeated seq is stored once.
  const machines = new MachineService(db, StatusConfig.parse({}));
  const batch = [
    detectionEvent(HISTORY_DAYS + 1, now, 'failed'),
    detectionEvent(HISTORY_DAYS + 2, now, 'succeeded'),
    detectionEvent(HISTORY_DAYS + 2, now, 'succeeded'),
  ];
  const first = await writeBatch(db, 'agt_0', batch, { assessor: coreAssessor, machines });
  const again = await writeBatch(db, 'agt_0', batch, { assessor: coreAssessor, machines });
  t.is(first.inserted, 2);
  t.is(again.inserted, 0);
  t.is(await count(db, `SELECT 1 FROM events WHERE agent_id = 'agt_0' AND seq > $1`, [HISTORY_DAYS]), 2);
  // An old seq replayed (below the acked seq) is refused too.
  const replay = await writeBatch(db, 'agt_0', [detectionEvent(5, now, 'failed')], {
    assessor: coreAssessor,
    machines,
  });
  t.is(replay.inserted, 0);

  // Retention: exactly the rows received before the window's first day go, the rollups stay.
  const cutoff = addDays(utcDay(now), -OPTS.days);
  const total = await count(db, 'SELECT 1 FROM events');
  const inside = await count(db, 'SELECT 1 FROM events WHERE received_at >= $1', [cutoff.toISOString()]);
  t.true(inside < total);
  // Rollups have their own, longer window; a day far ahead (a broken clock) is pruned too.
  await db.query(`INSERT INTO status_samples ("at", by_status) VALUES ($1, '{}'), ($2, '{}')`, [
    addDays(now, -(OPTS.rollupDays + 5)).toISOString(),
    now.toISOString(),
  ]);
  await db.query(`INSERT INTO detection_days (machine_id, day, failed) VALUES ('m_2', $1::date, 1)`, [
    addDays(now, 30).toISOString().slice(0, 10),
  ]);
  const r1 = await runRetention(db, OPTS, now);
  t.is(r1.rollupsPruned, 2, 'the 405-day-old sample and the day 30 days ahead');
  t.is(await count(db, 'SELECT 1 FROM status_samples'), 1);
  t.true(r1.led);
  t.is(r1.trimmedRows, total - inside, 'the legacy partition straddles the cutoff: trimmed in batches');
  t.is(await count(db, 'SELECT 1 FROM events'), inside, 'exact rows after');
  const history = await machineHistory(db, 'm_1', 365);
  t.is(history.timeline.length, HISTORY_DAYS, 'the timeline outlives the raw events');

  // 100 days later: the legacy partition lies wholly behind the window and is dropped; new days were created ahead.
  const later = addDays(now, 100);
  const r2 = await runRetention(db, OPTS, later);
  t.true(r2.dropped.includes('events_legacy'));
  t.true(r2.created.includes(dailyPartitionName(addDays(utcDay(later), OPTS.aheadDays))));
  t.is(await count(db, 'SELECT 1 FROM events'), 0);
  const seqNext = await db.query<{ id: string }>(
    `INSERT INTO events (agent_id, machine_id, seq, "time", received_at, kind, data)
     VALUES ('agt_1', 'm_1', 1000, $1, $1, 'x', '{}') RETURNING id`,
    [later.toISOString()],
  );
  t.truthy(seqNext.rows[0]?.id, 'the id sequence survived dropping the partition that once owned it');

  // A row no daily partition covers lands in the default partition; the next run moves it into its own day.
  const far = addDays(utcDay(later), 30);
  await db.query(
    `INSERT INTO events (agent_id, machine_id, seq, "time", received_at, kind, data) VALUES ('agt_2', 'm_2', 5000, $1, $1, 'x', '{}')`,
    [far.toISOString()],
  );
  t.is(await count(db, 'SELECT 1 FROM events_default'), 1);
  const r3 = await runRetention(db, OPTS, addDays(far, -3));
  t.is(r3.movedFromDefault, 1);
  t.is(await count(db, 'SELECT 1 FROM events_default'), 0);
  t.is(await count(db, `SELECT 1 FROM ${dailyPartitionName(far)}`), 1);
  t.is(await count(db, 'SELECT 1 FROM events'), 2);
}

test('postgres: a filled pre-partitioning database is migrated in place and retention keeps exactly the window', (t) =>
  scenario(t, 'postgres'));
test('pglite: a filled pre-partitioning database is migrated in place and retention keeps exactly the window', (t) =>
  scenario(t, 'pglite'));
