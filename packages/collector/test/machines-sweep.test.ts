// The time-driven status sweep against a real database: silence and staleness without any event arriving.
import test from 'ava';
import { MachineService, refreshMachineStatus, type MachineChange } from '../src/machines/refresh.js';
import { touchConnected } from '../src/machines/repository.js';
import type { StatusThresholds } from '../src/status/types.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { insertFleet } from './helpers/fleet.js';

const T: StatusThresholds = { silentAfterMinutes: 15, staleAfterIntervals: 3, defaultDetectionIntervalHours: 22 };
const T0 = new Date('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (ms: number) => new Date(T0.getTime() + ms);

let tdb: TestDatabase;
/** What the refresh service emitted during the test (each sweep runs on a fresh service). */
const emitted: MachineChange[][] = [];
const sweepStatuses = (db: TestDatabase['db'], t: StatusThresholds, now: Date) => {
  const service = new MachineService(db, t);
  service.onChange((changes) => emitted.push(changes));
  return service.sweep(now);
};
test.before(async () => {
  tdb = await createTestDatabase();
});
test.after.always(async () => {
  await tdb?.drop();
});

interface Row {
  status: string;
  last_seen: Date;
  updated_at: Date;
  status_reasons: { code: string; evidence: { since?: string | null } }[];
}

async function machine(agentId: string): Promise<Row> {
  const { rows } = await tdb.db.query<Row>(
    'SELECT status, last_seen, updated_at, status_reasons FROM machines WHERE agent_id = $1',
    [agentId],
  );
  return rows[0]!;
}

/** One machine with the given facts, its stored status computed as the collector would at T0. */
async function seed(idPrefix: string, set: string, params: unknown[]): Promise<string> {
  await insertFleet(tdb.db, 1, { idPrefix, hostPrefix: idPrefix });
  const agentId = `${idPrefix}1`;
  await tdb.db.query(`UPDATE machines SET ${set} WHERE agent_id = $1`, [agentId, ...params]);
  await tdb.db.withTransaction((tx) => refreshMachineStatus(tx, agentId, T, T0));
  return agentId;
}

test.serial('a machine goes silent once and stays silent: the sweep does not refresh last_seen itself', async (t) => {
  const id = await seed(
    'sweep_silent_',
    `first_seen = $2, last_seen = $3, last_detection_at = $4, last_detection_outcome = 'succeeded',
     last_success_detection_at = $4`,
    [at(-10 * 24 * HOUR), at(-MIN), at(-HOUR)],
  );
  t.is((await machine(id)).status, 'healthy');

  emitted.length = 0;
  const first = await sweepStatuses(tdb.db, T, at(20 * MIN));
  t.deepEqual(
    first.filter((c) => c.before === 'healthy'),
    [{ machineId: first[0]!.machineId, before: 'healthy', after: 'silent' }],
  );
  t.deepEqual(emitted, [first], 'the refresh service emits exactly the changes the sweep returns, once');
  const silent = await machine(id);
  t.is(silent.status, 'silent');
  t.deepEqual(silent.last_seen, at(-MIN), 'last_seen is when the agent was last heard from, not when we swept');

  for (const later of [21 * MIN, 40 * MIN, 3 * HOUR]) {
    emitted.length = 0;
    const changes = await sweepStatuses(tdb.db, T, at(later));
    t.deepEqual(changes, [], `sweep at +${later / MIN} min changes nothing`);
    t.deepEqual(emitted, [], 'and emits nothing');
  }
  const still = await machine(id);
  t.is(still.status, 'silent');
  t.is(still.status_reasons[0]!.evidence.since, at(-MIN).toISOString());
});

test.serial('a silent machine that is connected again (touched) comes back at the next sweep', async (t) => {
  const id = await seed(
    'sweep_back_',
    `first_seen = $2, last_seen = $3, last_success_detection_at = $4, last_detection_outcome = 'succeeded',
     last_detection_at = $4`,
    [at(-10 * 24 * HOUR), at(-HOUR), at(-2 * HOUR)],
  );
  t.is((await machine(id)).status, 'silent');
  await touchConnected(tdb.db, [id], at(MIN));
  await sweepStatuses(tdb.db, T, at(2 * MIN));
  t.is((await machine(id)).status, 'healthy');
});

test.serial('staleness arrives with time alone, after 3 × the detection interval', async (t) => {
  const id = await seed(
    'sweep_stale_',
    `first_seen = $2, last_seen = $3, last_detection_at = $4, last_detection_outcome = 'succeeded',
     last_success_detection_at = $4`,
    [at(-30 * 24 * HOUR), at(0), at(-60 * HOUR)],
  );
  t.is((await machine(id)).status, 'healthy');
  await touchConnected(tdb.db, [id], at(7 * HOUR));
  const changes = await sweepStatuses(tdb.db, T, at(7 * HOUR));
  t.true(changes.some((c) => c.before === 'healthy' && c.after === 'detect_stale'));
  t.is((await machine(id)).status, 'detect_stale');
});

test.serial('a machine that is failing and stale is not re-evaluated by every sweep', async (t) => {
  // At fleet scale these are the machines the operator is looking for, and the sweep takes at most 5,000 per run:
  // re-selecting them every time would starve the machines whose status really changes.
  const id = await seed(
    'sweep_failing_',
    `first_seen = $2, last_seen = $3, last_detection_at = $4, last_detection_outcome = 'failed',
     last_detection_hresult = '0x80072EFD', consecutive_detection_failures = 40, first_failure_at = $5,
     last_success_detection_at = $5`,
    [at(-30 * 24 * HOUR), at(0), at(-HOUR), at(-100 * HOUR)],
  );
  const before = await machine(id);
  t.is(before.status, 'detect_failing');
  t.deepEqual(
    before.status_reasons.map((r) => r.code),
    ['DETECTION_FAILING', 'DETECTION_STALE'],
  );
  await sweepStatuses(tdb.db, T, at(MIN));
  await sweepStatuses(tdb.db, T, at(2 * MIN));
  const after = await machine(id);
  t.is(after.status, 'detect_failing');
  t.deepEqual(after.updated_at, before.updated_at, 'nothing time-driven changed, so the row was not rewritten');
});

test.serial('touch writes only the connected machines not seen for a third of the silence threshold', async (t) => {
  // At 10,000 agents rewriting every connected row each sweep was most of the database's work; agents that report
  // move last_seen themselves.
  const recent = await seed('touch_recent_', 'connected = true, last_seen = $2', [at(-2 * MIN)]);
  const quiet = await seed('touch_quiet_', 'connected = true, last_seen = $2', [at(-6 * MIN)]);
  const before = (await machine(recent)).last_seen;
  await new MachineService(tdb.db, T).touch([recent, quiet], T0);
  t.deepEqual((await machine(recent)).last_seen, before, 'seen 2 min ago: left alone');
  t.deepEqual((await machine(quiet)).last_seen, T0, 'seen 6 min ago (> 15/3): touched');
});
