// Folding events into a machine's projection (pure): detection counting, probes, policy, wua, goodbye.
import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import {
  applyEvents,
  emptyProjection,
  SAME_ATTEMPT_WINDOW_MS,
  type MachineProjection,
} from '../src/machines/projection.js';
import { coreAssessor } from '../src/server.js';
import { detectionEvent, policyEvent, probe503, probeEvent, wsusPolicy, wuaEvent } from './helpers/events.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (ms: number) => new Date(T0 + ms);
const apply = (events: WireEvent[], from: MachineProjection = emptyProjection()) =>
  applyEvents(from, events, coreAssessor);
const URL1 = 'http://wsus01.corp.example:8530';

test('consecutive failures count up, keep the first failure time and the latest code', (t) => {
  const p = apply([
    detectionEvent(1, at(0), 'failed', { hresult: '0x80244022' }),
    detectionEvent(2, at(HOUR), 'failed', { hresult: '0x80244022' }),
    detectionEvent(3, at(2 * HOUR), 'failed', { hresult: '0x80072EE2' }),
  ]);
  t.like(p, {
    lastDetectionOutcome: 'failed',
    consecutiveDetectionFailures: 3,
    lastDetectionHresult: '0x80072EE2',
    firstFailureAt: at(0),
    lastDetectionAt: at(2 * HOUR),
    lastSuccessDetectionAt: null,
  });
});

test('a success resets the failure streak; the next failure starts a new one', (t) => {
  const p = apply([
    detectionEvent(1, at(0), 'failed'),
    detectionEvent(2, at(HOUR), 'failed'),
    detectionEvent(3, at(2 * HOUR), 'succeeded'),
  ]);
  t.like(p, {
    consecutiveDetectionFailures: 0,
    firstFailureAt: null,
    lastDetectionHresult: null,
    lastSuccessDetectionAt: at(2 * HOUR),
  });
  const q = apply([detectionEvent(4, at(3 * HOUR), 'failed', { hresult: '0x8024401F' })], p);
  t.like(q, { consecutiveDetectionFailures: 1, firstFailureAt: at(3 * HOUR), lastSuccessDetectionAt: at(2 * HOUR) });
});

test('a cancelled scan neither breaks nor extends a failure streak, and is no success for staleness', (t) => {
  const p = apply([
    detectionEvent(1, at(0), 'failed', { hresult: '0x80244022' }),
    detectionEvent(2, at(HOUR), 'cancelled', { hresult: '0x8024000B' }),
    detectionEvent(3, at(2 * HOUR), 'failed', { hresult: '0x80244022' }),
    detectionEvent(4, at(3 * HOUR), 'cancelled', { hresult: '0x8024000B' }),
  ]);
  t.like(p, { consecutiveDetectionFailures: 2, firstFailureAt: at(0), lastSuccessDetectionAt: null });
});

test('one attempt seen by the log and by event 20/25 is counted once within the window', (t) => {
  const p = apply([
    detectionEvent(1, at(0), 'failed', { source: 'log' }),
    detectionEvent(2, at(40_000), 'failed', { source: 'event' }),
    detectionEvent(3, at(5 * HOUR), 'failed', { source: 'event' }),
    detectionEvent(4, at(5 * HOUR + 2 * MIN), 'failed', { source: 'log' }),
  ]);
  t.is(p.consecutiveDetectionFailures, 2);
  t.is(p.lastDetectionSource, 'event');
  t.deepEqual(p.lastDetectionAt, at(5 * HOUR));
});

test('the same source twice, or two sightings outside the window, are two attempts', (t) => {
  const sameSource = apply([
    detectionEvent(1, at(0), 'failed', { source: 'log' }),
    detectionEvent(2, at(MIN), 'failed', { source: 'log' }),
  ]);
  t.is(sameSource.consecutiveDetectionFailures, 2);
  const outside = apply([
    detectionEvent(1, at(0), 'failed', { source: 'log' }),
    detectionEvent(2, at(SAME_ATTEMPT_WINDOW_MS + 1), 'failed', { source: 'event' }),
  ]);
  t.is(outside.consecutiveDetectionFailures, 2);
});

test('unfinished cycles change nothing', (t) => {
  const before = apply([detectionEvent(1, at(0), 'failed')]);
  t.deepEqual(apply([detectionEvent(2, at(HOUR), 'unfinished')], before), before);
});

