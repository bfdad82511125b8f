import test from 'ava';
import fc from 'fast-check';
import { DEFAULT_RETRY, nextAttemptDelay, retryDecision } from '../src/alerts/retry.js';

const NOW = new Date('2024-05-10T12:00:00.000Z');
const almostOne = 1 - Number.EPSILON;

test('defaults: 5 s base, 15 min cap, dead after 20 attempts', (t) => {
  t.is(DEFAULT_RETRY.baseMs, 5000);
  t.is(DEFAULT_RETRY.maxMs, 15 * 60_000);
  t.is(DEFAULT_RETRY.giveUpAfter, 20);
});

// With random just below 1 the delay is (almost) the ceiling: base · 2^(attempt−1), capped.
const ceilings: [number, number][] = [
  [1, 5000],
  [2, 10_000],
  [3, 20_000],
  [4, 40_000],
  [8, 640_000],
  [9, 900_000],
  [10, 900_000],
  [200, 900_000],
  [5000, 900_000],
];
for (const [attempt, ceiling] of ceilings) {
  test(`attempt ${attempt}: ceiling ${ceiling} ms`, (t) => {
    t.is(nextAttemptDelay(attempt, { random: () => almostOne }), ceiling - 1);
    t.is(nextAttemptDelay(attempt, { random: () => 0 }), 0, 'full jitter reaches down to zero');
    t.is(nextAttemptDelay(attempt, { random: () => 0.5 }), ceiling / 2);
  });
}

test('full jitter: always within [0, ceiling) and an integer', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const d = nextAttemptDelay(attempt, { random: () => r });
          const ceiling = Math.min(DEFAULT_RETRY.maxMs, DEFAULT_RETRY.baseMs * 2 ** Math.max(0, attempt - 1));
          return Number.isInteger(d) && d >= 0 && d < ceiling;
        },
      ),
    ),
  );
});

test('custom base and cap; a misbehaving random source is clamped', (t) => {
  t.is(nextAttemptDelay(3, { baseMs: 100, maxMs: 250, random: () => 0.5 }), 125);
  t.is(nextAttemptDelay(3, { baseMs: 100, maxMs: 250, random: () => 7 }), 249);
  t.is(nextAttemptDelay(3, { baseMs: 100, maxMs: 250, random: () => -1 }), 0);
});

test('retryDecision: retries until the attempts are spent, then dead', (t) => {
  const opts = { random: () => 0.5 };
  const first = retryDecision(1, NOW, opts);
  t.deepEqual(first, { action: 'retry', delayMs: 2500, at: new Date(NOW.getTime() + 2500) });
  t.is(retryDecision(19, NOW, opts).action, 'retry');
  const dead = retryDecision(20, NOW, opts);
  t.is(dead.action, 'dead');
  t.regex(dead.action === 'dead' ? dead.reason : '', /gave up after 20 failed attempts/);
  t.is(retryDecision(3, NOW, { ...opts, giveUpAfter: 3 }).action, 'dead');
});

test('retryDecision: a permanent failure is dead at once', (t) => {
  const d = retryDecision(1, NOW, {}, false);
  t.is(d.action, 'dead');
  t.regex(d.action === 'dead' ? d.reason : '', /permanent/);
});
