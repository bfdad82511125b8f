import test from 'ava';
import pino from 'pino';
import { CollectorRotation, HEALTHY_SESSION_MS } from '../src/transport/collectors.js';

// The choice of the next collector, on a clock the test moves: the rule itself, without sockets.
function rotation(urls: string[]) {
  const clock = { now: 1_000_000 };
  const lines: { msg: string; collector?: string; previousCollector?: string }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  );
  return { r: new CollectorRotation(urls, log, HEALTHY_SESSION_MS, () => clock.now), clock, lines };
}

const welcome = { ackedSeq: 0, pending: 0 };

test('a failed attempt, a short session or a refused batch moves on; a healthy session stays', (t) => {
  const { r, clock, lines } = rotation(['http://a', 'http://b', 'http://c']);
  t.is(r.current, 'http://a');
  t.deepEqual(
    r.ended({ refused: false }),
    { collector: 'http://a', next: 'http://b', sessionMs: null },
    'never welcomed',
  );
  r.welcomed(welcome);
  clock.now += HEALTHY_SESSION_MS - 1;
  t.like(r.ended({ refused: false }), { collector: 'http://b', next: 'http://c', sessionMs: HEALTHY_SESSION_MS - 1 });
  r.welcomed(welcome);
  clock.now += HEALTHY_SESSION_MS;
  t.like(r.ended({ refused: false }), { collector: 'http://c', next: 'http://c' }, 'a minute proves it works');
  t.like(r.ended({ refused: false }), { collector: 'http://c', next: 'http://a' }, 'then the attempt on it failed');
  r.welcomed(welcome);
  clock.now += 10 * HEALTHY_SESSION_MS;
  t.like(r.ended({ refused: true }), { collector: 'http://a', next: 'http://b' }, 'it could not store a batch');
  t.deepEqual(
    lines
      .filter((l) => l.msg === 'connected to another collector (failover)')
      .map((l) => [l.previousCollector, l.collector]),
    [
      ['http://b', 'http://c'],
      ['http://c', 'http://a'],
    ],
  );
});

test('one URL: every attempt goes to it', (t) => {
  const { r, clock } = rotation(['http://a']);
  t.like(r.ended({ refused: false }), { next: 'http://a' });
  r.welcomed(welcome);
  clock.now += 1;
  t.like(r.ended({ refused: false }), { next: 'http://a' });
});
