// Incremental alert evaluation on real PostgreSQL: after one full read, an evaluation reads only the machines whose
// data changed, those whose silent/stale/WSUS threshold fell due (no data change at all), and those with open
// alerts, and ends in the same alerts a full read gives.
import test from 'ava';
import { evaluateOnce, pokeDelayMs, type EvaluationResult } from '../src/alerts/engine.js';
import { AlertRulesConfig } from '../src/alerts/rules.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { insertFleet } from './helpers/fleet.js';

let tdb: TestDatabase;
test.before(async () => {
  tdb = await createTestDatabase();
});
test.after.always(async () => {
  await tdb?.drop();
});

const rules = AlertRulesConfig.parse({});
const MINUTE = 60_000;

async function evaluate(now: Date, full = false): Promise<EvaluationResult> {
  return tdb.db.withTransaction((tx) => evaluateOnce(tx, { rules, channels: ['ops'], now, full }));
}

async function openAlerts(): Promise<string[]> {
  const { rows } = await tdb.db.query<{ k: string }>(
    `SELECT rule || ' ' || subject || ' ' || state AS k FROM alerts WHERE state <> 'resolved' ORDER BY 1`,
  );
  return rows.map((r) => r.k);
}

test.serial('after a full read, evaluations read the changed, the due and the alerted machines only', async (t) => {
  // 2,000 machines, one in ten silent for a day; nothing changed in the last hour.
  await insertFleet(tdb.db, 2000, {
    statuses: [
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'silent',
    ],
  });
  await tdb.db.query(`UPDATE machines SET updated_at = now() - interval '1 hour'`);
  // The newest data is half an hour old: the watermark. Data within the slack below it is read again (1 machine).
  await tdb.db.query(`UPDATE machines SET updated_at = now() - interval '30 minutes' WHERE hostname = 'fleet-002000'`);
  const t0 = Date.now();

  const first = await evaluate(new Date(t0));
  t.like(first, { led: true, mode: 'full', machinesRead: 2000, firing: 200 });

  const quiet = await evaluate(new Date(t0 + MINUTE));
  t.like(
    quiet,
    { mode: 'incremental', machinesRead: 201, firing: 200, notifications: 0 },
    'the 200 alerted and the one inside the slack below the watermark',
  );

  // Data change: three failed detections on one healthy machine (updated_at moves, as the ingest writes it).
  await tdb.db.query(
    `UPDATE machines SET consecutive_detection_failures = 3, last_detection_hresult = '0x80244022',
       first_failure_at = now() - interval '2 hours', last_detection_at = now(), updated_at = now()
     WHERE hostname = 'fleet-000001'`,
  );
  // Time only: a healthy machine last heard from 16 minutes ago; no column the ingest writes moves.
  await tdb.db.query(
    `UPDATE machines SET last_seen = to_timestamp($1 / 1000.0) - interval '16 minutes' WHERE hostname = 'fleet-000002'`,
    [t0 + 2 * MINUTE],
  );
  const changed = await evaluate(new Date(t0 + 2 * MINUTE));
  t.is(changed.mode, 'incremental');
  t.true(changed.machinesRead! >= 202 && changed.machinesRead! <= 205, `read ${changed.machinesRead}`);
  t.is(changed.firing, 202);
  const incremental = await openAlerts();
  t.true(incremental.some((k) => k.startsWith('detect_failures machine:')));
  t.is(incremental.filter((k) => k.startsWith('agent_silent')).length, 201);

  // A full read at the next minute finds exactly the same alerts and has nothing to notify.
  const full = await evaluate(new Date(t0 + 3 * MINUTE), true);
  t.like(full, { mode: 'full', machinesRead: 2000, firing: 202, notifications: 0 });
  t.deepEqual(await openAlerts(), incremental);
});

test.serial('a clock that went back, and the periodic full read, read the whole fleet', async (t) => {
  const t0 = Date.now() + 10 * MINUTE;
  t.is((await evaluate(new Date(t0))).mode, 'incremental');
  t.is((await evaluate(new Date(t0 - 30_000))).mode, 'full', 'earlier than the last evaluation');
  const later = await tdb.db.withTransaction((tx) =>
    evaluateOnce(tx, { rules, channels: ['ops'], now: new Date(t0 + 61 * MINUTE), fullEveryMinutes: 60 }),
  );
  t.is(later.mode, 'full');
});

test('a poked evaluation waits the debounce, or four times the last run when that was slower', (t) => {
  t.is(pokeDelayMs(2000, 0), 2000);
  t.is(pokeDelayMs(2000, 499.5), 2000);
  t.is(pokeDelayMs(2000, 1500), 6000);
  t.is(pokeDelayMs(0, 0.2), 1);
});
