import test from 'ava';
import type { ProbeData } from '@wuwatch/core';
import {
  AlertRulesConfig,
  DEFAULT_ALERT_RULES,
  conditionKey,
  evaluateAlertRules,
  subjectsForMachine,
} from '../src/alerts/rules.js';
import {
  Silence,
  matchesSilence,
  nextAlertState,
  reconcileAlerts,
  shouldNotify,
  type AlertStateInput,
} from '../src/alerts/state.js';
import type { Alert, AlertCondition, AlertMachineSnapshot } from '../src/alerts/types.js';

const NOW = new Date('2024-05-10T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const DEAD = 'http://wsus-old.corp.example:8530';

function probe(over: Partial<ProbeData> = {}): ProbeData {
  return {
    url: DEAD,
    class: 'http_status',
    ok: false,
    httpStatus: 503,
    failedStep: 'http',
    hresult: null,
    message: null,
    steps: [],
    ...over,
  };
}

/** A healthy, recently heard-from machine; tests override what they need. */
function machine(id: string, over: Partial<AlertMachineSnapshot> = {}): AlertMachineSnapshot {
  return {
    machineId: id,
    hostname: id.toUpperCase(),
    status: 'healthy',
    statusReasons: [],
    wsusUrl: DEAD,
    consecutiveDetectionFailures: 0,
    lastDetectionHresult: null,
    firstFailureAt: null,
    lastDetectionAt: ago(HOUR),
    lastSuccessDetectionAt: ago(HOUR),
    firstSeen: ago(30 * 24 * HOUR),
    lastSeen: ago(MIN),
    lastGoodbyeAt: null,
    probeFailingSince: null,
    lastProbe: null,
    ...over,
  };
}

function failing(n: number): Partial<AlertMachineSnapshot> {
  return {
    status: 'detect_failing',
    consecutiveDetectionFailures: n,
    lastDetectionHresult: '0x80244022',
    firstFailureAt: ago(3 * 22 * HOUR),
    lastDetectionAt: ago(HOUR),
  };
}

function deadProbe(since: number, over: Partial<ProbeData> = {}): Partial<AlertMachineSnapshot> {
  return { status: 'wsus_unreachable', lastProbe: probe(over), probeFailingSince: ago(since) };
}

const evaluate = (machines: AlertMachineSnapshot[], counts?: Record<string, number>): AlertCondition[] =>
  evaluateAlertRules({ machines, now: NOW, ...(counts ? { wsusMachineCounts: counts } : {}) });

test('config: defaults are the documented ones and partial overrides keep the rest', (t) => {
  t.deepEqual(AlertRulesConfig.parse({}), DEFAULT_ALERT_RULES);
  t.is(DEFAULT_ALERT_RULES.detectFailures.threshold, 3);
  t.is(DEFAULT_ALERT_RULES.detectStale.afterHours, 72);
  t.is(DEFAULT_ALERT_RULES.wsusUnreachable.afterMinutes, 30);
  t.is(DEFAULT_ALERT_RULES.agentSilent.afterMinutes, 15);
  t.deepEqual(DEFAULT_ALERT_RULES.hysteresis, { clearAfterMinutes: 30, clearAfterGoodObservations: 2 });
  t.is(DEFAULT_ALERT_RULES.repeatIntervalMinutes, 240);
  const custom = AlertRulesConfig.parse({ detectFailures: { threshold: 5 } });
  t.is(custom.detectFailures.threshold, 5);
  t.true(custom.detectFailures.enabled);
  t.is(custom.detectStale.afterHours, 72);
  t.false(AlertRulesConfig.safeParse({ detectFailures: { threshold: 0 } }).success);
  t.false(AlertRulesConfig.safeParse({ detectFailurs: {} }).success, 'typos are refused, not ignored');
});

const failureTable: [string, number, number][] = [
  ['no failure', 0, 0],
  ['2 failures: no alert', 2, 0],
  ['3 failures: one condition', 3, 1],
  ['7 failures: still one condition', 7, 1],
];
for (const [title, n, expected] of failureTable) {
  test(`detect_failures: ${title}`, (t) => {
    const found = evaluate([machine('m1', failing(n))]).filter((c) => c.rule === 'detect_failures');
    t.is(found.length, expected);
    if (expected === 1) {
      const c = found[0]!;
      t.is(c.subject, 'machine:m1');
      t.is(c.severity, 'warning');
      t.is(c.evidence.count, n);
      t.is(c.evidence.hresult, '0x80244022');
      t.is(c.evidence.hresultName, 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL');
      t.is(c.evidence.httpStatus, 503);
      t.is(c.evidence.url, DEAD);
      t.regex(c.summary, new RegExp(`${n} times in a row on M1`));
      t.regex(c.fix, /WsusPool/);
    }
  });
}

test('detect_failures: the threshold comes from config', (t) => {
  const cfg = AlertRulesConfig.parse({ detectFailures: { threshold: 5 } });
  const run = (n: number) =>
    evaluateAlertRules({ machines: [machine('m1', failing(n))], now: NOW }, cfg).filter(
      (c) => c.rule === 'detect_failures',
    ).length;
  t.is(run(4), 0);
  t.is(run(5), 1);
});

test('wsus_unreachable: ten machines on one dead WSUS give one condition listing all ten', (t) => {
  // Spellings differ (case, path, trailing slash): they are the same server once normalised.
  const spellings = [DEAD, 'HTTP://WSUS-OLD.corp.example:8530/', `${DEAD}/ClientWebService/client.asmx`];
  const machines = Array.from({ length: 10 }, (_, i) =>
    machine(`m${String(i).padStart(2, '0')}`, {
      ...failing(4),
      ...deadProbe(2 * HOUR - i * MIN, { url: spellings[i % 3]! }),
    }),
  );
  const conditions = evaluate(machines);
  const wsus = conditions.filter((c) => c.rule === 'wsus_unreachable');
  t.is(wsus.length, 1);
  const c = wsus[0]!;
  t.is(c.subject, `wsus:${DEAD}`);
  t.is(c.severity, 'critical');
  t.is(c.machines?.length, 10);
  t.deepEqual(
    c.machines?.map((m) => m.hostname),
    machines.map((m) => m.hostname),
  );
  for (const m of machines) t.true(c.summary.includes(m.hostname));
  t.regex(c.summary, /10 of the 10 machines/);
  t.notRegex(c.summary, /orphan/i);
  t.is(c.evidence.httpStatus, 503);
  t.is(c.evidence.since, ago(2 * HOUR).toISOString(), 'since = the earliest failure');
  t.is(c.evidence.machinesPointing, 10);
  t.false(c.evidence.orphan);
  // One dead WSUS = one incident: the machines' own detection alerts are inhibited by it.
  const detect = conditions.filter((x) => x.rule === 'detect_failures');
  t.is(detect.length, 10);
  for (const d of detect) t.is(d.inhibitedBy, conditionKey(c));
  t.is(conditions.filter((x) => !x.inhibitedBy).length, 1);
});

test('wsus_unreachable: exactly one machine pointing at it is an orphan pointer', (t) => {
  const laptop = machine('lap7', { hostname: 'LAPTOP-7', ...deadProbe(HOUR, { class: 'dns', httpStatus: null }) });
  const others = [machine('a', { wsusUrl: 'http://wsus02.corp.example:8530' })];
  const [c, ...rest] = evaluate([laptop, ...others]).filter((x) => x.rule === 'wsus_unreachable');
  t.is(rest.length, 0);
  t.truthy(c);
  t.regex(c!.title, /Orphan WSUS pointer: LAPTOP-7/);
  t.regex(c!.summary, /Orphan pointer: only LAPTOP-7 points at http:\/\/wsus-old\.corp\.example:8530/);
  t.regex(c!.summary, /name does not resolve/);
  t.regex(c!.fix, /Not Configured/);
  t.regex(c!.fix, /DNS record/);
  t.is(c!.severity, 'warning');
  t.true(c!.evidence.orphan);
  t.deepEqual(c!.machines, [{ machineId: 'lap7', hostname: 'LAPTOP-7' }]);
});

test('wsus_unreachable: the per-URL machine count decides orphan wording', (t) => {
  const one = machine('m1', deadProbe(HOUR));
  const c = evaluate([one], { [DEAD]: 5 }).find((x) => x.rule === 'wsus_unreachable');
  t.truthy(c);
  t.false(c!.evidence.orphan);
  t.regex(c!.summary, /1 of the 5 machines/);
  t.notRegex(c!.summary, /orphan/i);
});

const probeTable: [string, Partial<ProbeData>, number, boolean][] = [
  ['503 for 31 min', { class: 'http_status', httpStatus: 503 }, 31 * MIN, true],
  ['503 for exactly 30 min', { class: 'http_status', httpStatus: 503 }, 30 * MIN, false],
  ['503 for 10 min', { class: 'http_status', httpStatus: 503 }, 10 * MIN, false],
  ['407 proxy', { class: 'http_status', httpStatus: 407 }, HOUR, true],
  ['502 gateway', { class: 'http_status', httpStatus: 502 }, HOUR, true],
  ['refused', { class: 'refused', httpStatus: null }, HOUR, true],
  ['timeout', { class: 'timeout', httpStatus: null }, HOUR, true],
  ['tls', { class: 'tls', httpStatus: null }, HOUR, true],
  ['proxy_auth', { class: 'proxy_auth', httpStatus: null }, HOUR, true],
  ['404 is a server error, not unreachable', { class: 'http_status', httpStatus: 404 }, HOUR, false],
  ['500 is a server error, not unreachable', { class: 'http_status', httpStatus: 500 }, HOUR, false],
  ['invalid URL is misconfiguration', { class: 'invalid_url', httpStatus: null }, HOUR, false],
  ['ok probe', { class: 'ok', ok: true, httpStatus: 200 }, HOUR, false],
];
for (const [title, p, since, fires] of probeTable) {
  test(`wsus_unreachable: ${title} → ${fires ? 'alert' : 'no alert'}`, (t) => {
    const found = evaluate([machine('m1', deadProbe(since, p))]).filter((c) => c.rule === 'wsus_unreachable');
    t.is(found.length, fires ? 1 : 0);
  });
}

test('wsus_unreachable: two dead servers give two conditions', (t) => {
  const other = 'https://wsus-b.corp.example:8531';
  const conditions = evaluate([
    machine('a', deadProbe(HOUR)),
    machine('b', deadProbe(HOUR)),
    machine('c', { wsusUrl: other, ...deadProbe(HOUR, { url: other, class: 'timeout', httpStatus: null }) }),
  ]).filter((c) => c.rule === 'wsus_unreachable');
  t.deepEqual(conditions.map((c) => [c.subject, c.machines?.length]).sort(), [
    [`wsus:${DEAD}`, 2],
    [`wsus:${other}`, 1],
  ]);
});

const silentTable: [string, Partial<AlertMachineSnapshot>, 'info' | 'warning' | null][] = [
  ['heard from 14 min ago', { lastSeen: ago(14 * MIN) }, null],
  ['exactly 15 min ago', { lastSeen: ago(15 * MIN) }, null],
  ['vanished 16 min ago', { lastSeen: ago(16 * MIN) }, 'warning'],
  ['graceful stop (goodbye = last seen)', { lastSeen: ago(HOUR), lastGoodbyeAt: ago(HOUR) }, 'info'],
  ['graceful stop (goodbye just before close)', { lastSeen: ago(HOUR), lastGoodbyeAt: ago(HOUR + 500) }, 'info'],
  ['goodbye long before the last contact', { lastSeen: ago(HOUR), lastGoodbyeAt: ago(2 * HOUR) }, 'warning'],
  ['never seen after enrolment', { lastSeen: null, firstSeen: ago(HOUR) }, 'warning'],
];
for (const [title, over, severity] of silentTable) {
  test(`agent_silent: ${title}`, (t) => {
    const found = evaluate([machine('m1', over)]).filter((c) => c.rule === 'agent_silent');
    t.is(found.length, severity ? 1 : 0);
    if (!severity) return;
    const c = found[0]!;
    t.is(c.severity, severity);
    if (severity === 'info') {
      t.regex(c.title, /stopped on purpose/);
      t.true(c.evidence.graceful);
    } else {
      t.regex(c.title, /is silent/);
      t.regex(c.summary, /did not say goodbye/);
      t.false(c.evidence.graceful);
    }
  });
}

test('agent_silent: graceful stops can be left out, and a silent agent inhibits its stale detection', (t) => {
  const cfg = AlertRulesConfig.parse({ agentSilent: { reportGracefulStop: false } });
  const stopped = machine('m1', { lastSeen: ago(HOUR), lastGoodbyeAt: ago(HOUR) });
  t.deepEqual(evaluateAlertRules({ machines: [stopped], now: NOW }, cfg), []);
  const gone = machine('m2', { lastSeen: ago(100 * HOUR), lastSuccessDetectionAt: ago(100 * HOUR) });
  const conditions = evaluate([gone]);
  const stale = conditions.find((c) => c.rule === 'detect_stale');
  t.is(stale?.inhibitedBy, 'agent_silent/machine:m2');
  t.is(conditions.find((c) => c.rule === 'agent_silent')?.inhibitedBy, undefined);
});

const staleTable: [string, Partial<AlertMachineSnapshot>, boolean][] = [
  ['success 71 h ago', { lastSuccessDetectionAt: ago(71 * HOUR) }, false],
  ['success exactly 72 h ago', { lastSuccessDetectionAt: ago(72 * HOUR) }, false],
  ['success 72 h + 1 ms ago', { lastSuccessDetectionAt: ago(72 * HOUR + 1) }, true],
  ['never succeeded, first seen 10 h ago', { lastSuccessDetectionAt: null, firstSeen: ago(10 * HOUR) }, false],
  ['never succeeded, first seen 73 h ago', { lastSuccessDetectionAt: null, firstSeen: ago(73 * HOUR) }, true],
];
for (const [title, over, fires] of staleTable) {
  test(`detect_stale: ${title}`, (t) => {
    const found = evaluate([machine('m1', over)]).filter((c) => c.rule === 'detect_stale');
    t.is(found.length, fires ? 1 : 0);
    if (fires) {
      t.is(found[0]!.subject, 'machine:m1');
      t.regex(found[0]!.summary, over.lastSuccessDetectionAt ? /last completed/ : /first saw it/);
    }
  });
}

test('rules can be disabled, and a healthy fleet has no conditions', (t) => {
  const cfg = AlertRulesConfig.parse({ detectFailures: { enabled: false }, wsusUnreachable: { enabled: false } });
  const machines = [machine('m1', { ...failing(9), ...deadProbe(HOUR) })];
  t.deepEqual(evaluateAlertRules({ machines, now: NOW }, cfg), []);
  t.deepEqual(evaluate([machine('a'), machine('b')]), []);
});

test('subjectsForMachine names the machine and its WSUS server', (t) => {
  t.deepEqual(subjectsForMachine(machine('m1', { wsusUrl: 'HTTP://WSUS-OLD.corp.example:8530/' })), [
    'machine:m1',
    `wsus:${DEAD}`,
  ]);
});

// ---- hysteresis -------------------------------------------------------------------------------------------

const HYST = { clearAfterMinutes: 30, clearAfterGoodObservations: 2 };

/** Runs a sequence of [minute, present, fresh] observations; returns the state after each. */
function run(steps: [number, boolean, boolean?][]): (string | null)[] {
  let st: AlertStateInput | null = null;
  return steps.map(([minute, present, fresh]) => {
    st = nextAlertState(st, present, new Date(NOW.getTime() + minute * MIN), HYST, { freshObservation: fresh ?? true });
    return st?.state ?? null;
  });
}

test('hysteresis: absent with no alert stays nothing; present fires', (t) => {
  t.deepEqual(run([[0, false]]), [null]);
  t.deepEqual(run([[0, true]]), ['firing']);
});

test('hysteresis: a flapping machine stays firing and keeps its start time', (t) => {
  const steps: [number, boolean][] = [];
  for (let i = 0; i < 12; i++) steps.push([i * 5, i % 2 === 0]);
  const states = run(steps);
  t.deepEqual(
    states,
    Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'firing' : 'clearing')),
  );
  let st: AlertStateInput | null = null;
  for (const [minute, present] of steps) st = nextAlertState(st, present, new Date(NOW.getTime() + minute * MIN), HYST);
  t.is(st!.firingSince.getTime(), NOW.getTime());
});

