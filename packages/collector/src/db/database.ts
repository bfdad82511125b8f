import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { PrismaPg } from '@prisma/adapter-pg';
import { isWuwatchError, makeError } from '@wuwatch/core';
import { PrismaClient } from '../generated/prisma/client.js';
import { applyMigrations, type MigrationTarget } from './migrate.js';
import { openPglite, pgliteAdapterFactory, type WuwatchPGlite } from './pglite.js';
import { pgliteQueryable, pgQueryable, type Queryable } from './queryable.js';

/** The logger calls the database layer makes (a pino Logger fits). */
export type DbLogger = Pick<Logger, 'info' | 'warn'>;

/** Where and how to open the database; `databaseUrl` and `dataDir` come from the collector config. */
export interface DatabaseConfig {
  /** PostgreSQL URL; unset means the embedded PGlite database under `<dataDir>/pglite`. */
  databaseUrl?: string | undefined;
  /** Collector data directory; `memory://…` gives a throw-away in-memory PGlite (tests). */
  dataDir: string;
  log: DbLogger;
  /** Apply pending migrations at open (default true). */
  migrate?: boolean;
  migrationsDir?: string;
  /** pg pool size shared by Prisma and raw SQL (PostgreSQL only, default 10). */
  poolMax?: number;
  /**
   * Connections of a second pool used only by {@link Database.withWriteTransaction} (PostgreSQL only; unset: the
   * writes share the main pool). The ingest's writers hold their connections for whole transactions; with their own
   * pool the API, the dashboard, authentication and the sweep never queue behind them.
   */
  writerPoolMax?: number;
}

/**
 * An open database, whichever backend. `query` runs autocommit statements; Prisma handles CRUD. On PGlite there is a
 * single connection: inside `withTransaction` use only the Queryable passed in (not `db.query` or `prisma`), or the
 * call waits for the transaction that is waiting for it.
 */
export interface Database extends Queryable {
  readonly prisma: PrismaClient;
  /** Human-readable target without credentials, e.g. "PostgreSQL 127.0.0.1:5432/wuwatch". */
  readonly description: string;
  /** The pg pool behind Prisma and raw SQL (PostgreSQL only). */
  readonly pool: pg.Pool | null;
  /** The PGlite instance (PGlite only). */
  readonly pglite: WuwatchPGlite | null;
  /** Migrations applied by this open (empty when already up to date or `migrate: false`). */
  readonly appliedMigrations: readonly string[];
  /** Runs `fn` in one transaction: commits when it resolves, rolls back when it throws. */
  withTransaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** {@link Database.withTransaction} on the writers' pool (`writerPoolMax`), for the ingest. */
  withWriteTransaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.hostname || 'local socket'}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function migrateAtOpen(target: MigrationTarget, config: DatabaseConfig): Promise<string[]> {
  if (config.migrate === false) return [];
  const started = Date.now();
  const applied = await applyMigrations(target, {
    ...(config.migrationsDir && { migrationsDir: config.migrationsDir }),
  });
  const ms = Date.now() - started;
  if (applied.length > 0) config.log.info({ applied, ms }, `applied ${applied.length} database migration(s)`);
  else config.log.info({ ms }, 'database schema is up to date');
  return applied;
}

async function openPostgres(url: string, config: DatabaseConfig): Promise<Database> {
  const description = describeUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: config.poolMax ?? 10 });
  const writerPool = config.writerPoolMax ? new pg.Pool({ connectionString: url, max: config.writerPoolMax }) : null;
  // Without a listener, an idle connection dropped by the server would crash the process.
  for (const p of [pool, writerPool]) {
    p?.on('error', (err) => config.log.warn({ err }, 'idle PostgreSQL connection failed; it will be replaced'));
  }
  let appliedMigrations: string[];
  try {
    const { rows } = await pool.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    config.log.info(
      { database: 'postgresql', target: description, version: rows[0]?.version },
      `database: ${description}`,
    );
    appliedMigrations = await migrateAtOpen({ kind: 'postgres', url }, config);
  } catch (err) {
    await pool.end().catch(() => undefined);
    await writerPool?.end().catch(() => undefined);
    if (isWuwatchError(err)) throw err;
    throw makeError('DATABASE', [`cannot open ${description}: ${errorText(err)}`], undefined, err);
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const base = pgQueryable(pool, false);
  const inTransaction = async <T>(from: pg.Pool, fn: (q: Queryable) => Promise<T>): Promise<T> => {
    const client = await from.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(pgQueryable(client, true));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      client.release(broken);
    }
  };
  return {
    kind: 'postgres',
    prisma,
    description,
    pool,
    pglite: null,
    appliedMigrations,
    query: base.query.bind(base),
    withTransaction: (fn) => inTransaction(pool, fn),
    withWriteTransaction: (fn) => inTransaction(writerPool ?? pool, fn),
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await writerPool?.end();
    },
  };
}

async function openEmbedded(config: DatabaseConfig): Promise<Database> {
  const dir = config.dataDir.startsWith('memory://') ? config.dataDir : join(config.dataDir, 'pglite');
  const started = Date.now();
  const db = await openPglite(dir);
  const description = `embedded PGlite ${dir}`;
  config.log.info({ database: 'pglite', dataDir: dir, ms: Date.now() - started }, `database: ${description}`);
  config.log.warn(
    { database: 'pglite' },
    'embedded PGlite is meant for trials and small fleets; production wants PostgreSQL (set DATABASE_URL)',
  );
  let appliedMigrations: string[];
  try {
    appliedMigrations = await migrateAtOpen({ kind: 'pglite', db }, config);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const prisma = new PrismaClient({ adapter: pgliteAdapterFactory(db) });
  const base = pgliteQueryable(db);
  return {
    kind: 'pglite',
    prisma,
    description,
    pool: null,
    pglite: db,
    appliedMigrations,
    query: base.query.bind(base),
    withTransaction: (fn) => db.transaction((tx) => fn(pgliteQueryable(tx))),
    // One connection: the writes share it.
    withWriteTransaction: (fn) => db.transaction((tx) => fn(pgliteQueryable(tx))),
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}

/**
 * Opens the collector database: PostgreSQL when `databaseUrl` is set, else embedded PGlite under the data dir.
 * Logs which one is in use and applies pending migrations unless `migrate: false`.
 */
export function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config) : openEmbedded(config);
}
