// Table-driven tests of the status engine (pure: facts in, verdict out, no database).
import test from 'ava';
import { assessPolicy, type ProbeData } from '@wuwatch/core';
import { computeStatus } from '../src/status/rules.js';
import { wsusPolicy as gpoWsusPolicy } from './helpers/events.js';
import type {
  AssessmentFacts,
  MachineFacts,
  MachineStatus,
  StatusReason,
  StatusThresholds,
} from '../src/status/types.js';

const T: StatusThresholds = { silentAfterMinutes: 15, staleAfterIntervals: 3, defaultDetectionIntervalHours: 22 };
const NOW = new Date('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const WSUS = 'http://wsus01.corp.example:8530';

const wsusPolicy = (extra: Partial<AssessmentFacts> = {}): AssessmentFacts => ({
  source: 'wsus',
  wsusUrl: WSUS,
  detectionIntervalHours: 22,
  problems: [],
  ...extra,
});

const probe = (data: Partial<ProbeData>, at = ago(5 * MIN)): MachineFacts['lastProbe'] => ({
  at,
  data: {
    url: WSUS,
    class: 'ok',
    ok: true,
    httpStatus: 200,
    failedStep: null,
    hresult: null,
    message: null,
    steps: [],
    ...data,
  },
});

/** A healthy WSUS-managed machine; every case below changes only what it is about. */
function facts(patch: Partial<MachineFacts> = {}): MachineFacts {
  return {
    now: NOW,
    firstSeen: ago(30 * 24 * HOUR),
    lastSeen: ago(MIN),
    connected: true,
    lastGoodbyeAt: null,
    assessment: wsusPolicy(),
    lastProbe: probe({}),
    probeFailingSince: null,
    lastDetectionAt: ago(2 * HOUR),
    lastDetectionOutcome: 'succeeded',
    lastDetectionHresult: null,
    consecutiveDetectionFailures: 0,
    firstFailureAt: null,
    lastSuccessDetectionAt: ago(2 * HOUR),
    scans: {},
    servicesThatMatter: null,
    ...patch,
  };
}

const failing = (hresult: string, n = 3, since = ago(30 * HOUR)): Partial<MachineFacts> => ({
  lastDetectionAt: ago(HOUR),
  lastDetectionOutcome: 'failed',
  lastDetectionHresult: hresult,
  consecutiveDetectionFailures: n,
  firstFailureAt: since,
});

interface Case {
  name: string;
  facts: MachineFacts;
  status: MachineStatus;
  /** The reason that decides the status. */
  code: string;
  /** Subset the deciding reason's evidence must match. */
  evidence?: Partial<StatusReason['evidence']>;
  /** Text the deciding reason's message must contain. */
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'recent successful detection and a reachable server',
    facts: facts(),
    status: 'healthy',
    code: 'HEALTHY',
    evidence: { at: ago(2 * HOUR).toISOString(), url: WSUS },
  },
  {
    name: 'probe answered HTTP 503 (the dead server behind the address)',
    facts: facts({
      lastProbe: probe({ class: 'http_status', ok: false, httpStatus: 503, failedStep: 'http', hresult: '0x80244022' }),
      probeFailingSince: ago(3 * HOUR),
    }),
    status: 'wsus_unreachable',
    code: 'PROBE_UNREACHABLE',
    evidence: {
      url: WSUS,
      httpStatus: 503,
      probeClass: 'http_status',
      hresult: '0x80244022',
      hresultName: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
      hresultClass: 'unreachable',
      since: ago(3 * HOUR).toISOString(),
    },
    message: /answers HTTP 503.*failing since 2026-03-01T09:00:00.000Z/,
  },
  {
    name: 'probe connection refused',
    facts: facts({
      lastProbe: probe({ class: 'refused', ok: false, httpStatus: null, failedStep: 'tcp', message: 'ECONNREFUSED' }),
      probeFailingSince: ago(HOUR),
    }),
    status: 'wsus_unreachable',
    code: 'PROBE_UNREACHABLE',
    evidence: { url: WSUS, httpStatus: null, probeClass: 'refused', since: ago(HOUR).toISOString() },
    message: /cannot be reached \(refused: ECONNREFUSED\)/,
  },
  {
    name: 'probe timed out',
    facts: facts({
      lastProbe: probe({ class: 'timeout', ok: false, httpStatus: null, failedStep: 'tcp', hresult: '0x80072EE2' }),
      probeFailingSince: ago(HOUR),
    }),
    status: 'wsus_unreachable',
    code: 'PROBE_UNREACHABLE',
    evidence: { probeClass: 'timeout', hresult: '0x80072EE2', hresultName: 'ERROR_WINHTTP_TIMEOUT' },
  },
  {
    name: 'detection fails with an unreachable-class code on a WSUS-managed machine (probe not yet run)',
    facts: facts({ lastProbe: null, ...failing('0x80244022', 4, ago(30 * HOUR)) }),
    status: 'wsus_unreachable',
    code: 'DETECTION_FAILING',
    evidence: {
      hresult: '0x80244022',
      hresultName: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
      hresultClass: 'unreachable',
      count: 4,
      since: ago(30 * HOUR).toISOString(),
      url: WSUS,
    },
    message:
      /failed 4 times in a row since 2026-02-28T06:00:00.000Z with 0x80244022 \(WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL\)/,
  },
  {
    name: 'probe answered HTTP 404 (wrong port or missing virtual directory)',
    facts: facts({
      lastProbe: probe({ class: 'http_status', ok: false, httpStatus: 404, failedStep: 'http', hresult: '0x80244019' }),
      probeFailingSince: ago(HOUR),
    }),
    status: 'wsus_error',
    code: 'PROBE_SERVER_ERROR',
    evidence: {
      url: WSUS,
      httpStatus: 404,
      hresultName: 'WU_E_PT_HTTP_STATUS_NOT_FOUND',
      hresultClass: 'server_error',
    },
    message: /answers HTTP 404/,
  },
  {
    name: 'probe answered HTTP 500',
    facts: facts({
      lastProbe: probe({ class: 'http_status', ok: false, httpStatus: 500, failedStep: 'http', hresult: '0x8024401F' }),
      probeFailingSince: ago(HOUR),
    }),
    status: 'wsus_error',
    code: 'PROBE_SERVER_ERROR',
    evidence: { httpStatus: 500, hresultName: 'WU_E_PT_HTTP_STATUS_SERVER_ERROR' },
  },
  {
    name: 'detection fails with a server-error code on a WSUS-managed machine',
    facts: facts({ lastProbe: null, ...failing('0x8024401F', 2) }),
    status: 'wsus_error',
    code: 'DETECTION_FAILING',
    evidence: { hresultClass: 'server_error', count: 2 },
  },
  {
    name: 'unreachable-class failure on a machine that uses Microsoft Update is only detect_failing',
    facts: facts({
      assessment: { source: 'windows_update', wsusUrl: null, detectionIntervalHours: 22, problems: [] },
      lastProbe: null,
      ...failing('0x80072EFD', 1),
    }),
    status: 'detect_failing',
    code: 'DETECTION_FAILING',
    evidence: { hresult: '0x80072EFD', hresultName: 'ERROR_WINHTTP_CANNOT_CONNECT', count: 1, url: null },
    message: /failed 1 time in a row/,
  },
  {
    name: 'local-agent failure while the server answers',
    facts: facts(failing('0x80070005', 2)),
    status: 'detect_failing',
    code: 'DETECTION_FAILING',
    evidence: { hresult: '0x80070005', count: 2 },
  },
  {
    name: 'no successful detection for just over 3 × 22 h',
    facts: facts({ lastDetectionAt: ago(66 * HOUR + 1), lastSuccessDetectionAt: ago(66 * HOUR + 1) }),
    status: 'detect_stale',
    code: 'DETECTION_STALE',
    evidence: { since: ago(66 * HOUR + 1).toISOString(), url: WSUS },
    message: /more than 3 × 22 h/,
  },
  {
    name: 'exactly 3 × 22 h since the last success is not stale yet',
    facts: facts({ lastDetectionAt: ago(66 * HOUR), lastSuccessDetectionAt: ago(66 * HOUR) }),
    status: 'healthy',
    code: 'HEALTHY',
  },
  {
    name: 'a custom DetectionFrequency of 4 h makes 12 h 1 ms stale',
    facts: facts({
      assessment: wsusPolicy({ detectionIntervalHours: 4 }),
      lastDetectionAt: ago(12 * HOUR + 1),
      lastSuccessDetectionAt: ago(12 * HOUR + 1),
    }),
    status: 'detect_stale',
    code: 'DETECTION_STALE',
    message: /3 × 4 h/,
  },
  {
    name: 'the same 12 h 1 ms is fine with the default 22 h interval',
    facts: facts({ lastDetectionAt: ago(12 * HOUR + 1), lastSuccessDetectionAt: ago(12 * HOUR + 1) }),
    status: 'healthy',
    code: 'HEALTHY',
  },
  {
    name: 'never a successful detection on a machine known for 4 days',
    facts: facts({
      firstSeen: ago(96 * HOUR),
      lastDetectionAt: null,
      lastDetectionOutcome: null,
      lastSuccessDetectionAt: null,
    }),
    status: 'detect_stale',
    code: 'DETECTION_STALE',
    evidence: { since: null },
    message: /since the machine was first seen at/,
  },
  {
    name: 'an error-severity policy problem',
    facts: facts({
      assessment: {
        source: 'windows_update',
        wsusUrl: null,
        detectionIntervalHours: 22,
        problems: [
          {
            code: 'USE_WUSERVER_WITHOUT_WUSERVER',
            severity: 'error',
            message: 'UseWUServer is 1 but WUServer is empty',
          },
          { code: 'AU_DISABLED', severity: 'warning', message: 'NoAutoUpdate is 1' },
        ],
      },
    }),
    status: 'misconfigured',
    code: 'POLICY_USE_WUSERVER_WITHOUT_WUSERVER',
    evidence: { problem: 'USE_WUSERVER_WITHOUT_WUSERVER', url: null },
    message: /WUServer is empty/,
  },
  {
    name: 'vanished: not heard from for exactly 15 min',
    facts: facts({ lastSeen: ago(15 * MIN), connected: false }),
    status: 'silent',
    code: 'AGENT_SILENT',
    evidence: { since: ago(15 * MIN).toISOString() },
    message: /has not been heard from since 2026-03-01T11:45:00.000Z \(more than 15 min\)/,
  },
  {
    name: 'stopped on purpose: goodbye at the last contact',
    facts: facts({ lastSeen: ago(2 * HOUR), connected: false, lastGoodbyeAt: ago(2 * HOUR) }),
    status: 'silent',
    code: 'AGENT_STOPPED',
    message: /stopped on purpose at 2026-03-01T10:00:00.000Z/,
  },
  {
    name: 'a goodbye long before the last contact does not make a vanished agent graceful',
    facts: facts({ lastSeen: ago(2 * HOUR), connected: false, lastGoodbyeAt: ago(5 * HOUR) }),
    status: 'silent',
    code: 'AGENT_SILENT',
  },
  {
    name: 'no detection and no probe yet on a new machine',
    facts: facts({
      firstSeen: ago(5 * MIN),
      lastProbe: null,
      lastDetectionAt: null,
      lastDetectionOutcome: null,
      lastSuccessDetectionAt: null,
    }),
    status: 'unknown',
    code: 'NO_DATA',
  },
  {
    name: 'a new machine whose probe succeeded is healthy before its first detection',
    facts: facts({
      firstSeen: ago(5 * MIN),
      lastDetectionAt: null,
      lastDetectionOutcome: null,
      lastSuccessDetectionAt: null,
    }),
    status: 'healthy',
    code: 'HEALTHY',
    message: /answers from this machine/,
  },
];