test('hysteresis: resolves after two fresh good observations', (t) => {
  t.deepEqual(
    run([
      [0, true],
      [5, false],
      [6, false],
    ]),
    ['firing', 'clearing', 'resolved'],
  );
});

test('hysteresis: clock-only sweeps do not count as observations but the time limit still resolves', (t) => {
  t.deepEqual(
    run([
      [0, true],
      [1, false, false],
      [10, false, false],
      [29, false, false],
      [31, false, false],
    ]),
    ['firing', 'clearing', 'clearing', 'clearing', 'resolved'],
  );
});

test('hysteresis: after resolving, a new occurrence fires again with a new start', (t) => {
  let st = nextAlertState(null, true, NOW, HYST);
  st = nextAlertState(st, false, new Date(NOW.getTime() + MIN), HYST);
  st = nextAlertState(st, false, new Date(NOW.getTime() + 2 * MIN), HYST);
  t.is(st?.state, 'resolved');
  t.is(st?.resolvedAt?.getTime(), NOW.getTime() + 2 * MIN);
  const again = nextAlertState(st, true, new Date(NOW.getTime() + HOUR), HYST);
  t.is(again?.state, 'firing');
  t.is(again?.firingSince.getTime(), NOW.getTime() + HOUR);
  t.is(nextAlertState(st, false, new Date(NOW.getTime() + HOUR), HYST)?.state, 'resolved');
});