test('out of order: an older failure does not overwrite a newer success; an older success still counts as a success', (t) => {
  const p = apply([detectionEvent(5, at(3 * HOUR), 'succeeded'), detectionEvent(6, at(HOUR), 'failed')]);
  t.like(p, { lastDetectionOutcome: 'succeeded', consecutiveDetectionFailures: 0, lastDetectionAt: at(3 * HOUR) });
  const q = apply([detectionEvent(1, at(5 * HOUR), 'failed'), detectionEvent(2, at(2 * HOUR), 'succeeded')]);
  t.like(q, { lastDetectionOutcome: 'failed', consecutiveDetectionFailures: 1, lastSuccessDetectionAt: at(2 * HOUR) });
  const r = apply([detectionEvent(3, at(HOUR), 'succeeded')], q);
  t.deepEqual(r.lastSuccessDetectionAt, at(2 * HOUR), 'an even older success does not move lastSuccess back');
});

test('probes: failing-since is the first failure, kept while failing, cleared by an ok probe; older probes are ignored', (t) => {
  const p = apply([probe503(1, at(0), URL1), probe503(2, at(HOUR), URL1)]);
  t.like(p, { lastProbeOk: false, probeFailingSince: at(0), lastProbeAt: at(HOUR) });
  t.is(p.lastProbe?.httpStatus, 503);
  const stale = apply([probeEvent(3, at(MIN), URL1)], p);
  t.deepEqual(stale, p, 'a probe older than the last one changes nothing');
  const ok = apply([probeEvent(4, at(2 * HOUR), URL1)], p);
  t.like(ok, { lastProbeOk: true, probeFailingSince: null, lastProbeAt: at(2 * HOUR) });
  const again = apply([probeEvent(5, at(3 * HOUR), URL1, { class: 'refused', httpStatus: null })], ok);
  t.like(again, { lastProbeOk: false, probeFailingSince: at(3 * HOUR) });
});

test('policy: assessed and its WSUS URL normalised for grouping', (t) => {
  const p = apply([policyEvent(1, at(0), wsusPolicy('HTTP://WSUS01.Corp.Example:8530/ClientWebService/'))]);
  t.is(p.wsusUrl, 'http://wsus01.corp.example:8530');
  t.is(p.assessment?.source, 'wsus');
  t.truthy(p.policy);
  const mu = apply(
    [policyEvent(2, at(HOUR), { ...wsusPolicy(URL1), au: { ...wsusPolicy(URL1).au, UseWUServer: 0 } })],
    p,
  );
  t.is(mu.wsusUrl, null, 'UseWUServer=0 means Microsoft Update: no WSUS URL');
  t.is(mu.assessment?.source, 'windows_update');
});

test('wua: lastSearchSuccessDate raises the last successful detection, never lowers it', (t) => {
  const p = apply([wuaEvent(1, at(0), '2026-02-27T03:00:00Z')]);
  t.deepEqual(p.lastSuccessDetectionAt, new Date('2026-02-27T03:00:00Z'));
  t.like(p.lastWua, { lastSearchSuccessDate: '2026-02-27T03:00:00Z' });
  const q = apply([detectionEvent(2, at(HOUR), 'succeeded'), wuaEvent(3, at(2 * HOUR), '2026-02-20T00:00:00Z')], p);
  t.deepEqual(q.lastSuccessDetectionAt, at(HOUR));
  const r = apply([wuaEvent(4, at(3 * HOUR), null)], q);
  t.deepEqual(r.lastSuccessDetectionAt, at(HOUR));
});

test('goodbye: agent_stopping records the graceful stop, agent_started clears it', (t) => {
  const p = apply([{ seq: 1, time: at(0).toISOString(), kind: 'agent_stopping', data: { reason: 'service stop' } }]);
  t.deepEqual(p.lastGoodbyeAt, at(0));
  const q = apply([{ seq: 2, time: at(HOUR).toISOString(), kind: 'agent_started', data: {} }], p);
  t.is(q.lastGoodbyeAt, null);
});

test('events with invalid data for their kind are skipped, not thrown', (t) => {
  const p = apply([
    { seq: 1, time: at(0).toISOString(), kind: 'detection', data: { outcome: 'maybe' } },
    { seq: 2, time: at(0).toISOString(), kind: 'probe', data: { url: 5 } },
  ]);
  t.deepEqual(p, emptyProjection());
});

test('applying events never mutates the input projection', (t) => {
  const before = apply([detectionEvent(1, at(0), 'failed')]);
  const copy = structuredClone(before);
  apply([detectionEvent(2, at(HOUR), 'succeeded'), probe503(3, at(HOUR), URL1)], before);
  t.deepEqual(before, copy);
});
