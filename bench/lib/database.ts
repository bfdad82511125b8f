/** A throw-away PostgreSQL database per benchmark run (created on the admin URL, dropped at the end). */
import pg from 'pg';

/** Admin URL of the PostgreSQL server the benchmark may create databases on. */
export const BENCH_PG_ADMIN_URL =
  process.env.WUWATCH_BENCH_PG ?? process.env.WUWATCH_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database (the collector migrates it at start). */
export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `wuwatch_bench_<time>_<pid>`. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `wuwatch_bench_${Date.now()}_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(BENCH_PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Server version and the settings that shape write throughput, for the results file. */
export async function describeServer(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
     WHERE name IN ('server_version', 'shared_buffers', 'synchronous_commit', 'wal_level', 'max_connections', 'fsync')`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}