// ---- notifications, repeats, silences -------------------------------------------------------------------

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'alr_1',
    rule: 'detect_failures',
    subject: 'machine:m1',
    severity: 'warning',
    title: 't',
    summary: 's',
    evidence: { url: DEAD },
    fix: 'f',
    machines: [{ machineId: 'm1', hostname: 'M1' }],
    inhibitedBy: null,
    state: 'firing',
    firingSince: ago(10 * HOUR),
    clearSince: null,
    goodObservations: 0,
    resolvedAt: null,
    lastSeen: NOW,
    lastNotifiedAt: null,
    lastNotifiedState: null,
    ...over,
  };
}

const notifyTable: [string, Partial<Alert>, ReturnType<typeof shouldNotify>][] = [
  ['new firing alert', {}, 'firing'],
  ['notified 1 h ago', { lastNotifiedState: 'firing', lastNotifiedAt: ago(HOUR) }, null],
  ['notified 3 h 59 min ago', { lastNotifiedState: 'firing', lastNotifiedAt: ago(4 * HOUR - MIN) }, null],
  ['notified exactly 4 h ago', { lastNotifiedState: 'firing', lastNotifiedAt: ago(4 * HOUR) }, 'repeat'],
  ['notified 9 h ago', { lastNotifiedState: 'firing', lastNotifiedAt: ago(9 * HOUR) }, 'repeat'],
  ['clearing, was notified', { state: 'clearing', lastNotifiedState: 'firing', lastNotifiedAt: ago(9 * HOUR) }, null],
  [
    'resolved, firing was notified',
    { state: 'resolved', lastNotifiedState: 'firing', lastNotifiedAt: ago(HOUR) },
    'resolved',
  ],
  ['resolved, already said so', { state: 'resolved', lastNotifiedState: 'resolved', lastNotifiedAt: ago(HOUR) }, null],
  ['resolved, never notified', { state: 'resolved' }, null],
  ['re-fired after a resolved notification', { lastNotifiedState: 'resolved', lastNotifiedAt: ago(MIN) }, 'firing'],
  ['inhibited', { inhibitedBy: `wsus_unreachable/wsus:${DEAD}` }, null],
];
for (const [title, over, expected] of notifyTable) {
  test(`shouldNotify: ${title} → ${expected}`, (t) => {
    t.is(shouldNotify(alert(over), NOW), expected);
  });
}

