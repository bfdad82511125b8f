// Scenario files: validation, scaling to a fleet size, and what the built-in default promises.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MACHINE_STATUSES, isWuwatchError } from '@wuwatch/core';
import { DEFAULT_SCENARIO } from '../src/scenario/default.js';
import { expectedStatus } from '../src/scenario/outcome.js';
import { defaultScenario, loadScenario, parseScenario, parseScenarioText } from '../src/scenario/parse.js';
import { allocateCounts, planFleet } from '../src/scenario/plan.js';
import { GroupSpec } from '../src/scenario/schema.js';

test('the default scenario runs 50 agents and shows every status at least once, with exactly one orphan pointer', (t) => {
  const plan = planFleet(defaultScenario());
  t.is(plan.machines.length, 50);
  t.deepEqual([...plan.expectedStatuses].sort(), [...MACHINE_STATUSES].sort());
  const orphans = plan.machines.filter((m) => m.orphan);
  t.is(orphans.length, 1);
  t.like(orphans[0], { hostname: 'buildbox-001', serverBehaviour: 'refuse', expected: 'wsus_unreachable' });
  t.is(new Set(plan.machines.map((m) => m.hostname)).size, 50, 'hostnames are unique');
  t.true(plan.machines.some((m) => m.log === 'legacy') && plan.machines.some((m) => m.log === 'event'));
  t.deepEqual(
    plan.newcomerGroups.map((g) => g.name),
    ['new'],
  );
});

test('the default scenario shows every status from 13 agents on, and scales to 5,000', (t) => {
  t.throws(() => planFleet(defaultScenario(), 12), { message: /needs at least 13 agents/ });
  const small = planFleet(defaultScenario(), 13);
  t.is(small.machines.length, 13);
  t.deepEqual([...small.expectedStatuses].sort(), [...MACHINE_STATUSES].sort());
  t.is(small.machines.filter((m) => m.orphan).length, 1, 'the branch keeps two machines: its dead server is no orphan');
  const large = planFleet(defaultScenario(), 5000);
  t.is(large.machines.length, 5000);
  t.is(large.machines.filter((m) => m.group === 'stale').length, 1, 'fixed groups keep their count');
  t.is(large.machines.filter((m) => m.orphan).length, 1);
});

test('counts are shared by largest remainder and never go below a group minimum', (t) => {
  const s = parseScenario({
    name: 'mix',
    groups: [
      { name: 'a', count: 3, policy: { kind: 'microsoft_update' } },
      { name: 'b', count: 2, min: 2, policy: { kind: 'microsoft_update' } },
      { name: 'c', count: 1, fixed: true, policy: { kind: 'microsoft_update' } },
    ],
  });
  t.deepEqual(allocateCounts(s), [3, 2, 1]);
  t.deepEqual(allocateCounts(s, 9), [5, 3, 1]);
  t.deepEqual(allocateCounts(s, 4), [1, 2, 1]);
  t.deepEqual(allocateCounts(s, 3), [0, 2, 1]);
  const err = t.throws(() => allocateCounts(s, 2));
  t.true(isWuwatchError(err));
  t.regex(err.message, /needs at least 3 agents/);
});

test('statuses follow the server: 503/refused/hanging → unreachable, 404/500 → server error, healthy → healthy', (t) => {
  const g = (over: Record<string, unknown>) =>
    GroupSpec.parse({ name: 'g', count: 1, policy: { kind: 'wsus', server: 's' }, ...over });
  t.is(expectedStatus(g({}), '503'), 'wsus_unreachable');
  t.is(expectedStatus(g({}), 'refuse'), 'wsus_unreachable');
  t.is(expectedStatus(g({}), 'hang'), 'wsus_unreachable');
  t.is(expectedStatus(g({}), '404'), 'wsus_error');
  t.is(expectedStatus(g({}), '500'), 'wsus_error');
  t.is(expectedStatus(g({}), 'healthy'), 'healthy');
  t.is(expectedStatus(g({ role: 'stale' }), 'healthy'), 'detect_stale');
  t.is(expectedStatus(g({ role: 'silent' }), '503'), 'silent');
  t.is(expectedStatus(g({ policy: { kind: 'misconfigured' } }), null), 'misconfigured');
  const mu = { policy: { kind: 'microsoft_update' } };
  t.is(expectedStatus(g({ ...mu, detection: { kind: 'fail', hresult: '0x80240022' } }), null), 'detect_failing');
  t.is(expectedStatus(g({ ...mu, role: 'newcomer' }), null), 'unknown');
});

test('a failure code is normalised and the plan carries what every cycle ends with', (t) => {
  const plan = planFleet(
    parseScenario({
      name: 'codes',
      wsusServers: [{ name: 'dead', behaviour: '503' }],
      groups: [
        {
          name: 'x',
          count: 1,
          policy: { kind: 'microsoft_update' },
          detection: { kind: 'fail', hresult: '0x8024402f' },
        },
        { name: 'y', count: 2, policy: { kind: 'wsus', server: 'dead' } },
      ],
    }),
  );
  t.deepEqual(
    plan.machines.map((m) => [m.hostname, m.cycleHresult]),
    [
      ['x-001', '0x8024402F'],
      ['y-001', '0x80244022'],
      ['y-002', '0x80244022'],
    ],
  );
});

test('invalid scenarios are refused with a WUW_SCENARIO_INVALID error naming the field', (t) => {
  const bad = [
    [
      { name: 'x', groups: [{ name: 'a', count: 1, policy: { kind: 'wsus', server: 'nope' } }] },
      /no WSUS server named "nope"/,
    ],
    [{ name: 'x', groups: [{ name: 'a', count: 1, policy: { kind: 'microsoft_update' }, log: 'etl' }] }, /log/],
    [
      {
        name: 'x',
        groups: [
          { name: 'a', count: 1, policy: { kind: 'microsoft_update' }, detection: { kind: 'fail', hresult: 'boom' } },
        ],
      },
      /HRESULT/,
    ],
    [{ name: 'x', wsusServers: [{ name: 's', behaviour: '418' }], groups: [] }, /behaviour|groups/],
    [{ name: 'x', groups: [{ name: 'A b', count: 1, policy: { kind: 'microsoft_update' } }] }, /lower-case/],
  ] as const;
  for (const [input, why] of bad) {
    const err = t.throws(() => parseScenario(input, 'test.json'));
    t.is((err as { code?: string }).code, 'WUW_SCENARIO_INVALID');
    t.regex(err.message, /test\.json/);
    t.regex(err.message, why);
  }
  t.throws(() => parseScenarioText('{ nope', 'broken.json'), { message: /broken\.json: not JSON|broken\.json/ });
});

test('a scenario file on disk loads, and the default one round-trips through JSON', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-scenario-'));
  try {
    const file = join(dir, 'default.json');
    await writeFile(file, JSON.stringify(DEFAULT_SCENARIO));
    t.deepEqual(await loadScenario(file), defaultScenario());
    await t.throwsAsync(loadScenario(join(dir, 'missing.json')), { message: /Cannot read/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