for (const c of cases) {
  test(`status: ${c.name} → ${c.status}`, (t) => {
    const v = computeStatus(c.facts, T);
    t.is(v.status, c.status);
    const deciding = v.reasons[0]!;
    t.is(deciding.code, c.code);
    t.is(deciding.status, c.status);
    if (c.evidence) t.like(deciding.evidence, c.evidence);
    if (c.message) t.regex(deciding.message, c.message);
  });
}

test('precedence: silent > misconfigured > wsus_unreachable > wsus_error > detect_failing > detect_stale, all reasons kept', (t) => {
  const everything = facts({
    lastSeen: ago(20 * MIN),
    connected: false,
    assessment: wsusPolicy({
      problems: [{ code: 'INVALID_WSUS_URL', severity: 'error', message: 'WUServer is not a usable URL' }],
    }),
    lastProbe: probe({ class: 'refused', ok: false, httpStatus: null }),
    probeFailingSince: ago(70 * HOUR),
    ...failing('0x8024401F', 5),
    lastSuccessDetectionAt: ago(100 * HOUR),
  });
  const order = (f: MachineFacts) => computeStatus(f, T).reasons.map((r) => r.status);
  t.deepEqual(order(everything), ['silent', 'misconfigured', 'wsus_unreachable', 'wsus_error', 'detect_stale']);
  t.is(computeStatus(everything, T).status, 'silent');

  // Peel one layer at a time: each next status wins once the stronger one is gone.
  const notSilent = { ...everything, lastSeen: ago(MIN), connected: true };
  t.is(computeStatus(notSilent, T).status, 'misconfigured');
  const fixedPolicy = { ...notSilent, assessment: wsusPolicy() };
  t.is(computeStatus(fixedPolicy, T).status, 'wsus_unreachable');
  const probeOk = { ...fixedPolicy, lastProbe: probe({}) };
  t.is(computeStatus(probeOk, T).status, 'wsus_error');
  const localFailure = { ...probeOk, lastDetectionHresult: '0x80070005' };
  t.is(computeStatus(localFailure, T).status, 'detect_failing');
  t.deepEqual(order(localFailure), ['detect_failing', 'detect_stale']);
  const noFailure = { ...localFailure, lastDetectionOutcome: 'succeeded' as const, consecutiveDetectionFailures: 0 };
  t.is(computeStatus(noFailure, T).status, 'detect_stale');
});