const two = [
  { machineId: 'm1', hostname: 'M1' },
  { machineId: 'm2', hostname: 'M2' },
];
const grownTable: [string, Partial<Alert>, ReturnType<typeof shouldNotify>][] = [
  [
    'more machines, notified 5 min ago',
    { machines: two, lastNotifiedMachines: 1, lastNotifiedAt: ago(5 * MIN) },
    'grown',
  ],
  ['more machines, notified 4 min ago', { machines: two, lastNotifiedMachines: 1, lastNotifiedAt: ago(4 * MIN) }, null],
  ['as many machines as notified', { machines: two, lastNotifiedMachines: 2, lastNotifiedAt: ago(HOUR) }, null],
  ['fewer machines than notified', { lastNotifiedMachines: 2, lastNotifiedAt: ago(HOUR) }, null],
  ['count never notified (older row)', { machines: two, lastNotifiedMachines: null, lastNotifiedAt: ago(HOUR) }, null],
  [
    'more machines and the repeat is due',
    { machines: two, lastNotifiedMachines: 1, lastNotifiedAt: ago(5 * HOUR) },
    'repeat',
  ],
];
for (const [title, over, expected] of grownTable) {
  test(`shouldNotify: ${title} → ${expected}`, (t) => {
    t.is(shouldNotify(alert({ lastNotifiedState: 'firing', ...over }), NOW), expected);
  });
}

