// Which detections count (status/services.ts, pure): an agent upgraded to name its update services must not lose the
// failing streak its unnamed detections built, or a detect_failures alert would resolve and fire again.
import test from 'ava';
import { countedDetection } from '../src/status/services.js';
import type { ScansByService, ServiceScans } from '../src/status/types.js';

const WSUS = '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7';
const T0 = Date.UTC(2026, 11, 1, 8);
const HOUR = 3_600_000;
const iso = (h: number) => new Date(T0 + h * HOUR).toISOString();

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
