import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DetectionData, parseLog, type Finding } from '@wuwatch/core';
import { localToUtc, logFindingToEvent } from '../src/runtime/to-events.js';

// The straightforward version localToUtc must keep agreeing with (it was the implementation until it showed up
// in catch-up profiles): a regex, Date.UTC and toISOString.
function reference(local: string | null, offsetMinutes: number): string | null {
  if (!local) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(local);
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, '0') : 0);
  if (Number.isNaN(ms)) return null;
  return new Date(ms - offsetMinutes * 60_000).toISOString();
}

const outcome = (f: () => string | null): string | null => {
  try {
    return f();
  } catch (err) {
    return `throws ${(err as Error).name}`;
  }
};

const digit = fc.constantFrom(...'0123456789');
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((a) => a.join(''));
const wellFormed = fc
  .tuple(
    digits(4),
    digits(2),
    digits(2),
    digits(2),
    digits(2),
    digits(2),
    fc.option(fc.array(digit, { maxLength: 5 }).map((a) => a.join(''))),
    fc.string({ maxLength: 3 }),
  )
  .map(
    ([y, mo, d, h, mi, s, frac, tail]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac === null ? '' : `.${frac}`}${tail}`,
  );
const damaged = fc
  .tuple(wellFormed, fc.nat(), fc.constantFrom('-', 'T', ':', '.', ' ', 'x', '٣', ''))
  .map(([s, at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice((at % (s.length + 1)) + 1));
const realistic = fc
  .date({ min: new Date(Date.UTC(1601, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 23));

test('localToUtc gives what the regex + toISOString version gave, for any input and offset', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.oneof(realistic, wellFormed, damaged, fc.constantFrom(null, '', '2026-01-01')),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (local, offset) => outcome(() => localToUtc(local, offset)) === outcome(() => reference(local, offset)),
      ),
      { numRuns: 20_000 },
    ),
  );
});

test('localToUtc: offsets move the time across day and year boundaries; fractions are milliseconds', (t) => {
  t.is(localToUtc('2026-01-01T00:30:00.5', 60), '2025-12-31T23:30:00.500Z');
  t.is(localToUtc('2025-12-31T23:30:00.12', -60), '2026-01-01T00:30:00.120Z');
  t.is(localToUtc('2026-05-01T10:00:00', 330), '2026-05-01T04:30:00.000Z');
  t.is(localToUtc('2026-05-01 10:00:00', 0), null);
});

test('logFindingToEvent: times in UTC, `now` for findings without one, data without kind and time', (t) => {
  const now = new Date('2026-02-03T04:05:06.007Z');
  const detection: Finding = {
    kind: 'detection',
    line: 12,
    start: '2026-01-01T10:00:00.000',
    end: '2026-01-01T10:01:00.000',
    caller: 'AutomaticUpdates',
    managed: true,
    serverUrl: 'http://wsus:8530',
    outcome: 'failed',
    hresult: '0x80244022',
    updatesFound: null,
    serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
    serviceName: 'WSUS or Configuration Manager',
  };
  t.deepEqual(logFindingToEvent(detection, 60, now), {
    time: '2026-01-01T09:01:00.000Z',
    kind: 'detection',
    data: {
      source: 'log',
      attemptKey: '2026-01-01T09:00:00.000Z',
      outcome: 'failed',
      hresult: '0x80244022',
      caller: 'AutomaticUpdates',
      managed: true,
      serverUrl: 'http://wsus:8530',
      updatesFound: null,
      line: 12,
      recordId: null,
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
      serviceName: 'WSUS or Configuration Manager',
    },
  });
  const network: Finding = {
    kind: 'network_error',
    line: 3,
    time: null,
    hresult: '0x80244022',
    url: 'http://wsus:8530/x',
    httpStatus: 503,
  };
  t.deepEqual(logFindingToEvent(network, 0, now), {
    time: '2026-02-03T04:05:06.007Z',
    kind: 'network_error',
    data: { line: 3, hresult: '0x80244022', url: 'http://wsus:8530/x', httpStatus: 503 },
  });
});

test('logFindingToEvent: a detection names the update service it ran against, and the event is valid on the wire', (t) => {
  // A real modern-log flighting scan (packages/core/test/fixtures/wild/README.md names its source).
  const text = readFileSync(
    fileURLToPath(new URL('../../core/test/fixtures/wild/packer-135-flighting-scan.log', import.meta.url)),
    'latin1',
  );
  const detections = parseLog(text).findings.filter((f) => f.kind === 'detection');
  t.true(detections.length > 0);
  for (const f of detections) {
    const e = logFindingToEvent(f, 0, new Date(0));
    const data = DetectionData.parse(e.data);
    t.is(data.serviceId, f.serviceId);
    t.is(data.serviceName, f.serviceName);
  }
  t.true(detections.some((f) => f.serviceId === '8B24B027-1DEE-BABB-9A95-3517DFB9C552'));
});