test('reconcileAlerts: a dead WSUS alert that comes to name more machines says so once per group interval', (t) => {
  const dead = (n: number) =>
    Array.from({ length: n }, (_, i) => machine(`m${i}`, { ...failing(5), ...deadProbe(HOUR) }));
  const wsus = (out: ReturnType<typeof reconcileAlerts>) =>
    out.notifications.filter((n) => n.alert.rule === 'wsus_unreachable').map((n) => [n.kind, n.alert.machines?.length]);
  const first = reconcileAlerts({
    alerts: [],
    conditions: evaluateAlertRules({ machines: dead(2), now: NOW }),
    now: NOW,
  });
  t.deepEqual(wsus(first), [['firing', 2]]);
  const soon = new Date(NOW.getTime() + 2 * MIN);
  const second = reconcileAlerts({
    alerts: first.alerts,
    conditions: evaluateAlertRules({ machines: dead(6), now: soon }),
    now: soon,
  });
  t.deepEqual(wsus(second), [], 'not within the group interval');
  const later = new Date(NOW.getTime() + 6 * MIN);
  const third = reconcileAlerts({
    alerts: second.alerts,
    conditions: evaluateAlertRules({ machines: dead(6), now: later }),
    now: later,
  });
  t.deepEqual(wsus(third), [['grown', 6]]);
  const quiet = new Date(NOW.getTime() + 20 * MIN);
  const fourth = reconcileAlerts({
    alerts: third.alerts,
    conditions: evaluateAlertRules({ machines: dead(6), now: quiet }),
    now: quiet,
  });
  t.deepEqual(wsus(fourth), [], 'told once');
});

