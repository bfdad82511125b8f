// The machines repository against real PostgreSQL: every projection field survives a save and a load (so a field
// added to the projection without its column fails here), hello and disconnect, the read side's filters and paging,
// and the WSUS pointers the fleet rules read.
import test from 'ava';
import type { Hello } from '@wuwatch/core';
import { emptyProjection, type MachineProjection } from '../src/machines/projection.js';
import {
  countByStatus,
  listMachineRows,
  lockMachine,
  markDisconnected,
  saveMachine,
  saveWsusServer,
  upsertHello,
  wsusPointers,
} from '../src/machines/repository.js';
import { PROJECTION_COLUMNS, PROJECTION_FIELDS, rowToProjection } from '../src/machines/row.js';
import type { StatusVerdict } from '../src/status/types.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { insertFleet } from './helpers/fleet.js';

let tdb: TestDatabase;
test.before(async () => {
  tdb = await createTestDatabase();
});
test.after.always(async () => {
  await tdb?.drop();
});

const T = new Date('2026-03-01T12:00:00.000Z');
const at = (min: number) => new Date(T.getTime() + min * 60_000);
const hello = (hostname: string): Hello => ({
  type: 'hello',
  protocol: 1,
  agentId: 'x',
  hostname,
  osVersion: 'Windows Server 2019',
  agentVersion: '1.2.3',
  mode: 'simulate',
});
const verdict: StatusVerdict = {
  status: 'wsus_error',
  reasons: [{ code: 'PROBE_SERVER_ERROR', status: 'wsus_error', message: 'HTTP 500', evidence: { httpStatus: 500 } }],
};

/** A projection with every field set to a non-default value. */
function fullProjection(): MachineProjection {
  return {
    policy: { windowsUpdate: { WUServer: 'http://wsus9:8530' }, au: { UseWUServer: 1 } },
    assessment: { source: 'wsus', wsusUrl: 'http://wsus9:8530', detectionIntervalHours: 11, problems: [] },
    wsusUrl: 'http://wsus9:8530',
    lastProbe: {
      url: 'http://wsus9:8530',
      class: 'http_status',
      ok: false,
      httpStatus: 500,
      failedStep: 'http',
      hresult: '0x801901F4',
      message: 'Internal Server Error',
      steps: [{ step: 'http', ms: 4, ok: false }],
    },
    lastProbeAt: at(1),
    lastProbeOk: false,
    probeFailingSince: at(-30),
    lastDetectionAt: at(-5),
    lastDetectionOutcome: 'failed',
    lastDetectionHresult: '0x80244022',
    lastDetectionSource: 'event',
    consecutiveDetectionFailures: 4,
    firstFailureAt: at(-60),
    lastSuccessDetectionAt: at(-120),
    lastWua: { lastSearchSuccessDate: at(-120).toISOString(), lastInstallationSuccessDate: null },
    lastGoodbyeAt: at(-1),
    policyMdm: { present: true, update: { DisableDualScan: 1 }, mdmWinsOverGp: null, other: {} },
    updateSources: {
      wsusManaged: true,
      classes: {
        quality: { source: 'wsus', reason: 'the WSUS server is configured' },
        feature: { source: 'wsus', reason: 'the WSUS server is configured' },
        driver: { source: 'wsus', reason: 'the WSUS server is configured' },
        other: { source: 'wsus', reason: 'the WSUS server is configured' },
      },
      dualScan: 'not_applicable',
      bypassesWsus: false,
      servicesThatMatter: ['3DA21691-E39D-4DA6-8A4B-B43877BCB1B7'],
      findings: [],
      summary: 'Quality updates, feature updates, driver updates, updates for other Microsoft products come from WSUS.',
    },
    scans: {
      '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7': {
        name: 'WSUS / Configuration Manager',
        lastAt: at(-5).toISOString(),
        outcome: 'failed',
        hresult: '0x80244022',
        source: 'event',
        failures: 4,
        firstFailureAt: at(-60).toISOString(),
        lastSuccessAt: at(-120).toISOString(),
      },
    },
    installs: {
      recent: [
        {
          at: at(-3).toISOString(),
          outcome: 'failed',
          title: '2026-02 Cumulative Update (KB5034441)',
          kb: 'KB5034441',
          updateId: null,
          hresult: '0x80070643',
          serviceId: null,
          source: 'event',
        },
      ],
      updates: {
        KB5034441: {
          title: '2026-02 Cumulative Update (KB5034441)',
          kb: 'KB5034441',
          updateId: null,
          failures: 1,
          firstFailureAt: at(-3).toISOString(),
          lastFailureAt: at(-3).toISOString(),
          hresult: '0x80070643',
          lastAt: at(-3).toISOString(),
          lastOutcome: 'failed',
          lastSource: 'event',
        },
      },
    },
    lastInstallFailureAt: at(-3),
    lastInstallAt: at(-3),
    sourceStates: {
      'event_channel:Microsoft-Windows-WindowsUpdateClient/Operational': {
        source: 'event_channel',
        name: 'Microsoft-Windows-WindowsUpdateClient/Operational',
        state: 'disabled',
        reason: 'wevtutil gl reports enabled: false',
        since: at(-30).toISOString(),
      },
    },
  };
}

