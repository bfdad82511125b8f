import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import {
  ALL,
  captureLogger,
  drain,
  events,
  openSpool,
  segmentFiles,
  seqsOf,
  tempDir,
} from './fixtures/spool/helpers.js';

test('a full spool drops its oldest unacknowledged segments and says so in a spool_dropped event', async (t) => {
  const dir = await tempDir(t);
  const log = captureLogger();
  const opts = { segmentBytes: 2048, maxBytes: 8192, logger: log, now: () => new Date('2024-06-01T00:00:00Z') };
  const spool = await openSpool(dir, opts);
  const written: WireEvent[] = [];
  for (let i = 0; i < 40; i++) written.push(...(await spool.append(events(3, `f${i}`, 80))));
  await spool.ack(2);

  t.true(spool.droppedCount > 0);
  t.true(spool.diskBytes <= 8192 + 2048 + 1024, `${spool.diskBytes} bytes on disk`);
  const stored = await drain(spool);
  const reports = stored.filter((e) => e.kind === 'spool_dropped');
  t.true(reports.length > 0);
  let droppedSum = 0;
  const droppedSeqs = new Set<number>();
  for (const r of reports) {
    t.is(r.time, '2024-06-01T00:00:00.000Z');
    t.like(r.data, { reason: 'spool_full' });
    const { dropped, fromSeq, toSeq } = r.data as { dropped: number; fromSeq: number; toSeq: number };
    t.true(r.seq > toSeq, 'the report comes after what it reports');
    droppedSum += dropped;
    for (let s = fromSeq; s <= toSeq; s++) droppedSeqs.add(s);
  }
  t.is(droppedSum, spool.droppedCount, 'reports of dropped reports are carried forward');
  // Every user event is either still stored or inside a reported range, and the counts match exactly.
  const storedUser = new Set(seqsOf(stored.filter((e) => e.kind !== 'spool_dropped')));
  const reportSeqs = new Set(seqsOf(reports));
  for (const e of written) t.true(storedUser.has(e.seq) !== droppedSeqs.has(e.seq), `seq ${e.seq}`);
  t.is([...droppedSeqs].filter((s) => !reportSeqs.has(s)).length, droppedSum);
  // The newest events, in the segment being written, are never dropped.
  t.deepEqual(stored.slice(-3), written.slice(-3));
  t.true(log.lines.some((l) => l.level === 'warn' && typeof l.obj.dropped === 'number'));
  await spool.close();
});

test('acknowledged events do not count as dropped', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir, { segmentBytes: 2048, maxBytes: 4096 });
  const first: WireEvent[] = [];
  for (let i = 0; i < 4; i++) first.push(...(await spool.append(events(3, 'old', 100))));
  // Ack all but the last 2 of the oldest segment's events, so dropping it loses exactly those.
  const files = await segmentFiles(dir);
  t.true(files.length >= 2);
  const inFirst = (await spool.peek(0, 1000, ALL)).filter((e) => e.seq <= first.length);
  await spool.ack(inFirst[inFirst.length - 1]!.seq - 2);
  for (let i = 0; i < 10 && spool.droppedCount === 0; i++) await spool.append(events(4, 'new', 100));
  const stored = await drain(spool, 0);
  const report = stored.find((e) => e.kind === 'spool_dropped');
  t.truthy(report);
  t.is((report?.data as { fromSeq: number }).fromSeq, spool.ackedSeq + 1);
  t.true((report?.data as { dropped: number }).dropped >= 2);
  await spool.close();
});

test('a drop whose report was not yet written is reported after a restart, once', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir);
  await spool.append(events(4));
  await spool.close();
  // As if the process died right after deleting segments for space: meta owes a report with seq 5.
  const pendingDrop = { seq: 5, dropped: 9, fromSeq: 100, toSeq: 108 };
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ version: 1, ackedSeq: 0, lastSeq: 4, pendingDrop }));
  spool = await openSpool(dir);
  const tail = await spool.peek(4, 10, ALL);
  t.is(tail.length, 1);
  t.like(tail[0], {
    seq: 5,
    kind: 'spool_dropped',
    data: { dropped: 9, fromSeq: 100, toSeq: 108, reason: 'spool_full' },
  });
  await spool.close();
  // The meta still says "pending" only if close failed to save; force that case and check no duplicate.
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ version: 1, ackedSeq: 0, lastSeq: 4, pendingDrop }));
  spool = await openSpool(dir);
  t.is((await drain(spool, 0)).filter((e) => e.kind === 'spool_dropped').length, 1);
  await spool.close();
});
