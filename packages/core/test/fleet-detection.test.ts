// The failing detection streak: one definition, read by the status engine (threshold 1) and the alert rule (K).
import test from 'ava';
import { failingStreak } from '@wuwatch/core';

const since = new Date('2026-03-01T10:00:00Z');
const facts = (n: number) => ({
  consecutiveDetectionFailures: n,
  firstFailureAt: n ? since : null,
  lastDetectionHresult: n ? '0x80244022' : null,
});

test('a streak is the failures in a row, at least the threshold (default 1) long', (t) => {
  t.is(failingStreak(facts(0)), null);
  t.deepEqual(failingStreak(facts(1)), { count: 1, since, hresult: '0x80244022' });
  t.is(failingStreak(facts(2), 3), null);
  t.deepEqual(failingStreak(facts(3), 3), { count: 3, since, hresult: '0x80244022' });
});

test('a threshold below 1 is 1, and a broken count is no streak', (t) => {
  t.is(failingStreak(facts(0), 0), null);
  t.truthy(failingStreak(facts(1), -5));
  t.is(failingStreak({ ...facts(1), consecutiveDetectionFailures: Number.NaN }), null);
});
