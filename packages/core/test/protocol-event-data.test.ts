import test from 'ava';
import fc from 'fast-check';
import { DetectionData, EventKind, InstallData, LIMITS, WireEvent } from '../src/protocol/schemas.js';
import { checkEventData, isWireEventShape } from '../src/protocol/event-data.js';

// The fast paths must never accept what the schemas refuse (they may defer what the schemas accept).
const EventInput = WireEvent.omit({ seq: true });

const nearText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constant('x'.repeat(LIMITS.maxTextField)),
  fc.constant('x'.repeat(LIMITS.maxTextField + 1)),
);
const nearInt = fc.oneof(
  fc.integer(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -0, 0.5, NaN, Infinity, -Infinity),
);
const anyScalar = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  nearInt,
  nearText,
  fc.constantFrom('0x80244022', '0x8024402f', '0X80244022', '0x8024402', 'log', 'event', 'failed', 'succeeded'),
);
// Mostly valid values with a near miss now and then, so most records differ from a valid one in one field.
const mostly = <T>(valid: fc.Arbitrary<T>, miss: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: miss, weight: 1 });
const validText = fc.oneof(fc.string({ maxLength: 40 }), fc.constant('x'.repeat(LIMITS.maxTextField)));
const validInt = fc.oneof(fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -0));
const detectionLike = fc.record(
  {
    source: mostly(fc.constantFrom('log', 'event'), fc.oneof(fc.constantFrom('LOG', ''), anyScalar)),
    attemptKey: mostly(fc.option(validText), anyScalar),
    outcome: mostly(
      fc.constantFrom('succeeded', 'failed', 'cancelled', 'unfinished'),
      fc.oneof(fc.constant('Failed'), anyScalar),
    ),
    hresult: mostly(
      fc.option(fc.constantFrom('0x80244022', '0x8024402F', '0x00000000')),
      fc.oneof(fc.constantFrom('0x8024402f', '0x0', ' 0x80244022', '0x80244022\n'), anyScalar),
    ),
    caller: mostly(fc.option(validText), anyScalar),
    managed: mostly(fc.option(fc.boolean()), anyScalar),
    serverUrl: mostly(fc.option(validText), anyScalar),
    updatesFound: mostly(fc.option(validInt), anyScalar),
    line: mostly(fc.option(validInt), anyScalar),
    recordId: mostly(fc.option(validInt), anyScalar),
    serviceId: mostly(fc.option(validText), anyScalar),
    serviceName: mostly(fc.option(validText), anyScalar),
    extra: anyScalar,
  },
  {
    requiredKeys: [
      'source',
      'attemptKey',
      'outcome',
      'hresult',
      'caller',
      'managed',
      'serverUrl',
      'updatesFound',
      'line',
      'recordId',
    ],
  },
);
// Install data of agents before and after issue 15 (kb, updateId, serviceId optional), with near misses.
const installLike = fc.record(
  {
    outcome: mostly(
      fc.constantFrom('succeeded', 'failed', 'cancelled'),
      fc.oneof(fc.constant('unfinished'), anyScalar),
    ),
    hresult: mostly(fc.option(fc.constantFrom('0x80070643', '0x8024000B')), anyScalar),
    title: mostly(fc.option(validText), anyScalar),
    kb: mostly(fc.option(validText), anyScalar),
    updateId: mostly(fc.option(validText), anyScalar),
    serviceId: mostly(fc.option(validText), anyScalar),
    line: mostly(fc.option(validInt), anyScalar),
    recordId: mostly(fc.option(validInt), anyScalar),
    channel: anyScalar,
  },
  { requiredKeys: ['outcome', 'hresult', 'title'] },
);
const dataLike = fc.oneof(
  { arbitrary: detectionLike, weight: 4 },
  { arbitrary: installLike, weight: 2 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), anyScalar), weight: 2 },
  {
    arbitrary: fc.constantFrom<unknown>(null, [], [1], 'text', 3, Object.create(null), new Date(0), { constructor: 1 }),
    weight: 1,
  },
  { arbitrary: fc.constant({ [Symbol('s')]: 1 }), weight: 1 },
);
const timeLike = fc.oneof(
  {
    arbitrary: fc
      .date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
      .map((d) => d.toISOString()),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom(
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-05-01T10:00:00+05:30',
      '2024-05-01T24:00:00Z',
      '2024-05-01T10:00:00',
      '2024-05-01 10:00:00Z',
      '+010000-01-01T00:00:00.000Z',
    ),
    weight: 2,
  },
  { arbitrary: anyScalar, weight: 1 },
);
const kindLike = mostly(
  fc.constantFrom(...EventKind.options),
  fc.oneof(fc.constantFrom('Detection', 'other', ''), anyScalar),
);

