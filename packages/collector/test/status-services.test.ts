// Which detections count (status/services.ts, pure): an agent upgraded to name its update services must not lose the
// failing streak its unnamed detections built, or a detect_failures alert would resolve and fire again.
import test from 'ava';
import type { DetectionData } from '@wuwatch/core';
import { applyDetection, MAX_SERVICES } from '../src/machines/detections.js';
import { countedDetection } from '../src/status/services.js';
import type { ScansByService, ServiceScans } from '../src/status/types.js';

const WSUS = '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7';
const T0 = Date.UTC(2026, 11, 1, 8);
const HOUR = 3_600_000;
const iso = (h: number) => new Date(T0 + h * HOUR).toISOString();

function detection(outcome: 'succeeded' | 'failed', serviceId: string): DetectionData {
  return {
    source: 'event',
    attemptKey: null,
    outcome,
    hresult: outcome === 'failed' ? '0x80244022' : null,
    caller: null,
    managed: null,
    serverUrl: null,
    updatesFound: null,
    line: null,
    recordId: 1,
    serviceId,
  };
}

function scans(over: Partial<ServiceScans>): ServiceScans {
  return {
    name: null,
    lastAt: null,
    outcome: null,
    hresult: null,
    source: 'log',
    failures: 0,
    firstFailureAt: null,
    lastSuccessAt: null,
    ...over,
  };
}

// Before the upgrade: 5 WSUS scans failed in a row, unnamed (the agent did not say the service), success at 0 h.
const unnamedFailing = scans({
  lastAt: iso(40),
  outcome: 'failed',
  hresult: '0x80244022',
  failures: 5,
  firstFailureAt: iso(8),
  lastSuccessAt: iso(0),
});

test('an upgraded agent whose first named WSUS scan fails keeps the streak (not 1 failure since now)', (t) => {
  const s: ScansByService = {
    '': unnamedFailing,
    [WSUS]: scans({ lastAt: iso(48), outcome: 'failed', hresult: '0x80244022', failures: 1, firstFailureAt: iso(48) }),
  };
  const d = countedDetection(s, [WSUS]);
  t.true(d.consecutiveDetectionFailures >= 5, `still failing 5+ times in a row, got ${d.consecutiveDetectionFailures}`);
  t.deepEqual(d.firstFailureAt, new Date(iso(8)), 'failing since the first unnamed failure');
  t.deepEqual(d.lastSuccessDetectionAt, new Date(iso(0)));
});

test('a named success of a service that counts ends the unnamed streak', (t) => {
  const s: ScansByService = {
    '': unnamedFailing,
    [WSUS]: scans({ lastAt: iso(48), outcome: 'succeeded', lastSuccessAt: iso(48) }),
  };
  const d = countedDetection(s, [WSUS]);
  t.is(d.consecutiveDetectionFailures, 0);
  t.is(d.lastDetectionOutcome, 'succeeded');
  t.deepEqual(d.lastSuccessDetectionAt, new Date(iso(48)));
});

test('a named failure that does not count (a Store scan) neither ends nor extends the unnamed streak', (t) => {
  const STORE = '855E8A7C-ECB4-4CA3-B045-1DFA50104289';
  const s: ScansByService = {
    '': unnamedFailing,
    [STORE]: scans({ lastAt: iso(48), outcome: 'succeeded', lastSuccessAt: iso(48) }),
  };
  const d = countedDetection(s, [WSUS]);
  t.is(d.consecutiveDetectionFailures, 5);
  t.deepEqual(d.lastSuccessDetectionAt, new Date(iso(0)), 'a Store success is no success for this machine');
});

test('a machine keeps a bounded number of update services, however many service IDs its agent sends', (t) => {
  // Service IDs are agent-supplied: each new one is a key of the detection_scans jsonb the collector rewrites with
  // every batch, so a buggy or hostile agent naming a new GUID per scan must not grow it without end.
  let s: ScansByService = {};
  s = applyDetection(s, new Date(T0), detection('failed', WSUS));
  for (let i = 1; i <= 500; i++) {
    const id = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`.toUpperCase();
    s = applyDetection(s, new Date(T0 + i * 60_000), { ...detection('succeeded', id), serviceName: `x${i}` });
  }
  t.true(Object.keys(s).length <= MAX_SERVICES, `${Object.keys(s).length} services kept`);
  t.truthy(s[WSUS], 'the catalogue service (WSUS, failing) is kept');
  t.is(s[WSUS]!.failures, 1);
  t.truthy(s['000001F4-0000-4000-8000-000000000000'], 'the newest unknown service is kept');
});
