import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { isWuwatchError } from '@wuwatch/core';
import { applyMigrations, diffSchema } from '../src/db/migrate.js';
import { migrationFolderName } from '../src/db/migrations-dir.js';
import { defaultPrismaDir } from '../src/db/paths.js';
import { openPglite } from '../src/db/pglite.js';
import { createEmptyTestDatabase } from './helpers/db.js';

const MIGRATIONS = join(defaultPrismaDir(), 'migrations');
const TABLES = [
  'agents',
  'alert_evaluator_state',
  'alert_notifications',
  'alerts',
  'api_tokens',
  'detection_days',
  'enrollment_secrets',
  'events',
  'machines',
  'quarantined_events',
  'silences',
  'status_samples',
  'wsus_servers',
];

interface LedgerRow {
  migration_name: string;
  applied_steps_count: number;
  finished: boolean;
  rolled_back: boolean;
}
const LEDGER_SQL = `SELECT migration_name, applied_steps_count, finished_at IS NOT NULL AS finished,
  rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations ORDER BY migration_name`;
// Tables as the schema knows them: the daily partitions of "events" are storage, not tables of their own.
const TABLES_SQL = `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND c.relname <> '_prisma_migrations' ORDER BY c.relname`;

/** A copy of the real migrations plus one extra migration, for tests that must not touch prisma/. */
async function migrationsWith(extraName: string, sql: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-migrations-'));
  await cp(MIGRATIONS, dir, { recursive: true });
  await mkdir(join(dir, extraName));
  await writeFile(join(dir, extraName, 'migration.sql'), sql);
  return dir;
}

async function pgQuery<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

test('PostgreSQL: migrations apply to a fresh database, once, recorded in _prisma_migrations', async (t) => {
  const { url, drop } = await createEmptyTestDatabase();
  t.teardown(drop);
  const target = { kind: 'postgres', url } as const;

  const first = await applyMigrations(target);
  t.true(first.length >= 1);
  t.true(first.every((name) => /^\d{14}_[a-z0-9_]+$/.test(name)));
  t.deepEqual(await applyMigrations(target), [], 'second run applies nothing');

  const ledger = await pgQuery<LedgerRow>(url, LEDGER_SQL);
  t.deepEqual(
    ledger.map((r) => r.migration_name),
    first,
  );
  t.true(ledger.every((r) => r.applied_steps_count === 1 && r.finished && !r.rolled_back));
  const tables = await pgQuery<{ table_name: string }>(url, TABLES_SQL);
  t.deepEqual(
    tables.map((r) => r.table_name),
    TABLES,
  );
  // The hand-added CHECK constraint and pg_trgm exist, and the schema engine does not see drift because of them.
  const ext = await pgQuery<{ n: string }>(url, `SELECT count(*) AS n FROM pg_extension WHERE extname = 'pg_trgm'`);
  t.is(ext[0]?.n, '1');
  t.is(await diffSchema(target), null, 'prisma/schema.prisma matches prisma/migrations');
});

test('PostgreSQL: a migration runs as one script (semicolons in comments and strings) and fails atomically', async (t) => {
  const { url, drop } = await createEmptyTestDatabase();
  t.teardown(drop);
  const target = { kind: 'postgres', url } as const;

  const ok = await migrationsWith(
    '29990101000000_semicolons',
    `-- a comment; with; semicolons\nCREATE TABLE probe_semi (v text NOT NULL DEFAULT 'a;b');\nINSERT INTO probe_semi DEFAULT VALUES;\n`,
  );
  t.teardown(() => rm(ok, { recursive: true, force: true }));
  const applied = await applyMigrations(target, { migrationsDir: ok });
  t.is(applied.at(-1), '29990101000000_semicolons');
  t.deepEqual(await pgQuery(url, 'SELECT v FROM probe_semi'), [{ v: 'a;b' }]);

  const bad = await migrationsWith('29990101000000_semicolons', 'SELECT 1;');
  t.teardown(() => rm(bad, { recursive: true, force: true }));
  await cp(join(ok, '29990101000000_semicolons'), join(bad, '29990101000000_semicolons'), { recursive: true });
  await mkdir(join(bad, '29990102000000_broken'));
  await writeFile(
    join(bad, '29990102000000_broken', 'migration.sql'),
    'CREATE TABLE probe_partial (id int);\nSELECT 1/0;\n',
  );
  const err = await t.throwsAsync(applyMigrations(target, { migrationsDir: bad }));
  t.true(isWuwatchError(err, 'DATABASE_MIGRATION'));
  t.regex(err?.message ?? '', /division by zero/);
  const partial = await pgQuery(url, `SELECT to_regclass('probe_partial') IS NULL AS gone`);
  t.deepEqual(partial, [{ gone: true }], 'the failed migration left no table behind');
});

test('PGlite: migrations apply once and persist across reopen; a failing migration rejects', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-pglite-migrate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const db1 = await openPglite(dir);
  const first = await applyMigrations({ kind: 'pglite', db: db1 });
  t.true(first.length >= 1);
  await db1.close();

  const db2 = await openPglite(dir);
  t.teardown(() => db2.close());
  t.deepEqual(await applyMigrations({ kind: 'pglite', db: db2 }), [], 'nothing left to apply after reopen');
  const ledger = await db2.query<LedgerRow>(LEDGER_SQL);
  t.deepEqual(
    ledger.rows.map((r) => r.migration_name),
    first,
  );
  t.true(ledger.rows.every((r) => r.applied_steps_count === 1 && r.finished));
  t.deepEqual(
    (await db2.query<{ table_name: string }>(TABLES_SQL)).rows.map((r) => r.table_name),
    TABLES,
  );

  // pglite-prisma-adapter alone would record this as applied and raise an unhandled rejection.
  const bad = await migrationsWith('29990102000000_broken', 'CREATE TABLE probe_partial (id int);\nSELECT 1/0;\n');
  t.teardown(() => rm(bad, { recursive: true, force: true }));
  const err = await t.throwsAsync(applyMigrations({ kind: 'pglite', db: db2 }, { migrationsDir: bad }));
  t.true(isWuwatchError(err, 'DATABASE_MIGRATION'));
  const broken = await db2.query<{ finished: boolean }>(
    `SELECT finished_at IS NOT NULL AS finished FROM _prisma_migrations WHERE migration_name = '29990102000000_broken'`,
  );
  t.deepEqual(broken.rows, [{ finished: false }]);
});

test('migration folder names follow Prisma: UTC timestamp and a safe slug', (t) => {
  const now = new Date('2026-11-25T21:04:05.678Z');
  t.is(migrationFolderName('Add machine notes!', now), '20261125210405_add_machine_notes');
  t.is(migrationFolderName('***', now), '20261125210405_migration');
});
