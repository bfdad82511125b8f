// The fleet's install listing (GET /v1/installs, with failed=true the fleet page's panel) reads at most `limit`
// machines through an index (last_install_at, or last_install_failure_at for failures) instead of every machine of
// the fleet. It must list exactly what sorting every kept install would: here against a brute-force sort over random
// histories with many equal times (ties go by hostname, then id), machines whose failures left the listing, machines
// with no install, and a machine filter.
import { readFile } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { lastInstall, lastInstallFailure, type InstallRecord, type InstallState } from '../src/machines/installs.js';
import { listInstallRows } from '../src/machines/installs-repository.js';
import { toJsonbText, type Queryable } from '../src/db/index.js';
import { createTestDatabase } from './helpers/db.js';

const T0 = Date.UTC(2026, 11, 1);

/** A small deterministic generator (the same histories on every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

for (const failed of [true, false]) {
  test(`${failed ? 'failed installs' : 'all installs'}: the index-bounded read lists exactly the newest, ties by hostname and id`, async (t) => {
    await listingMatchesBruteForce(t, failed, false);
  });
}

test('all installs: rows stored before last_install_at existed are filled by its migration, then listed exactly', async (t) => {
  await listingMatchesBruteForce(t, false, true);
});

/** The migration's backfill (the statement between its ALTER TABLE and its CREATE INDEX). */
async function backfillLastInstallAt(db: Queryable): Promise<void> {
  const sql = await readFile(
    new URL('../../../prisma/migrations/20261207005021_installs_listing/migration.sql', import.meta.url),
    'utf8',
  );
  await db.query(sql.slice(sql.indexOf('UPDATE "machines"'), sql.indexOf('-- CreateIndex')));
}

async function listingMatchesBruteForce(t: ExecutionContext, failed: boolean, viaMigration: boolean): Promise<void> {
  const { db, drop } = await createTestDatabase();
  t.teardown(drop);
  const rnd = lcg(7);
  const machines: { id: string; hostname: string; installs: InstallState }[] = [];
  for (let i = 0; i < 120; i++) {
    const recent: InstallRecord[] = [];
    const n = Math.floor(rnd() * 11);
    for (let k = 0; k < n; k++) {
      const outcome = rnd() < 0.4 ? 'failed' : rnd() < 0.8 ? 'succeeded' : 'cancelled';
      // Few distinct times, so many installs share one.
      const at = new Date(T0 + Math.floor(rnd() * 30) * 60_000).toISOString();
      recent.push({
        at,
        outcome,
        title: null,
        kb: `KB${i}`,
        updateId: null,
        hresult: null,
        serviceId: null,
        source: 'event',
      });
    }
    recent.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    // Hostnames repeat, so the id decides some ties.
    // Every fifth machine tracks an update whose newest failure has left the listing (pushed out by newer installs):
    // the index must not rank such a machine by a failure it no longer lists.
    const updates: InstallState['updates'] =
      i % 5 === 0
        ? {
            [`KB${i}`]: {
              title: null,
              kb: `KB${i}`,
              updateId: null,
              failures: 1,
              firstFailureAt: new Date(T0 + 3_600_000).toISOString(),
              lastFailureAt: new Date(T0 + 3_600_000).toISOString(),
              hresult: null,
              lastAt: new Date(T0 + 3_600_000).toISOString(),
              lastOutcome: 'failed',
              lastSource: 'log',
            },
          }
        : {};
    machines.push({ id: `m${String(i).padStart(3, '0')}`, hostname: `host${i % 17}`, installs: { recent, updates } });
  }
  for (const m of machines) {
    await db.query(`INSERT INTO agents (id, token_hash, token_prefix) VALUES ($1, $1, 'p')`, [`a-${m.id}`]);
    await db.query(
      `INSERT INTO machines (id, agent_id, hostname, installs, last_install_failure_at, last_install_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6)`,
      [
        m.id,
        `a-${m.id}`,
        m.hostname,
        toJsonbText(m.installs),
        lastInstallFailure(m.installs),
        viaMigration ? null : lastInstall(m.installs),
      ],
    );
  }
  if (viaMigration) {
    await backfillLastInstallAt(db);
    const { rows } = await db.query<{ id: string; last_install_at: Date | null }>(
      'SELECT id, last_install_at FROM machines ORDER BY id',
    );
    t.deepEqual(
      rows.map((r) => [r.id, r.last_install_at]),
      machines.map((m) => [m.id, lastInstall(m.installs)]),
      'the backfill stores what the collector computes',
    );
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const all = machines
    .flatMap((m) => m.installs.recent.filter((r) => !failed || r.outcome === 'failed').map((r) => ({ m, r })))
    .sort((x, y) => cmp(y.r.at, x.r.at) || cmp(x.m.hostname, y.m.hostname) || cmp(x.m.id, y.m.id));
  t.true(all.length > 100, `${all.length} installs`);
  t.true(
    machines.some((m) => m.installs.recent.length === 0),
    'some machines have no install (no last_install_at)',
  );
  const key = (id: string, at: string, kb: string | null) => `${id} ${at} ${kb}`;
  for (const limit of [1, 2, 5, 10, 37, 1000]) {
    const rows = await listInstallRows(db, { failed, limit });
    t.deepEqual(
      rows.map((r) => key(r.machineId, r.install.at, r.install.kb)),
      all.slice(0, limit).map((x) => key(x.m.id, x.r.at, x.r.kb)),
      `limit ${limit}`,
    );
  }
  const kept = (m: (typeof machines)[number]) => m.installs.recent.filter((r) => !failed || r.outcome === 'failed');
  const one = machines.find((m) => kept(m).length >= 2)!;
  const rows = await listInstallRows(db, { failed, machineId: one.id, limit: 1000 });
  t.deepEqual(
    rows.map((r) => r.install.at),
    kept(one).map((r) => r.at),
  );
}
