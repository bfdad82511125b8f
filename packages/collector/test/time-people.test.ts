// Times for people follow the collector's zone, TZ; glibc's ":Zone/Name" spelling of TZ (common in containers and
// systemd units) names the same zone, and Node's own clock reads it that way too.
import test from 'ava';
import { humanizeTimes, peopleTimeZone } from '../src/time/people.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');

test('TZ=":Europe/Berlin" is Europe/Berlin, not UTC', (t) => {
  t.is(peopleTimeZone({ TZ: ':Europe/Berlin' }), 'Europe/Berlin');
  const text = `since ${new Date(NOW.getTime() - 3 * 3_600_000).toISOString()}`;
  t.is(humanizeTimes(text, NOW, peopleTimeZone({ TZ: ':Europe/Berlin' })), 'since 10:00 CET, 3 h ago');
});

test('a TZ that is no IANA name leaves the zone to the process (what Node made of TZ), not a silent UTC', (t) => {
  t.is(peopleTimeZone({ TZ: 'Europe/Berlin' }), 'Europe/Berlin');
  t.is(peopleTimeZone({ TZ: ':/etc/localtime' }), undefined);
  t.is(peopleTimeZone({ TZ: 'CET-1CEST,M3.5.0,M10.5.0/3' }), undefined);
  t.is(peopleTimeZone({}), undefined);
});
