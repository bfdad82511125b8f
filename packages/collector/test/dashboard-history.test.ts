// The dashboard's status history as a rollup table: one sample per slot however many collectors write, the newest
// samples oldest first, and still there after the collector restarts (the database outlives the process).
import test from 'ava';
import { openDatabase } from '../src/db/database.js';
import { loadHistory, recordSample } from '../src/dashboard/history.js';
import { createTestDatabase, silentLog, type TestDatabase } from './helpers/db.js';

let tdb: TestDatabase;
test.before(async () => {
  tdb = await createTestDatabase();
});
test.after.always(async () => {
  await tdb?.drop();
});

test('samples go to their slot once, are read newest-limited and oldest first, and survive a reopen', async (t) => {
  const base = Date.UTC(2026, 11, 1, 12, 0, 0);
  for (let i = 0; i < 5; i++) {
    t.true(await recordSample(tdb.db, new Date(base + i * 30_000 + 1234), 30_000, { healthy: i }));
  }
  // A second collector sampling the same slot a few seconds later adds nothing.
  t.false(await recordSample(tdb.db, new Date(base + 4 * 30_000 + 9000), 30_000, { healthy: 99 }));
  const points = await loadHistory(tdb.db, 3);
  t.deepEqual(
    points.map((p) => p.byStatus.healthy),
    [2, 3, 4],
  );
  t.is(points[0]?.at.toISOString(), new Date(base + 60_000).toISOString(), 'stored at the start of its slot');

  const again = await openDatabase({ databaseUrl: tdb.url, dataDir: 'unused', log: silentLog });
  t.teardown(() => again.close());
  t.is((await loadHistory(again, 100)).length, 5, 'a restarted collector draws the same history');
});