test('shouldNotify: the repeat interval is configurable', (t) => {
  const a = alert({ lastNotifiedState: 'firing', lastNotifiedAt: ago(HOUR) });
  t.is(shouldNotify(a, NOW, 60), 'repeat');
  t.is(shouldNotify(a, NOW, 61), null);
});

const until = new Date(NOW.getTime() + HOUR);
const wsusAlert = alert({
  rule: 'wsus_unreachable',
  subject: `wsus:${DEAD}`,
  machines: [{ machineId: 'lap7', hostname: 'LAPTOP-7' }],
});
const silenceTable: [string, Alert, unknown, boolean][] = [
  ['by rule', alert(), { rule: 'detect_failures', until }, true],
  ['by another rule', alert(), { rule: 'detect_stale', until }, false],
  ['by machine', alert(), { machineId: 'm1', until }, true],
  ['by another machine', alert(), { machineId: 'm2', until }, false],
  ['expired', alert(), { machineId: 'm1', until: NOW }, false],
  ['not started yet', alert(), { machineId: 'm1', startsAt: until, until: new Date(until.getTime() + HOUR) }, false],
  ['by rule and machine, both match', alert(), { rule: 'detect_failures', machineId: 'm1', until }, true],
  ['by rule and machine, rule differs', alert(), { rule: 'agent_silent', machineId: 'm1', until }, false],
  ['WSUS alert by URL (other spelling)', wsusAlert, { wsusUrl: 'HTTP://wsus-old.corp.example:8530/', until }, true],
  ['machine alert by its WSUS URL', alert(), { wsusUrl: DEAD, until }, true],
  ['WSUS alert by another URL', wsusAlert, { wsusUrl: 'http://wsus02:8530', until }, false],
  ["orphan pointer by its only machine's id", wsusAlert, { machineId: 'lap7', until: until.toISOString() }, true],
  [
    'server alert with several machines is not muted by one machine',
    { ...wsusAlert, machines: [...wsusAlert.machines!, { machineId: 'x', hostname: 'X' }] },
    { machineId: 'lap7', until },
    false,
  ],
];
for (const [title, a, raw, expected] of silenceTable) {
  test(`matchesSilence: ${title} → ${expected}`, (t) => {
    const s = Silence.parse(raw);
    t.is(matchesSilence(a, s, NOW), expected);
    t.is(shouldNotify(a, NOW, 240, [s]), expected ? null : 'firing');
  });
}

