// Liveness and readiness split: /healthz answers while the process runs, /readyz only while the database answers
// and every migration shipped with the collector is applied (503 with the reason otherwise).
import test from 'ava';
import { startTestCollector, type TestCollector } from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(tc.url + path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test.serial('a migrated database: both 200, readiness counts the shipped migrations', async (t) => {
  t.deepEqual(await get('/healthz'), { status: 200, body: { status: 'ok', database: 'postgres' } });
  const ready = await get('/readyz');
  t.is(ready.status, 200);
  t.is(ready.body.status, 'ready');
  t.true(Number(ready.body.migrations) >= 1);
});

test.serial('a shipped migration missing from the database: /readyz 503 names it, /healthz stays 200', async (t) => {
  const db = tc.collector.db;
  const last = (
    await db.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1',
    )
  ).rows[0]!.migration_name;
  await db.query(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1`, [last]);
  try {
    const r = await get('/readyz');
    t.is(r.status, 503);
    t.is(r.body.code, 'WUW_NOT_READY');
    t.deepEqual(r.body.pendingMigrations, [last]);
    t.regex(String(r.body.message), /1 migration\(s\) not applied.*wuwatch migrate/);
    t.is((await get('/healthz')).status, 200);
  } finally {
    await db.query(`UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE migration_name = $1`, [last]);
  }
  t.is((await get('/readyz')).status, 200);
});

test.serial('a database without the wuwatch schema: /readyz 503 "no wuwatch schema yet"', async (t) => {
  const db = tc.collector.db;
  await db.query('ALTER TABLE _prisma_migrations RENAME TO _prisma_migrations_away');
  try {
    const r = await get('/readyz');
    t.is(r.status, 503);
    t.is(r.body.database, 'ok');
    t.regex(String(r.body.message), /no wuwatch schema yet/);
  } finally {
    await db.query('ALTER TABLE _prisma_migrations_away RENAME TO _prisma_migrations');
  }
});
