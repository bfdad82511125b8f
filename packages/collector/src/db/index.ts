/** The collector's database layer: open either backend, migrate, store events. */
export { openDatabase, type Database, type DatabaseConfig, type DbLogger } from './database.js';
export { insertEvents, insertEventsByAgent, toJsonbText, COPY_THRESHOLD, type EventRow } from './events.js';
export { applyMigrations, diffMigration, diffSchema, type MigrationTarget, type MigrateOptions } from './migrate.js';
export type { Queryable, QueryResult } from './queryable.js';
export { openPglite } from './pglite.js';
