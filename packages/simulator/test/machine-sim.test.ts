// A simulated server on disk: what it writes at the start and as compressed time passes.
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectLogKind, parseLog, parsePolicy, parseWevtutilXml, assessPolicy } from '@wuwatch/core';
import { SimMachine } from '../src/machine/machine.js';
import { machinePlan } from '../src/scenario/plan.js';
import { parseScenario } from '../src/scenario/parse.js';
import { DEFAULT_TIME_SCALE, nextDetectionDelayMs, realMsFor, checkTimeScale } from '../src/time/scale.js';
import { seededRandom } from '../src/time/random.js';

const scenario = parseScenario({
  name: 'sim',
  wsusServers: [
    { name: 'ok', behaviour: 'healthy' },
    { name: 'dead', behaviour: '503' },
  ],
  groups: [
    { name: 'legacy-dead', count: 1, log: 'legacy', policy: { kind: 'wsus', server: 'dead' } },
    { name: 'event-ok', count: 1, log: 'event', policy: { kind: 'wsus', server: 'ok' } },
    { name: 'stale', count: 1, role: 'stale', staleDays: 9, policy: { kind: 'wsus', server: 'ok' } },
    { name: 'new', count: 1, log: 'event', role: 'newcomer', policy: { kind: 'microsoft_update' } },
  ],
});
const group = (name: string) => scenario.groups.find((g) => g.name === name)!;
const INTERVAL_MS = realMsFor(22, DEFAULT_TIME_SCALE);

async function machine(t: ExecutionContext, name: string) {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-machine-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const m = new SimMachine(machinePlan(scenario, group(name), 1), {
    dir,
    wsusUrl: 'http://127.0.0.1:8530',
    intervalHours: 22,
    timeScale: DEFAULT_TIME_SCALE,
    random: seededRandom(7),
  });
  return { m, dir };
}

test('the default scale runs a 22 h interval in 20 s; Windows waits the interval minus up to 20 %', (t) => {
  t.is(DEFAULT_TIME_SCALE, 3960);
  t.is(INTERVAL_MS, 20_000);
  t.is(nextDetectionDelayMs(22, DEFAULT_TIME_SCALE, 0), 20_000);
  t.is(nextDetectionDelayMs(22, DEFAULT_TIME_SCALE, 0.5), 18_000);
  t.is(checkTimeScale(1), null);
  t.truthy(checkTimeScale(0.5));
  t.truthy(checkTimeScale(Number.NaN));
});

test('a legacy machine on a dead WSUS starts with two failed cycles one interval apart, then appends more', async (t) => {
  const h = await machine(t, 'legacy-dead');
  const now = Date.now();
  await h.m.prepare(now);
  const text = await readFile(h.m.logPath, 'utf8');
  t.is(detectLogKind(Buffer.from(text)), 'legacy');
  const cycles = parseLog(text).findings.filter((f) => f.kind === 'detection');
  t.deepEqual(
    cycles.map((c) => c.kind === 'detection' && [c.outcome, c.hresult]),
    [
      ['failed', '0x80244022'],
      ['failed', '0x80244022'],
    ],
  );
  const ends = cycles.map((c) => (c.kind === 'detection' ? Date.parse(c.end + 'Z') : 0));
  t.is(ends[1]! - ends[0]!, INTERVAL_MS);
  t.true(Math.abs(now - INTERVAL_MS - ends[1]!) < 5, 'the newest history cycle ended one interval ago');
  t.like(assessPolicy(parsePolicy(await readFile(join(h.dir, 'policy.reg')))), { wsusUrl: 'http://127.0.0.1:8530' });
  t.deepEqual(JSON.parse(await readFile(join(h.dir, 'wua.json'), 'utf8')).lastSearchSuccessDate, null);

  t.true(
    h.m.nextCycleAt! >= now + INTERVAL_MS / 4 && h.m.nextCycleAt! < now + INTERVAL_MS,
    'first live cycle within one interval',
  );
  const before = (await stat(h.m.logPath)).size;
  await h.m.runCycle(now + 5000);
  t.true((await stat(h.m.logPath)).size > before, 'the log grows');
  t.is(parseLog(await readFile(h.m.logPath)).findings.filter((f) => f.kind === 'detection').length, 3);
  const delay = h.m.nextCycleAt! - (now + 5000);
  t.true(delay >= 0.8 * INTERVAL_MS && delay <= INTERVAL_MS);
});

test('an event-mode machine has the ETW stub and events/*.xml; old event files are pruned', async (t) => {
  const h = await machine(t, 'event-ok');
  const now = Date.now();
  await h.m.prepare(now);
  t.is(detectLogKind(await readFile(h.m.logPath)), 'etw_stub');
  for (let i = 1; i <= 12; i++) await h.m.runCycle(now + i * 1000);
  const files = (await readdir(join(h.dir, 'events'))).sort();
  t.is(files.length, 4);
  t.true(files.every((f) => /^\d{8}\.xml$/.test(f)));
  const events = (
    await Promise.all(files.map(async (f) => parseWevtutilXml(await readFile(join(h.dir, 'events', f), 'utf8'))))
  ).flat();
  t.true(events.every((e) => e.eventId === 26));
  const ids = events.map((e) => e.recordId);
  t.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
    'record ids grow',
  );
  const wua = JSON.parse(await readFile(join(h.dir, 'wua.json'), 'utf8'));
  t.is(wua.lastSearchSuccessDate, new Date(now + 12_000).toISOString());
});

test('a stale machine last succeeded nine calendar days ago and never scans again', async (t) => {
  const h = await machine(t, 'stale');
  const now = Date.now();
  await h.m.prepare(now);
  const wua = JSON.parse(await readFile(join(h.dir, 'wua.json'), 'utf8'));
  t.true(Math.abs(Date.parse(wua.lastSearchSuccessDate) - (now - 9 * 86_400_000)) < 5);
  t.is(h.m.nextCycleAt, null);
  const cycles = parseLog(await readFile(h.m.logPath)).findings.filter((f) => f.kind === 'detection');
  t.true(cycles.length >= 1 && cycles.every((c) => c.kind === 'detection' && c.outcome === 'succeeded'));
});

test('a newcomer has no history and no WUA results, and scans for the first time after two intervals', async (t) => {
  const h = await machine(t, 'new');
  const now = Date.now();
  await h.m.prepare(now);
  t.deepEqual(await readdir(join(h.dir, 'events')), []);
  await t.throwsAsync(readFile(join(h.dir, 'wua.json')), { code: 'ENOENT' });
  t.is(h.m.nextCycleAt, now + 2 * INTERVAL_MS);
});