test('healthy is only reported when nothing is wrong', (t) => {
  const v = computeStatus(facts({ ...failing('0x80244022', 1) }), T);
  t.false(v.reasons.some((r) => r.code === 'HEALTHY'));
});

test('an uncatalogued code is reported as it is, with class unknown', (t) => {
  const v = computeStatus(facts(failing('0x8DEAD001', 1)), T);
  t.is(v.status, 'detect_failing');
  t.like(v.reasons[0]!.evidence, { hresult: '0x8DEAD001', hresultName: 'UNKNOWN', hresultClass: 'unknown' });
});

test('thresholds are configuration: silentAfterMinutes and staleAfterIntervals change the verdict', (t) => {
  const quiet = facts({ lastSeen: ago(10 * MIN) });
  t.is(computeStatus(quiet, T).status, 'healthy');
  t.is(computeStatus(quiet, { ...T, silentAfterMinutes: 5 }).status, 'silent');
  const old = facts({ lastSuccessDetectionAt: ago(30 * HOUR), lastDetectionAt: ago(30 * HOUR) });
  t.is(computeStatus(old, T).status, 'healthy');
  t.is(computeStatus(old, { ...T, staleAfterIntervals: 1 }).status, 'detect_stale');
  const noPolicy = facts({ assessment: null, lastSuccessDetectionAt: ago(13 * HOUR), lastDetectionAt: ago(13 * HOUR) });
  t.is(computeStatus(noPolicy, { ...T, defaultDetectionIntervalHours: 4 }).status, 'detect_stale');
});

test('DetectionFrequency from a real GPO (enabled, 6 h) sets the stale limit to 18 h', (t) => {
  const assessment = assessPolicy(
    gpoWsusPolicy(WSUS, { DetectionFrequencyEnabled: 1, DetectionFrequency: 6 }),
  ) as unknown as AssessmentFacts;
  t.is(assessment.detectionIntervalHours, 6);
  const at = (h: number) => facts({ assessment, lastDetectionAt: ago(h), lastSuccessDetectionAt: ago(h) });
  t.is(computeStatus(at(18 * HOUR), T).status, 'healthy');
  const stale = computeStatus(at(18 * HOUR + 1000), T);
  t.is(stale.status, 'detect_stale');
  t.regex(stale.reasons[0]!.message, /3 × 6 h/);
  // Disabled frequency falls back to Windows' 22 h.
  const disabled = assessPolicy(gpoWsusPolicy(WSUS, { DetectionFrequencyEnabled: 0, DetectionFrequency: 6 }));
  t.is(
    computeStatus(facts({ ...at(18 * HOUR + 1000), assessment: disabled as unknown as AssessmentFacts }), T).status,
    'healthy',
  );
});