test('Silence: a silence matching everything is refused', (t) => {
  t.false(Silence.safeParse({ until }).success);
});

// ---- reconciliation --------------------------------------------------------------------------------------

test('reconcileAlerts: fire once, repeat after 4 h, survive flapping, resolve once', (t) => {
  // The agent keeps reporting (lastSeen = now), so only detect_failures comes and goes.
  const conditionsAt = (present: boolean, at: Date) =>
    present ? evaluateAlertRules({ machines: [machine('m1', { ...failing(3), lastSeen: at })], now: at }) : [];
  const timeline: [number, boolean, string[]][] = [
    [0, true, ['firing']],
    [5, true, []],
    [10, false, []],
    [15, true, []],
    [20, false, []],
    [25, true, []],
    [240, true, ['repeat']],
    [300, true, []],
    [310, false, []],
    [311, false, ['resolved']],
    [320, false, []],
  ];
  let alerts: Alert[] = [];
  const ids = new Set<string>();
  for (const [minute, present, expected] of timeline) {
    const at = new Date(NOW.getTime() + minute * MIN);
    const out = reconcileAlerts({ alerts, conditions: conditionsAt(present, at), now: at });
    t.deepEqual(
      out.notifications.map((n) => n.kind),
      expected,
      `minute ${minute}`,
    );
    for (const n of out.notifications) {
      t.is(n.alert.subject, 'machine:m1');
      t.false(ids.has(n.id), 'notification ids are unique');
      ids.add(n.id);
    }
    // The caller keeps open alerts and resolved ones still owing a resolved notification.
    alerts = out.alerts.filter((a) => a.state !== 'resolved' || a.lastNotifiedState === 'firing');
  }
  t.deepEqual(alerts, []);
});

test('reconcileAlerts: inhibited machine alerts stay silent while the WSUS incident notifies once', (t) => {
  const machines = Array.from({ length: 10 }, (_, i) => machine(`m${i}`, { ...failing(5), ...deadProbe(HOUR) }));
  const conditions = evaluateAlertRules({ machines, now: NOW });
  const out = reconcileAlerts({ alerts: [], conditions, now: NOW });
  t.is(out.alerts.length, 11);
  t.deepEqual(
    out.notifications.map((n) => [n.kind, n.alert.rule]),
    [['firing', 'wsus_unreachable']],
  );
});

test('reconcileAlerts: a silence mutes firing; when it ends the firing is sent', (t) => {
  const conditions = evaluateAlertRules({ machines: [machine('m1', failing(3))], now: NOW });
  const silences = [Silence.parse({ machineId: 'm1', until })];
  const first = reconcileAlerts({ alerts: [], conditions, now: NOW, silences });
  t.deepEqual(first.notifications, []);
  const later = new Date(until.getTime() + MIN);
  const second = reconcileAlerts({ alerts: first.alerts, conditions, now: later, silences });
  t.deepEqual(
    second.notifications.map((n) => n.kind),
    ['firing'],
  );
  t.is(second.alerts[0]!.id, first.alerts[0]!.id, 'same episode, same id');
});
