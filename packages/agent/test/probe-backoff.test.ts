import test from 'ava';
import fc from 'fast-check';
import { nextProbeDelay, ProbeBackoff } from '../src/probe/index.js';

test('the ceiling doubles per failure up to maxMs; random scales it (full jitter)', (t) => {
  const top = () => 0.999999;
  t.is(nextProbeDelay(0, 1000, 60_000, top), 999);
  t.is(nextProbeDelay(1, 1000, 60_000, top), 1999);
  t.is(nextProbeDelay(3, 1000, 60_000, top), 7999);
  t.is(nextProbeDelay(10, 1000, 60_000, top), 59_999);
  t.is(
    nextProbeDelay(3, 1000, 60_000, () => 0.5),
    4000,
  );
  t.is(
    nextProbeDelay(3, 1000, 60_000, () => 0),
    0,
  );
});

test('huge, negative or fractional failure counts stay finite and bounded', (t) => {
  t.is(
    nextProbeDelay(100_000, 1000, 60_000, () => 0.5),
    30_000,
  );
  t.is(
    nextProbeDelay(Number.POSITIVE_INFINITY, 1000, 60_000, () => 0.5),
    500,
  );
  t.is(
    nextProbeDelay(-3, 1000, 60_000, () => 0.5),
    500,
  );
  t.is(
    nextProbeDelay(2.7, 1000, 60_000, () => 0.5),
    2000,
  );
  t.is(
    nextProbeDelay(2, 1000, 60_000, () => 7),
    4000,
    'a broken random source is clamped',
  );
});

test('property: the delay is an integer in [0, min(max, base·2^n)]', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1000, max: 5000 })),
        fc.integer({ min: 0, max: 10 ** 6 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, base, max, r) => {
          const d = nextProbeDelay(n, base, max, () => r);
          return Number.isInteger(d) && d >= 0 && d <= Math.min(max, base * 2 ** Math.min(n, 1023));
        },
      ),
    ),
  );
});

test('ProbeBackoff: regular interval while ok, growing jittered retries while failing, reset on success', (t) => {
  const b = new ProbeBackoff({ intervalMs: 900_000, baseMs: 30_000, maxMs: 900_000, random: () => 0.5 });
  t.is(b.next(true), 900_000);
  t.deepEqual([b.next(false), b.next(false), b.next(false)], [15_000, 30_000, 60_000]);
  t.is(b.consecutiveFailures, 3);
  for (let i = 0; i < 10; i++) b.next(false);
  t.is(b.next(false), 450_000);
  t.is(b.next(true), 900_000);
  t.is(b.consecutiveFailures, 0);
  t.is(b.next(false), 15_000);
});
