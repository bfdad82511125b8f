import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { makeError } from '@wuwatch/core';
import { runScriptsWhole } from './adapter-script.js';

/** PGlite instance type with the extensions wuwatch loads (the init migration creates pg_trgm). */
export type WuwatchPGlite = PGlite;

/**
 * Opens (creating on first use) a PGlite database with the extensions the migrations need.
 * `dataDir` is a directory, or `memory://…` for a throw-away in-memory database.
 */
export async function openPglite(dataDir: string): Promise<WuwatchPGlite> {
  const inMemory = dataDir.startsWith('memory://');
  try {
    if (!inMemory) await mkdir(dataDir, { recursive: true });
    return await PGlite.create({ dataDir, extensions: { pg_trgm } });
  } catch (err) {
    throw makeError('EMBEDDED_DB_OPEN', [dataDir, err instanceof Error ? err.message : String(err)], undefined, err);
  }
}

/** Prisma driver adapter factory over a PGlite instance, for PrismaClient and the schema engine. */
export function pgliteAdapterFactory(db: PGlite): SqlMigrationAwareDriverAdapterFactory {
  return runScriptsWhole(new PrismaPGlite(db), (script) => db.exec(script));
}
