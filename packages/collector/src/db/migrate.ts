import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { isWuwatchError, makeError } from '@wuwatch/core';
import { runScriptsWhole } from './adapter-script.js';
import { migrationFolderName, readMigrationsList, writeMigration } from './migrations-dir.js';
import { defaultPrismaDir } from './paths.js';
import { withPgCharSupport } from './pg-char-patch.js';
import { openPglite, pgliteAdapterFactory, type WuwatchPGlite } from './pglite.js';
import { withSchemaEngine } from './schema-engine.js';

/** Where migrations go: a PostgreSQL server by URL, or an open PGlite instance. */
export type MigrationTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; db: WuwatchPGlite };

/** Options shared by the migration functions. */
export interface MigrateOptions {
  /** prisma/migrations directory; defaults to the repository's. */
  migrationsDir?: string;
  /** schema.prisma path (diffs only); defaults to the repository's. */
  schemaPath?: string;
}

const FILTERS = { externalTables: [], externalEnums: [] };

/** Runs `fn` with a schema engine connected to `target`, closing whatever connection it opened. */
async function withTargetEngine<T>(target: MigrationTarget, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  if (target.kind === 'pglite') return withSchemaEngine(pgliteAdapterFactory(target.db), fn);
  // Our own pool so it can be ended here (the adapter never ends pools it was given). One connection, so the engine's
  // pg_advisory_lock and its unlock run on the same session and concurrent migrators really wait for each other.
  const pool = new pg.Pool({ connectionString: target.url, max: 1 });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing the process
  try {
    const factory = withPgCharSupport(runScriptsWhole(new PrismaPg(pool), (script) => pool.query(script)));
    return await withSchemaEngine(factory, fn);
  } finally {
    await pool.end();
  }
}

function migrationError(err: unknown): Error {
  if (isWuwatchError(err)) return err;
  return makeError('DATABASE_MIGRATION', [err instanceof Error ? err.message : String(err)], undefined, err);
}

/**
 * Applies every migration under prisma/migrations not yet recorded in `_prisma_migrations` (Prisma's own ledger,
 * so `prisma migrate status` and friends agree); returns the names applied, empty when up to date.
 */
export async function applyMigrations(target: MigrationTarget, opts: MigrateOptions = {}): Promise<string[]> {
  const migrationsDir = opts.migrationsDir ?? join(defaultPrismaDir(), 'migrations');
  const migrationsList = await readMigrationsList(migrationsDir);
  try {
    const out = await withTargetEngine(target, (engine) =>
      engine.applyMigrations({ migrationsList, filters: FILTERS }),
    );
    return out.appliedMigrationNames;
  } catch (err) {
    throw migrationError(err);
  }
}

async function schemaFiles(
  opts: MigrateOptions,
): Promise<{ files: { path: string; content: string }[]; configDir: string }> {
  const path = opts.schemaPath ?? join(defaultPrismaDir(), 'schema.prisma');
  return { files: [{ path, content: await readFile(path, 'utf8') }], configDir: dirname(path) };
}

/** SQL that would bring the database's schema to schema.prisma, or null when they already match (drift check). */
export async function diffSchema(target: MigrationTarget, opts: MigrateOptions = {}): Promise<string | null> {
  const { files, configDir } = await schemaFiles(opts);
  const result = await withTargetEngine(target, (engine) =>
    engine.diff({
      from: { tag: 'schemaDatasource', files, configDir },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: true,
      filters: FILTERS,
    }),
  );
  // exitCode 0 = no difference (stdout is then "-- This is an empty migration."), 2 = difference.
  return result.exitCode === 0 ? null : (result.stdout ?? '');
}

/** Result of {@link diffMigration}: the new migration file, or null when schema.prisma matches the migrations. */
export interface NewMigration {
  folder: string;
  file: string;
  sql: string;
}

/**
 * `prisma migrate dev --create-only` without the native engine: replays the existing migrations into an in-memory
 * PGlite shadow database, diffs it against schema.prisma and writes prisma/migrations/<ts>_<name>/migration.sql.
 */
export async function diffMigration(
  name: string,
  opts: MigrateOptions & { now?: Date } = {},
): Promise<NewMigration | null> {
  const migrationsDir = opts.migrationsDir ?? join(defaultPrismaDir(), 'migrations');
  const shadow = await openPglite('memory://shadow');
  try {
    await applyMigrations({ kind: 'pglite', db: shadow }, { migrationsDir });
    const sql = await diffSchema({ kind: 'pglite', db: shadow }, opts);
    if (sql === null) return null;
    const folder = migrationFolderName(name, opts.now ?? new Date());
    const file = await writeMigration(migrationsDir, folder, sql);
    return { folder, file, sql };
  } finally {
    await shadow.close();
  }
}