test('isWireEventShape accepts only events the WireEvent schema accepts', (t) => {
  let fast = 0;
  t.notThrows(() =>
    fc.assert(
      fc.property(timeLike, kindLike, dataLike, (time, kind, data) => {
        const event = { time, kind, data };
        if (!isWireEventShape(event)) return true;
        fast++;
        return EventInput.safeParse(event).success;
      }),
      { numRuns: 3000 },
    ),
  );
  t.true(fast > 300, `the fast path took ${fast} of 3000 events`);
});

const RECORD_KINDS = ['settings', 'network_error', 'install', 'agent_started', 'agent_stopping'] as const;

test('checkEventData agrees with the per-kind schemas', (t) => {
  let valid = 0;
  const kinds = fc.oneof(
    { arbitrary: fc.constant('detection' as const), weight: 3 },
    { arbitrary: fc.constantFrom(...RECORD_KINDS), weight: 1 },
  );
  t.notThrows(() =>
    fc.assert(
      fc.property(kinds, dataLike, (kind, data) => {
        let verdict: string | null;
        try {
          verdict = checkEventData(kind, data);
        } catch {
          return true; // data JSON cannot represent (undefined at the top): not what this property is about
        }
        if (verdict === null) valid++;
        const schema = kind === 'detection' ? DetectionData : kind === 'install' ? InstallData : WireEvent.shape.data;
        return (verdict === null) === schema.safeParse(data).success;
      }),
      { numRuns: 3000 },
    ),
  );
  t.true(valid > 300, `${valid} of 3000 data were valid`);
});

test('events of agents before issue 15 still validate; the new fields and the cancelled outcome are accepted', (t) => {
  const oldDetection = {
    source: 'log',
    attemptKey: '2024-03-05T08:01:12.554Z',
    outcome: 'failed',
    hresult: '0x8024401C',
    caller: 'UpdateOrchestrator',
    managed: true,
    serverUrl: null,
    updatesFound: null,
    line: 9,
    recordId: null,
  };
  t.is(checkEventData('detection', oldDetection), null);
  t.is(checkEventData('detection', { ...oldDetection, outcome: 'cancelled', hresult: '0x8024000B' }), null);
  t.is(
    checkEventData('detection', {
      ...oldDetection,
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
      serviceName: 'WSUS / Configuration Manager',
    }),
    null,
  );
  t.regex(checkEventData('detection', { ...oldDetection, serviceId: 42 }) ?? '', /^serviceId: /);
  const oldInstallLog = { line: 66, outcome: 'failed', hresult: '0x80070643', title: 'Update (KB2267602)' };
  const oldInstallEvent = {
    recordId: 88240,
    channel: 'System',
    eventId: 20,
    outcome: 'failed',
    hresult: '0x80073701',
    title: null,
  };
  t.is(checkEventData('install', oldInstallLog), null);
  t.is(checkEventData('install', oldInstallEvent), null);
  t.is(
    checkEventData('install', {
      ...oldInstallLog,
      kb: 'KB2267602',
      updateId: null,
      serviceId: null,
      outcome: 'cancelled',
    }),
    null,
  );
  t.regex(checkEventData('install', { ...oldInstallLog, outcome: 'unfinished' }) ?? '', /^outcome: /);
  t.regex(checkEventData('install', { ...oldInstallLog, hresult: '0x80070643 ' }) ?? '', /^hresult: /);
  t.is(checkEventData('policy', { policy: {} }), null);
  t.is(checkEventData('policy', { policy: {}, mdm: { present: true } }), null);
});

test('checkEventData counts bytes only when the JSON could be over the limit, and reports the size', (t) => {
  const small = { note: 'é'.repeat(100) };
  t.is(checkEventData('settings', small), null);
  t.is(checkEventData('settings', small, JSON.stringify(small)), null);
  const big = { note: '✓'.repeat(LIMITS.maxEventDataBytes / 3) };
  t.regex(checkEventData('settings', big) ?? '', /^data is \d+ bytes \(limit 65536\)$/);
  t.regex(checkEventData('detection', { source: 'log' }) ?? '', /^attemptKey: /);
});
