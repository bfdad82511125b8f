// The pure partition plan: which days to create, which partitions to drop whole, which to trim.
import test from 'ava';
import {
  addDays,
  dailyPartitionName,
  parsePartitionBound,
  planPartitions,
  retentionCutoff,
  utcDay,
  type PartitionInfo,
} from '../src/retention/plan.js';

const NOW = new Date('2026-12-06T21:30:00Z');
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const daily = (iso: string): PartitionInfo => ({
  name: dailyPartitionName(day(iso)),
  from: day(iso),
  to: addDays(day(iso), 1),
  isDefault: false,
});

test('names and the cutoff are whole UTC days', (t) => {
  t.is(dailyPartitionName(day('2026-01-02')), 'events_p20260102');
  t.is(utcDay(NOW).toISOString(), '2026-12-06T00:00:00.000Z');
  t.is(retentionCutoff(NOW, 90).toISOString(), '2026-09-07T00:00:00.000Z');
});

test('creates the missing days ahead, drops whole days behind, trims what straddles', (t) => {
  const existing: PartitionInfo[] = [
    { name: 'events_legacy', from: null, to: day('2026-09-10'), isDefault: false },
    daily('2026-09-05'),
    daily('2026-09-06'),
    daily('2026-09-07'),
    daily('2026-12-06'),
    daily('2026-12-08'),
    { name: 'events_default', from: null, to: null, isDefault: true },
  ];
  const plan = planPartitions(existing, { now: NOW, days: 90, aheadDays: 3 });
  t.deepEqual(
    plan.create.map((d) => d.toISOString().slice(0, 10)),
    ['2026-12-07', '2026-12-09'],
  );
  t.deepEqual(plan.drop, ['events_p20260905', 'events_p20260906'], 'the cutoff day itself is kept');
  t.deepEqual(plan.trim, ['events_legacy', 'events_default']);
});

test('partition bounds parse from any session time zone; a bad bound is an error', (t) => {
  t.deepEqual(parsePartitionBound('p', "FOR VALUES FROM ('2026-12-07 01:00:00+01') TO ('2026-12-08 00:00:00+00')"), {
    name: 'p',
    from: day('2026-12-07'),
    to: day('2026-12-08'),
    isDefault: false,
  });
  t.deepEqual(parsePartitionBound('l', "FOR VALUES FROM (MINVALUE) TO ('2026-12-07 00:00:00+00')").from, null);
  t.true(parsePartitionBound('d', 'DEFAULT').isDefault);
  t.throws(() => parsePartitionBound('x', 'FOR VALUES IN (1)'));
});
