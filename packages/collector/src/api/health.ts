/**
 * Liveness and readiness. `/healthz` says the process answers (restart it when it does not); `/readyz` says it
 * can serve: the database answers and every migration shipped with this collector is applied.
 */
import { join } from 'node:path';
import type { Queryable } from '../db/index.js';
import { readMigrationsList } from '../db/migrations-dir.js';
import { defaultPrismaDir } from '../db/paths.js';

/** The outcome of one readiness check. */
export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  /** Shipped migrations not applied to the database (empty when the schema is current). */
  pendingMigrations: string[];
  /** Why not ready, for people; absent when ready. */
  reason?: string;
}

/** Names of the migrations shipped with this collector, in order. */
export async function shippedMigrations(migrationsDir = join(defaultPrismaDir(), 'migrations')): Promise<string[]> {
  const list = await readMigrationsList(migrationsDir);
  return list.migrationDirectories.map((d) => d.path);
}

/** Checks the database and the schema against the shipped migrations. */
export async function checkReadiness(db: Queryable, shipped: readonly string[]): Promise<Readiness> {
  let applied: Set<string>;
  try {
    const r = await db.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    applied = new Set(r.rows.map((row) => row.migration_name));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // No ledger at all means a database nobody migrated yet, which is a schema problem, not a connection one.
    if (/_prisma_migrations/.test(message) && /does not exist/.test(message)) {
      return {
        ready: false,
        database: 'ok',
        pendingMigrations: [...shipped],
        reason: 'the database has no wuwatch schema yet',
      };
    }
    return { ready: false, database: 'unreachable', pendingMigrations: [], reason: `database error: ${message}` };
  }
  const pending = shipped.filter((m) => !applied.has(m));
  if (shipped.length === 0) {
    return { ready: false, database: 'ok', pendingMigrations: [], reason: 'this collector ships no migrations' };
  }
  if (pending.length > 0) {
    return {
      ready: false,
      database: 'ok',
      pendingMigrations: pending,
      reason: `${pending.length} migration(s) not applied`,
    };
  }
  return { ready: true, database: 'ok', pendingMigrations: [] };
}