test('every projection field has a column, and a saved projection loads back unchanged', async (t) => {
  t.deepEqual(Object.keys(PROJECTION_COLUMNS).sort(), Object.keys(emptyProjection()).sort());
  t.deepEqual([...PROJECTION_FIELDS].sort(), Object.keys(fullProjection()).sort());

  await insertFleet(tdb.db, 1, { idPrefix: 'repo_rt_', hostPrefix: 'repo-rt-' });
  const p = fullProjection();
  await tdb.db.withTransaction(async (tx) => {
    const row = await lockMachine(tx, 'repo_rt_1');
    t.truthy(row);
    t.deepEqual(rowToProjection(row!).consecutiveDetectionFailures, 0);
    await saveMachine(tx, row!, p, verdict, at(2), true);
  });
  const loaded = await tdb.db.withTransaction((tx) => lockMachine(tx, 'repo_rt_1'));
  t.deepEqual(rowToProjection(loaded!), p);
  t.is(loaded!.status, 'wsus_error');
  const { rows } = await tdb.db.query<{ status_reasons: unknown; status_changed_at: Date; updated_at: Date }>(
    `SELECT status_reasons, status_changed_at, updated_at FROM machines WHERE agent_id = 'repo_rt_1'`,
  );
  t.deepEqual(rows[0]!.status_reasons, verdict.reasons);
  t.deepEqual(rows[0]!.status_changed_at, at(2));

  // Saving the same status again keeps status_changed_at; an empty projection writes NULLs back, not stale values.
  await tdb.db.withTransaction(async (tx) => {
    const row = await lockMachine(tx, 'repo_rt_1');
    await saveMachine(tx, row!, emptyProjection(), verdict, at(3));
  });
  const cleared = await tdb.db.withTransaction((tx) => lockMachine(tx, 'repo_rt_1'));
  t.deepEqual(rowToProjection(cleared!), emptyProjection());
  const { rows: after } = await tdb.db.query<{ status_changed_at: Date; last_seen: Date }>(
    `SELECT status_changed_at, last_seen FROM machines WHERE agent_id = 'repo_rt_1'`,
  );
  t.deepEqual(after[0]!.status_changed_at, at(2));
});

