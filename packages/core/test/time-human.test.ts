// Times for people: local time with its zone (Intl, real time-zone data) and how long ago.
import test from 'ava';
import { humanTime, localTime, relativeTime } from '../src/time/human.js';

const now = new Date('2026-12-06T16:30:00Z');

test('relativeTime: seconds, minutes, hours, days, and ahead', (t) => {
  t.is(relativeTime(new Date('2026-12-06T16:29:18Z'), now), '42 s ago');
  t.is(relativeTime(new Date('2026-12-06T16:25:00Z'), now), '5 min ago');
  t.is(relativeTime(new Date('2026-12-06T13:28:00Z'), now), '3 h ago');
  t.is(relativeTime(new Date('2026-11-27T16:30:00Z'), now), '9 d ago');
  t.is(relativeTime(new Date('2026-12-06T20:30:00Z'), now), 'in 4 h');
  t.is(relativeTime(now, now), 'now');
});

test('localTime: the zone abbreviation, the date only when it is another local day', (t) => {
  t.is(localTime(new Date('2026-12-06T13:02:00Z'), now, 'Europe/Paris'), '14:02 CET');
  t.is(localTime(new Date('2026-07-01T12:02:00Z'), now, 'Europe/Paris'), '2026-07-01 14:02 CEST');
  t.is(localTime(new Date('2026-12-06T13:02:00Z'), now, 'UTC'), '13:02 UTC');
  // 23:30 UTC on the 5th is already the 6th in Paris: same local day, no date.
  t.is(localTime(new Date('2026-12-05T23:30:00Z'), now, 'Europe/Paris'), '00:30 CET');
  t.is(localTime(new Date('2026-12-05T23:30:00Z'), now, 'UTC'), '2026-12-05 23:30 UTC');
  t.is(localTime(new Date('2026-12-06T13:02:00Z'), now, 'Not/AZone'), '13:02 UTC', 'an unknown zone falls back to UTC');
});

test('humanTime: "since"-style text from Date, ISO string or epoch ms; "-" for nothing or garbage', (t) => {
  t.is(humanTime('2026-12-06T13:02:00.000Z', now, 'Europe/Paris'), '14:02 CET, 3 h ago');
  t.is(humanTime(Date.parse('2026-12-06T13:02:00Z'), now, 'UTC'), '13:02 UTC, 3 h ago');
  t.is(humanTime(null, now), '-');
  t.is(humanTime(undefined, now), '-');
  t.is(humanTime('yesterday-ish', now), '-');
});
