// The spool's set-aside area: an event the collector keeps refusing leaves the queue but not the disk.
import { join } from 'node:path';
import test from 'ava';
import { isWuwatchError } from '@wuwatch/core';
import { readSetAside, SET_ASIDE_FILE } from '../src/spool/index.js';
import { drain, events, openSpool, range, seqsOf, tempDir } from './fixtures/spool/helpers.js';

test('setAside moves the first unacknowledged event to the set-aside file and acknowledges it', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  await spool.append(events(5, 'a'));
  await spool.ack(2);
  const file = await spool.setAside(3, 'refused 5 times');
  t.is(file, join(dir, SET_ASIDE_FILE));
  t.is(spool.ackedSeq, 3);
  t.deepEqual(seqsOf(await drain(spool)), [4, 5], 'delivery goes on with the next event');
  const records = await readSetAside(dir);
  t.is(records.length, 1);
  t.like(records[0], { reason: 'refused 5 times', event: { seq: 3, kind: 'settings', data: { tag: 'a', i: 2 } } });
  t.false(Number.isNaN(Date.parse(records[0]!.setAsideAt)));
  await spool.close();
  // Kept across a restart; the queue does not get it back.
  const again = await openSpool(dir);
  t.is(again.ackedSeq, 3);
  t.deepEqual(seqsOf(await drain(again)), [4, 5]);
  await again.setAside(4, 'refused again');
  t.deepEqual(
    (await readSetAside(dir)).map((r) => (r.event as { seq: number }).seq),
    [3, 4],
  );
  await again.close();
});

test('only the first unacknowledged event can be set aside', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  await spool.append(events(3));
  for (const seq of [0, 2, 3, 9]) {
    const err = await t.throwsAsync(spool.setAside(seq, 'x'));
    t.true(isWuwatchError(err, 'BAD_REQUEST'), `seq ${seq}`);
  }
  t.is(spool.ackedSeq, 0);
  t.deepEqual(seqsOf(await drain(spool)), range(1, 3));
  t.deepEqual(await readSetAside(dir), []);
  await spool.close();
});