test('hello registers then refreshes the machine, and disconnect records a graceful stop', async (t) => {
  await insertFleet(tdb.db, 1, { idPrefix: 'repo_hello_', hostPrefix: 'repo-hello-' });
  await tdb.db.query(`DELETE FROM machines WHERE agent_id = 'repo_hello_1'`);
  await tdb.db.query(`UPDATE agents SET last_acked_seq = 41 WHERE id = 'repo_hello_1'`);
  const first = await upsertHello(tdb.db, 'repo_hello_1', hello('old-name'));
  t.is(first.ackedSeq, 41);
  t.like(first.row, { hostname: 'old-name', connected: true, status: 'unknown', lastGoodbyeAt: null });
  t.deepEqual(first.row.status_reasons, []);

  await markDisconnected(tdb.db, 'repo_hello_1', true);
  const stopped = await tdb.db.withTransaction((tx) => lockMachine(tx, 'repo_hello_1'));
  t.false(stopped!.connected);
  t.truthy(stopped!.lastGoodbyeAt, 'a goodbye is recorded');

  const again = await upsertHello(tdb.db, 'repo_hello_1', hello('new-name'));
  t.is(again.row.id, first.row.id, 'the same machine');
  t.like(again.row, { hostname: 'new-name', connected: true, lastGoodbyeAt: null });

  await markDisconnected(tdb.db, 'repo_hello_1', false);
  const dropped = await tdb.db.withTransaction((tx) => lockMachine(tx, 'repo_hello_1'));
  t.is(dropped!.lastGoodbyeAt, null, 'a dropped connection is not a goodbye');
});

test('listing filters by status, WSUS URL and hostname (literally), pages by (hostname, id), counts by status', async (t) => {
  await insertFleet(tdb.db, 6, {
    idPrefix: 'repo_list_',
    hostPrefix: 'list_%-',
    statuses: ['healthy', 'silent'],
    wsusUrls: ['http://list-a:8530', null],
  });
  const all = await listMachineRows(tdb.db, { hostnameContains: 'list_%-' }, 100);
  t.deepEqual(
    all.map((r) => r.hostname),
    ['list_%-000001', 'list_%-000002', 'list_%-000003', 'list_%-000004', 'list_%-000005', 'list_%-000006'],
  );
  t.deepEqual(await listMachineRows(tdb.db, { hostnameContains: 'list__' }, 100), [], '_ and % match themselves');
  const silent = await listMachineRows(tdb.db, { status: 'silent', hostnameContains: 'list_%-' }, 100);
  t.true(silent.length === 3 && silent.every((r) => r.status === 'silent'));
  const wsus = await listMachineRows(tdb.db, { wsusUrl: 'http://list-a:8530', hostnameContains: 'list_%-' }, 100);
  t.true(wsus.length === 3 && wsus.every((r) => r.wsus_url === 'http://list-a:8530'));
  const page1 = await listMachineRows(tdb.db, { hostnameContains: 'list_%-' }, 4);
  const last = page1[page1.length - 1]!;
  const page2 = await listMachineRows(tdb.db, { hostnameContains: 'list_%-', after: [last.hostname, last.id] }, 4);
  t.deepEqual(
    [...page1, ...page2].map((r) => r.hostname),
    all.map((r) => r.hostname),
  );
  const counts = new Map((await countByStatus(tdb.db)).map((c) => [c.status, c.count]));
  t.true((counts.get('silent') ?? 0) >= 3);
});

test('WSUS pointers carry each machine’s probe facts and each server’s last answer', async (t) => {
  await insertFleet(tdb.db, 2, { idPrefix: 'repo_ptr_', hostPrefix: 'repo-ptr-', wsusUrls: ['http://ptr:8530'] });
  const p = { ...fullProjection(), wsusUrl: 'http://ptr:8530' };
  await tdb.db.withTransaction(async (tx) => {
    const row = await lockMachine(tx, 'repo_ptr_1');
    await saveMachine(tx, row!, p, verdict, at(2));
    await saveWsusServer(tx, { ...p, lastProbe: { ...p.lastProbe!, ok: true, class: 'ok', httpStatus: 200 } }, at(2));
  });
  const { pointers, lastAnswerAt } = await wsusPointers(tdb.db);
  const mine = pointers.filter((x) => x.url === 'http://ptr:8530');
  t.deepEqual(
    mine.map((x) => [x.hostname, x.probe]),
    [
      ['repo-ptr-000001', { url: 'http://wsus9:8530', ok: false, class: 'http_status', httpStatus: 500 }],
      ['repo-ptr-000002', null],
    ],
  );
  t.deepEqual(lastAnswerAt.get('http://ptr:8530'), at(1), 'the answered probe’s time');
});
