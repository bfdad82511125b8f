import test from 'ava';
import fc from 'fast-check';
import { Backoff, backoffDelay } from '@wuwatch/core';

test('the ceiling doubles per failure up to the cap (full jitter: the draw scales it)', (t) => {
  const top = () => 1 - Number.EPSILON;
  t.is(backoffDelay(0, { baseMs: 1000, capMs: 60_000 }, top), 999);
  t.is(backoffDelay(1, { baseMs: 1000, capMs: 60_000 }, top), 1999);
  t.is(backoffDelay(10, { baseMs: 1000, capMs: 60_000 }, top), 59_999);
  t.is(
    backoffDelay(3, { baseMs: 1000, capMs: 60_000 }, () => 0.5),
    4000,
  );
});

test('the floor holds even for a draw of 0, but never above the ceiling', (t) => {
  t.is(
    backoffDelay(0, { baseMs: 1000, capMs: 5000, floorMs: 250 }, () => 0),
    250,
  );
  t.is(
    backoffDelay(0, { baseMs: 100, capMs: 5000, floorMs: 250 }, () => 0),
    100,
  );
});

test('any input gives a finite delay within [0, cap]', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.double()),
        fc.nat(10 ** 9),
        fc.nat(10 ** 9),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (failures, baseMs, capMs, r) => {
          const d = backoffDelay(failures, { baseMs, capMs }, () => r);
          return Number.isInteger(d) && d >= 0 && d <= Math.max(0, capMs);
        },
      ),
    ),
  );
});

test('Backoff counts failures in a row and starts over after a success', (t) => {
  const b = new Backoff({ baseMs: 100, capMs: 10_000 }, () => 1 - Number.EPSILON);
  t.is(b.fail(), 99);
  t.is(b.fail(), 199);
  t.is(b.consecutiveFailures, 2);
  b.reset();
  t.is(b.consecutiveFailures, 0);
  t.is(b.fail(), 99);
});
