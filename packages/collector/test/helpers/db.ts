// Per-test-file databases: every call creates a uniquely named PostgreSQL database, so parallel ava processes and
// repeated runs never share state.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { openDatabase, type Database } from '../../src/db/database.js';

/** Admin URL (database `postgres`) of the server tests may create databases on. */
export const TEST_PG_ADMIN_URL = process.env.WUWATCH_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const PREFIX = 'wuwatch_test_';
/** Leftovers of crashed runs older than this are dropped by the next createTestDatabase. */
const STALE_AFTER_SECONDS = 6 * 3600;

/** A silent logger for code under test. */
export const silentLog = pino({ level: 'silent' });

/** A fresh, migrated database and a way to drop it. */
export interface TestDatabase {
  url: string;
  db: Database;
  /** Closes `db`, terminates remaining connections and drops the database. */
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const u = new URL(TEST_PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  // WITH (FORCE) terminates other sessions first (PostgreSQL 13+).
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

async function dropStale(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `${PREFIX}%`,
  ]);
  const now = Math.floor(Date.now() / 1000);
  for (const { datname } of rows) {
    const created = Number(datname.slice(PREFIX.length).split('_')[0]);
    if (Number.isFinite(created) && now - created > STALE_AFTER_SECONDS)
      await dropDatabase(client, datname).catch(() => {});
  }
}

/** Creates an empty uniquely named database (no migrations); returns its name and URL. */
export async function createEmptyTestDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${PREFIX}${Math.floor(Date.now() / 1000)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (client) => {
    await dropStale(client);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  return { name, url: urlFor(name), drop: () => withAdmin((client) => dropDatabase(client, name)) };
}

/** Creates a fresh database, applies the migrations through openDatabase and returns it open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const empty = await createEmptyTestDatabase();
  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: empty.url, dataDir: 'unused-with-postgres', log: silentLog });
  } catch (err) {
    await empty.drop();
    throw err;
  }
  return {
    url: empty.url,
    db,
    async drop() {
      await db.close().catch(() => undefined);
      await empty.drop();
    },
  };
}
