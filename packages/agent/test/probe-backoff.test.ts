import test from 'ava';
import fc from 'fast-check';
import { ProbeBackoff } from '../src/probe/index.js';

/** The delays of `failures` failed probes in a row. */
function failDelays(failures: number, baseMs: number, maxMs: number, random: () => number): number[] {
  const b = new ProbeBackoff({ intervalMs: 900_000, baseMs, maxMs, random });
  return Array.from({ length: failures }, () => b.next(false));
}

test('the ceiling doubles per failure up to maxMs; random scales it (full jitter)', (t) => {
  const top = () => 0.999999;
  const delays = failDelays(11, 1000, 60_000, top);
  t.is(delays[0], 999);
  t.is(delays[1], 1999);
  t.is(delays[3], 7999);
  t.is(delays[10], 59_999);
  t.is(failDelays(4, 1000, 60_000, () => 0.5)[3], 4000);
  t.is(failDelays(4, 1000, 60_000, () => 0)[3], 0);
});

test('a long streak of failures stays finite and bounded; a broken random source is clamped', (t) => {
  t.deepEqual(failDelays(2000, 1000, 60_000, () => 0.5).slice(-2), [30_000, 30_000]);
  // Uniform in [0, ceiling): a source above 1 gives the top of the range, never more.
  t.is(failDelays(3, 1000, 60_000, () => 7)[2], 3999);
  t.is(failDelays(3, 1000, 60_000, () => -7)[2], 0);
});

test('property: the n-th delay is an integer in [0, min(max, base·2^n)]', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, base, max, r) =>
          failDelays(n, base, max, () => r).every(
            (d, i) => Number.isInteger(d) && d >= 0 && d <= Math.min(max, base * 2 ** i),
          ),
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
