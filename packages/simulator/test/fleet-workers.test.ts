// Large fleets run their agents in forked worker processes: the same machines, reported the same way.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWuwatchError, makeError } from '@wuwatch/core';
import { startTestCollector } from '../../collector/test/helpers/collector.js';
import { fetchMachines } from '../src/collector-api.js';
import { autoWorkers, startFleet } from '../src/fleet/fleet.js';
import { errorFromWire, errorToWire } from '../src/fleet/messages.js';
import { defaultScenario, parseScenario } from '../src/scenario/parse.js';

const TIME_SCALE = (22 * 3600) / 3;

test('the worker count grows with the fleet: none up to 250 agents, at most 8', (t) => {
  t.is(autoWorkers(50), 0);
  t.is(autoWorkers(250), 0);
  t.is(autoWorkers(251), 1);
  t.is(autoWorkers(1500), 2);
  t.is(autoWorkers(5000), 7);
  t.is(autoWorkers(20_000), 8);
});

test('agents in two worker processes enroll, report and stop cleanly', async (t) => {
  const tc = await startTestCollector();
  t.teardown(() => tc.close());
  const scenario = parseScenario({
    name: 'workers',
    wsusServers: [
      { name: 'ok', behaviour: 'healthy' },
      { name: 'dead', behaviour: '503' },
    ],
    groups: [
      { name: 'web', count: 2, log: 'legacy', policy: { kind: 'wsus', server: 'ok' } },
      { name: 'app', count: 1, log: 'event', policy: { kind: 'wsus', server: 'ok' } },
      { name: 'branch', count: 2, log: 'legacy', policy: { kind: 'wsus', server: 'dead' } },
    ],
  });
  let progress = 0;
  const fleet = await startFleet({
    collectorUrl: tc.url,
    adminToken: tc.adminToken,
    scenario,
    timeScale: TIME_SCALE,
    workers: 2,
    onProgress: (up) => (progress = up),
  });
  try {
    t.is(progress, 5, 'every agent reported up through IPC');
    const deadline = Date.now() + 30_000;
    let statuses: Record<string, string> = {};
    while (Date.now() < deadline) {
      const ms = await fetchMachines(tc.url, tc.adminToken);
      statuses = Object.fromEntries(ms.map((m) => [m.hostname, m.status]));
      if (Object.values(statuses).filter((s) => s !== 'unknown').length === 5) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    t.deepEqual(statuses, {
      'web-001': 'healthy',
      'web-002': 'healthy',
      'app-001': 'healthy',
      'branch-001': 'wsus_unreachable',
      'branch-002': 'wsus_unreachable',
    });
  } finally {
    await fleet.stop();
  }
  t.false(existsSync(fleet.workDir));
  // A graceful stop: every agent said goodbye before its worker exited.
  const after = await fetchMachines(tc.url, tc.adminToken);
  t.is(after.length, 5);
  const { rows } = await tc.collector.db.query<{ n: string }>(
    'SELECT count(*) AS n FROM machines WHERE last_goodbye_at IS NOT NULL',
  );
  t.is(Number(rows[0]?.n), 5);
});

test('aborting while the fleet comes up stops it there and removes everything', async (t) => {
  const tc = await startTestCollector();
  t.teardown(() => tc.close());
  const ac = new AbortController();
  const fleet = await startFleet({
    collectorUrl: tc.url,
    adminToken: tc.adminToken,
    scenario: defaultScenario(),
    agents: 60,
    workers: 0,
    signal: ac.signal,
    onProgress: (up) => up === 3 && ac.abort(),
  });
  t.false(existsSync(fleet.workDir), 'resolved with the fleet already stopped');
  const enrolled = await fetchMachines(tc.url, tc.adminToken);
  t.true(
    enrolled.length >= 3 && enrolled.length < 20,
    `${enrolled.length} agents started before the abort took effect`,
  );
  await fleet.stop();
});

test('a worker that cannot enroll its agents fails the start with the catalogued error, and nothing is left', async (t) => {
  const tc = await startTestCollector();
  t.teardown(() => tc.close());
  let workDir = '';
  const err = await t.throwsAsync(
    startFleet({
      collectorUrl: tc.url,
      enrollSecret: 'wwe_not-a-secret',
      scenario: parseScenario({ name: 'x', groups: [{ name: 'a', count: 2, policy: { kind: 'microsoft_update' } }] }),
      workers: 1,
      tmpRoot: await mkdtemp(join(tmpdir(), 'wuwatch-root-')).then((d) => (workDir = d)),
    }),
  );
  t.true(isWuwatchError(err, 'ENROLL_SECRET_INVALID'), String(err));
  t.deepEqual(await readdir(workDir), [], 'the run directory was removed');
  await rm(workDir, { recursive: true });
});

test('errors cross the process boundary with their catalogue code', (t) => {
  const wire = errorToWire(makeError('ENROLL_SECRET_INVALID'));
  t.is(wire.code, 'WUW_ENROLL_SECRET_INVALID');
  const back = errorFromWire(wire.code, wire.message);
  t.true(isWuwatchError(back, 'ENROLL_SECRET_INVALID'));
  t.is(back.message, wire.message);
  t.true(isWuwatchError(errorFromWire(null, 'boom'), 'INTERNAL'));
});
