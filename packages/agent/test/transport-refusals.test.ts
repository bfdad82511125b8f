import test from 'ava';
import { RefusalTracker } from '../src/transport/refusals.js';

test('a refused batch of several events only narrows: its events then go one at a time', (t) => {
  const r = new RefusalTracker(3);
  t.is(r.maxEvents(0, 500), 500);
  t.deepEqual(r.refused({ first: 1, last: 500 }), { action: 'retry' });
  t.is(r.refusals, 0, 'no single event is suspected yet');
  t.is(r.maxEvents(0, 500), 1);
  t.is(r.maxEvents(499, 500), 1);
  t.is(r.maxEvents(500, 500), 500, 'past the refused range, full batches again');
});

test('the same event refused on its own `limit` times is to be set aside; an ack past it clears the count', (t) => {
  const r = new RefusalTracker(3);
  r.refused({ first: 1, last: 10 });
  t.deepEqual(r.refused({ first: 7, last: 7 }), { action: 'retry' });
  t.deepEqual(r.refused({ first: 7, last: 7 }), { action: 'retry' });
  t.deepEqual(r.refused({ first: 7, last: 7 }), { action: 'set_aside', seq: 7 });
  t.is(r.refusals, 0);
  // Another event: its own count. An ack of it (the collector stored it after all) starts over.
  r.refused({ first: 9, last: 9 });
  r.refused({ first: 9, last: 9 });
  r.acked(9);
  t.deepEqual(r.refused({ first: 9, last: 9 }), { action: 'retry' });
  t.is(r.refusals, 1);
  // A refusal of a different event in between restarts the count too.
  r.refused({ first: 10, last: 10 });
  t.deepEqual(r.refused({ first: 9, last: 9 }), { action: 'retry' });
  t.is(r.refusals, 1);
});
