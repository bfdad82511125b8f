// A producer's cursor committed in the same append as its events: together or not at all, and never lost to the
// deletion of the segment that held it.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { isWuwatchError } from '@wuwatch/core';
import { decodeFrame, FRAME_HEADER_BYTES } from '../src/spool/frame.js';
import {
  captureLogger,
  drain,
  events,
  openSpool,
  range,
  segmentFiles,
  seqsOf,
  tempDir,
} from './fixtures/spool/helpers.js';

const at = (offset: number) => ({ key: 'log', value: { offset } });

test('a cursor commits with its events, is no event itself, and is read back after a reopen', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  t.is(spool.cursor('log'), null);
  t.deepEqual(seqsOf(await spool.append(events(3, 'a'), at(10))), [1, 2, 3]);
  t.deepEqual(await spool.append([], at(20)), [], 'a cursor alone: nothing produced, the position still moves');
  await spool.append(events(2, 'b'));
  t.deepEqual(spool.cursor('log'), { offset: 20 });
  t.is(spool.pendingCount, 5);
  t.deepEqual(seqsOf(await drain(spool)), range(1, 5), 'peek never returns a cursor');
  await spool.close();
  const again = await openSpool(dir);
  t.deepEqual(again.cursor('log'), { offset: 20 });
  t.is(again.pendingCount, 5);
  t.deepEqual(seqsOf(await again.append(events(1), at(30))), [6]);
  t.deepEqual(seqsOf(await drain(again)), range(1, 6));
  await again.close();
});

test('an append cut short by a crash is cut whole: neither its events nor its cursor survive', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir, { segmentBytes: 64 * 1024 });
  await spool.append(events(2, 'a'), at(100));
  const [file] = await segmentFiles(dir);
  const path = join(dir, file!);
  const before = (await stat(path)).size;
  await spool.append(events(4, 'b', 200), at(200));
  const after = (await stat(path)).size;
  await spool.close();
  // Every cut inside the second append: after its cursor, inside an event, between two events.
  const buf = await readFile(path);
  const first = decodeFrame(buf, before);
  t.true(first.ok && first.cursor !== undefined, 'the cursor frame leads its append');
  for (const cutAt of [
    before + 3,
    before + FRAME_HEADER_BYTES + 10,
    before + (first.ok ? first.frameBytes : 0),
    after - 1,
  ]) {
    const copy = await tempDir(t);
    await writeFile(join(copy, file!), buf.subarray(0, cutAt));
    const log = captureLogger();
    const reopened = await openSpool(copy, { segmentBytes: 64 * 1024, logger: log });
    t.deepEqual(reopened.cursor('log'), { offset: 100 }, `cut at ${cutAt - before}: the cursor before it`);
    t.deepEqual(seqsOf(await drain(reopened)), [1, 2], `cut at ${cutAt - before}: none of its events`);
    t.like(reopened.openReport.cuts[0], { offset: before, tornTail: true });
    // The next append continues the seqs and the cursors as if the cut append never happened.
    t.deepEqual(seqsOf(await reopened.append(events(1), at(300))), [3]);
    await reopened.close();
    t.deepEqual((await openSpool(copy, { segmentBytes: 64 * 1024 })).cursor('log'), { offset: 300 });
  }
});

test('the latest cursor outlives the acknowledgement that deletes its segment, and a reopen that deletes it', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir); // 4 KiB segments: a few appends seal one
  for (let i = 1; i <= 6; i++) await spool.append(events(3, `x${i}`, 300), at(i));
  t.true((await segmentFiles(dir)).length > 1);
  // Every event acknowledged: the sealed segments holding cursors 1..5 go; the newest one stays for appends.
  await spool.ack(spool.lastSeq);
  t.deepEqual(spool.cursor('log'), { offset: 6 });
  await spool.close();
  const reopened = await openSpool(dir);
  t.deepEqual(reopened.cursor('log'), { offset: 6 }, 'the reopen deleted the acknowledged segment, not the cursor');
  t.deepEqual(await segmentFiles(dir), []);
  await reopened.close();
  t.deepEqual((await openSpool(dir)).cursor('log'), { offset: 6 });
});

test('a cursor alone in the newest segment, acknowledged events before it: kept across a crash (no close)', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  await spool.append(events(2), at(1));
  await spool.ack(2);
  await spool.append([], at(2));
  // No close: the meta file still holds cursor 1; the segment holds cursor 2 and only acknowledged events.
  const reopened = await openSpool(dir);
  t.deepEqual(reopened.cursor('log'), { offset: 2 });
  await reopened.close();
  await spool.close();
});

test('cursors of different producers are kept apart; a bad key or value is refused to its caller', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  await spool.append(events(1), { key: 'log', value: { n: 1 } });
  await spool.append(events(1), { key: 'events', value: { n: 2 } });
  t.deepEqual(spool.cursor('log'), { n: 1 });
  t.deepEqual(spool.cursor('events'), { n: 2 });
  const err = await t.throwsAsync(spool.append(events(1), { key: 'Bad Key', value: {} }));
  t.true(isWuwatchError(err, 'SPOOL_EVENT_INVALID'));
  const big = await t.throwsAsync(spool.append([], { key: 'log', value: { s: 'x'.repeat(1024 * 1024) } }));
  t.true(isWuwatchError(big, 'SPOOL_EVENT_INVALID'));
  t.is(spool.lastSeq, 2, 'nothing of a refused append was stored');
  await spool.close();
});
