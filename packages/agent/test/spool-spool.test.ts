import { appendFile, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { isWuwatchError } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { encodeFrame } from '../src/spool/frame.js';
import { Spool } from '../src/spool/index.js';
import {
  ALL,
  captureLogger,
  drain,
  events,
  openSpool,
  range,
  segmentFiles,
  seqsOf,
  tempDir,
} from './fixtures/spool/helpers.js';

test('append numbers events from 1 and peek returns them in order within its limits', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  t.is(spool.state, 'open');
  t.is(spool.lastSeq, 0);
  const first = await spool.append(events(3, 'a'));
  const second = await spool.append(events(2, 'b'));
  t.deepEqual(seqsOf(first), [1, 2, 3]);
  t.deepEqual(seqsOf(second), [4, 5]);
  t.deepEqual(first[0], {
    seq: 1,
    time: '2024-05-01T10:00:00.000Z',
    kind: 'settings',
    data: { tag: 'a', i: 0, pad: '' },
  });
  t.deepEqual(await spool.append([]), []);

  const all = await spool.peek(0, 100, ALL);
  t.deepEqual(all, [...first, ...second]);
  t.deepEqual(seqsOf(await spool.peek(2, 2, ALL)), [3, 4]);
  t.deepEqual(await spool.peek(5, 10, ALL), []);
  // The byte cap counts payload JSON, but always lets one event through.
  const oneSize = Buffer.byteLength(JSON.stringify(all[0]));
  t.deepEqual(seqsOf(await spool.peek(0, 10, 1)), [1]);
  t.deepEqual(seqsOf(await spool.peek(0, 10, oneSize * 2 + 1)), [1, 2]);
  t.is(spool.pendingCount, 5);
  t.is(
    spool.pendingBytes,
    all.reduce((n, e) => n + encodeFrame(e).length, 0),
  );
  await spool.close();
});

test('ack moves ackedSeq, trims pending counts and is monotonic', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  const written = await spool.append(events(10));
  await spool.ack(4);
  t.is(spool.ackedSeq, 4);
  t.is(spool.pendingCount, 6);
  t.is(
    spool.pendingBytes,
    written.slice(4).reduce((n, e) => n + encodeFrame(e).length, 0),
  );
  await spool.ack(2); // an old ack arriving late changes nothing
  t.is(spool.ackedSeq, 4);
  t.deepEqual(seqsOf(await drain(spool)), range(5, 10));
  await spool.ack(10);
  t.is(spool.pendingCount, 0);
  t.is(spool.pendingBytes, 0);
  await spool.append(events(2));
  t.is(spool.pendingCount, 2);
  t.deepEqual(seqsOf(await drain(spool)), [11, 12]);
  await t.throwsAsync(spool.ack(-1), { code: 'WUW_BAD_REQUEST' });
  await spool.close();
});

test('events, acks and numbering survive a restart', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir);
  const written = await spool.append(events(20, 'x', 50));
  await spool.ack(8);
  await spool.close();

  spool = await openSpool(dir);
  t.is(spool.ackedSeq, 8);
  t.is(spool.lastSeq, 20);
  t.is(spool.pendingCount, 12);
  t.deepEqual(await drain(spool), written.slice(8));
  t.deepEqual(seqsOf(await spool.append(events(1))), [21]);
  await spool.close();
});

test('seqs are never reused, even when every segment was deleted after an ack', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir);
  await spool.append(events(30, 'y', 200));
  await spool.ack(30);
  await spool.append(events(1));
  await spool.ack(31);
  await spool.close();
  spool = await openSpool(dir);
  t.is(spool.lastSeq, 31);
  t.is(spool.pendingCount, 0);
  t.deepEqual(await segmentFiles(dir), []);
  t.deepEqual(seqsOf(await spool.append(events(2))), [32, 33]);
  await spool.close();
  // Even without the meta file, the high-water mark comes back from the segment holding 32 and 33.
  await unlink(join(dir, 'meta.json'));
  spool = await openSpool(dir);
  t.deepEqual(seqsOf(await spool.append(events(1))), [34]);
  await spool.close();
});

test('an ack above lastSeq moves numbering past it (the collector already holds those seqs)', async (t) => {
  const dir = await tempDir(t);
  const log = captureLogger();
  const spool = await openSpool(dir, { logger: log });
  await spool.append(events(3));
  await spool.ack(500);
  t.is(spool.lastSeq, 500);
  t.deepEqual(seqsOf(await spool.append(events(1))), [501]);
  t.true(log.lines.some((l) => l.level === 'warn' && l.obj.upToSeq === 500));
  await spool.close();
  const again = await openSpool(dir);
  t.deepEqual(seqsOf(await again.append(events(1))), [502]);
  await again.close();
});

test('segments roll over and are deleted only once all their events are acknowledged', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir, { segmentBytes: 2048 });
  const written: WireEvent[] = [];
  for (let i = 0; i < 10; i++) written.push(...(await spool.append(events(5, `b${i}`, 40))));
  const before = await segmentFiles(dir);
  t.true(before.length >= 4, `${before.length} segments`);
  t.true(before.every((f) => /^spool-\d{6}\.seg$/.test(f)));

  // Acknowledging half of the first segment deletes nothing.
  await spool.ack(2);
  t.deepEqual(await segmentFiles(dir), before);
  await spool.ack(30);
  const after = await segmentFiles(dir);
  t.true(after.length < before.length);
  t.deepEqual(after, before.slice(before.length - after.length), 'the oldest files went');
  t.deepEqual(await drain(spool), written.slice(30));
  await spool.ack(50);
  t.deepEqual(await segmentFiles(dir), [before[before.length - 1]], 'the segment being written stays');
  await spool.close();
});

test('peek finds a seq deep inside a large segment (sparse index) without scanning from the start', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir, { segmentBytes: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  for (let b = 0; b < 30; b++) await spool.append(events(100, `big${b}`, 40));
  t.is((await segmentFiles(dir)).length, 1);
  for (const after of [0, 1, 777, 1500, 2999]) {
    const got = await spool.peek(after, 3, ALL);
    t.deepEqual(seqsOf(got), range(after + 1, Math.min(after + 3, 3000)));
    t.deepEqual(got[0]!.data, { tag: `big${Math.floor(after / 100)}`, i: after % 100, pad: 'p'.repeat(40) });
  }
  await spool.ack(1234);
  t.is(spool.pendingCount, 3000 - 1234);
  await spool.close();
  const again = await openSpool(dir, { segmentBytes: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  t.is(again.pendingCount, 3000 - 1234);
  t.deepEqual(seqsOf(await again.peek(again.ackedSeq, 2, ALL)), [1235, 1236]);
  await again.close();
});

test('a torn tail (partial frame) is cut on open, reported and never delivered', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir);
  const written = await spool.append(events(5));
  await spool.close();
  const [file] = await segmentFiles(dir);
  const path = join(dir, file!);
  const goodSize = (await stat(path)).size;
  const next = encodeFrame({ seq: 6, time: '2024-05-01T10:00:00Z', kind: 'settings', data: { torn: true } });
  await appendFile(path, next.subarray(0, next.length - 3));

  const log = captureLogger();
  spool = await openSpool(dir, { logger: log });
  const report = spool.openReport;
  t.is(report.cuts.length, 1);
  t.like(report.cuts[0], { file, offset: goodSize, lostBytes: next.length - 3, fault: 'torn', tornTail: true });
  t.is(report.lostBytes, next.length - 3);
  t.is((await stat(path)).size, goodSize, 'file truncated to the last good frame');
  t.true(log.lines.some((l) => l.level === 'warn' && l.obj.fault === 'torn'));
  t.deepEqual(await drain(spool), written);
  t.deepEqual(seqsOf(await spool.append(events(1))), [6]);
  await spool.close();
});

test('garbage and a frame truncated mid-way at the tail are cut', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir);
  const written = await spool.append(events(6));
  await spool.close();
  const path = join(dir, (await segmentFiles(dir))[0]!);
  // Crash mid-write of the last frame: lose its final bytes.
  const size = (await stat(path)).size;
  await truncate(path, size - 5);
  spool = await openSpool(dir);
  t.is(spool.openReport.cuts[0]?.fault, 'torn');
  t.deepEqual(await drain(spool), written.slice(0, 5), 'the cut event is gone, nothing else');
  t.is(spool.lastSeq, 6, 'its seq is not handed out again: the meta file remembers it');
  await spool.close();

  await appendFile(path, Buffer.from('\x10\x00\x00\x00garbage-garbage-garbage-garbage'));
  spool = await openSpool(dir);
  t.is(spool.openReport.cuts[0]?.fault, 'bad_checksum');
  t.deepEqual(await drain(spool), written.slice(0, 5));
  await spool.close();

  await appendFile(path, Buffer.alloc(300)); // a zero-filled tail
  spool = await openSpool(dir);
  t.like(spool.openReport.cuts[0], { fault: 'bad_length', lostBytes: 300 });
  t.deepEqual(seqsOf(await spool.append(events(1))), [7]);
  t.deepEqual(seqsOf(await drain(spool)), [1, 2, 3, 4, 5, 7]);
  await spool.close();
});

test('corruption in the middle of a segment cuts the rest of that segment only, and says how much was lost', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir, { segmentBytes: 2048 });
  const written: WireEvent[] = [];
  for (let i = 0; i < 8; i++) written.push(...(await spool.append(events(4, `m${i}`, 60))));
  await spool.close();
  const files = await segmentFiles(dir);
  t.true(files.length >= 3);
  const victim = join(dir, files[0]!);
  const bytes = await readFile(victim);
  const firstFrame = encodeFrame(written[0]!).length;
  const secondFrame = encodeFrame(written[1]!).length;
  const flipAt = firstFrame + secondFrame + 20; // inside the third record's payload
  bytes[flipAt] = (bytes[flipAt] as number) ^ 0xff;
  await writeFile(victim, bytes);

  const log = captureLogger();
  spool = await openSpool(dir, { segmentBytes: 2048, logger: log });
  const cut = spool.openReport.cuts[0];
  t.like(cut, { file: files[0], offset: firstFrame + secondFrame, fault: 'bad_checksum', tornTail: false });
  t.is(cut?.lostBytes, bytes.length - firstFrame - secondFrame);
  t.true(log.lines.some((l) => l.level === 'error' && l.obj.file === files[0]));
  const got = await drain(spool);
  const lostInFirst = written.filter((e) => e.seq > 2 && e.seq <= (got[2]?.seq ?? 0) - 1);
  t.deepEqual(seqsOf(got.slice(0, 2)), [1, 2]);
  t.true(lostInFirst.length > 0);
  t.deepEqual(
    got.slice(2),
    written.filter((e) => e.seq >= got[2]!.seq),
    'later segments are intact',
  );
  for (let i = 1; i < got.length; i++) t.true(got[i]!.seq > got[i - 1]!.seq);
  t.deepEqual(seqsOf(await spool.append(events(1))), [33]);
  await spool.close();
});

test('a damaged meta file is reported and everything stored is resent; temp leftovers are removed', async (t) => {
  const dir = await tempDir(t);
  let spool = await openSpool(dir);
  await spool.append(events(5));
  await spool.ack(3);
  await spool.close();
  await writeFile(join(dir, 'meta.json'), '{"version":1,"acke');
  await writeFile(join(dir, 'meta.json.tmp'), 'half-written');
  const log = captureLogger();
  spool = await openSpool(dir, { logger: log });
  t.is(spool.openReport.metaProblem, 'not JSON');
  t.is(spool.ackedSeq, 0);
  t.deepEqual(seqsOf(await drain(spool)), range(1, 5));
  t.false((await segmentFiles(dir)).includes('meta.json.tmp'));
  t.true(log.lines.some((l) => l.level === 'warn' && l.obj.problem === 'not JSON'));
  await t.throwsAsync(stat(join(dir, 'meta.json.tmp')), { code: 'ENOENT' });
  await spool.close();
});

test('invalid events are refused whole, before anything is written', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  const good = events(1)[0]!;
  const bad = [
    { ...good, kind: 'nonsense' },
    { ...good, time: 'yesterday' },
    { ...good, data: { big: 'x'.repeat(70 * 1024) } },
    { ...good, data: { n: 10n } },
    { ...good, kind: 'probe', data: { url: 'http://wsus:8530' } }, // probe data lacks class, ok, steps…
  ];
  for (const b of bad) {
    const err = await t.throwsAsync(spool.append([good, b as never]));
    t.true(isWuwatchError(err, 'SPOOL_EVENT_INVALID'), String(err));
  }
  t.is(spool.lastSeq, 0);
  t.deepEqual(await segmentFiles(dir), []);
  await spool.close();
});

test('concurrent appends are serialised and peek may run beside them', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir, { segmentBytes: 8192 });
  const peeks: number[][] = [];
  const appends = Array.from({ length: 40 }, (_, i) => spool.append(events(1 + (i % 5), `c${i}`, 30)));
  const readers = Array.from({ length: 10 }, async () => {
    for (let i = 0; i < 5; i++) peeks.push(seqsOf(await spool.peek(0, 1000, ALL)));
  });
  const results = await Promise.all(appends);
  await Promise.all(readers);
  const seqs = results.flatMap(seqsOf);
  t.deepEqual(seqs, range(1, seqs.length), 'call order = seq order, no gaps, no duplicates');
  for (const p of peeks) t.deepEqual(p, range(1, p.length), 'every peek sees a prefix');
  const stored = await drain(spool);
  t.deepEqual(stored, results.flat());
  await spool.close();
});

test('close is idempotent and ends the spool; queued appends finish first', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  const pending = spool.append(events(3));
  const c1 = spool.close();
  const c2 = spool.close();
  t.is(c1, c2);
  t.is(spool.state, 'closing');
  t.deepEqual(seqsOf(await pending), [1, 2, 3]);
  await c1;
  t.is(spool.state, 'closed');
  await spool.close();
  const err = await t.throwsAsync(spool.append(events(1)));
  t.true(isWuwatchError(err, 'SPOOL_CLOSED'));
  await t.throwsAsync(spool.peek(0, 1, 1), { code: 'WUW_SPOOL_CLOSED' });
  await t.throwsAsync(spool.ack(1), { code: 'WUW_SPOOL_CLOSED' });
  const again = await openSpool(dir);
  t.is(again.lastSeq, 3);
  await again.close();
});

test('options are checked', async (t) => {
  const dir = await tempDir(t);
  await t.throwsAsync(Spool.open({ dir, segmentBytes: 4096, maxBytes: 4096 }), { code: 'WUW_CONFIG_INVALID' });
  await t.throwsAsync(Spool.open({ dir, segmentBytes: 10 }), { code: 'WUW_CONFIG_INVALID' });
});

test('a failed write rejects, consumes no seq, and the next append goes to a fresh segment', async (t) => {
  const dir = await tempDir(t);
  const log = captureLogger();
  const spool = await openSpool(dir, { logger: log });
  await spool.append(events(2));
  // Break the write handle behind the spool's back, as a vanished disk would (it is kept by the store's writer).
  await (spool as unknown as { store: { writer: { fh: FileHandle } } }).store.writer.fh.close();
  const err = await t.throwsAsync(spool.append(events(3)));
  t.true(isWuwatchError(err, 'SPOOL_IO'), String(err));
  t.is(spool.lastSeq, 2);
  t.true(log.lines.some((l) => l.level === 'error' && /sealing/.test(l.msg)));
  t.deepEqual(seqsOf(await spool.append(events(1))), [3]);
  t.is((await segmentFiles(dir)).length, 2);
  await spool.close();
  const again = await openSpool(dir);
  t.deepEqual(again.openReport.cuts, []);
  t.deepEqual(seqsOf(await drain(again)), [1, 2, 3]);
  await again.close();
});

test('peekRaw gives, per event, the JSON of what peek gives, within the same limits', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir, { segmentBytes: 4096, maxBytes: 1 << 20 });
  for (let i = 0; i < 10; i++) await spool.append(events(7, `b${i}`));
  for (const [after, count, bytes] of [
    [0, 100, ALL],
    [3, 5, ALL],
    [20, 100, 700],
    [69, 10, ALL],
    [70, 10, ALL],
  ] as const) {
    const parsed = await spool.peek(after, count, bytes);
    const raw = await spool.peekRaw(after, count, bytes);
    t.deepEqual(
      raw.map((e) => [e.seq, e.json.toString()]),
      parsed.map((e) => [e.seq, JSON.stringify(e)]),
      `peek(${after}, ${count}, ${bytes})`,
    );
  }
  await spool.close();
});

test('acks queued behind an append are taken together and resolve once the highest is durable', async (t) => {
  const dir = await tempDir(t);
  const spool = await openSpool(dir);
  await spool.append(events(10, 'a'));
  // An append holds the queue; the acks queued behind it are taken together.
  const appending = spool.append(events(1, 'b'));
  const acks = [spool.ack(2), spool.ack(7), spool.ack(5)];
  await Promise.all([appending, ...acks]);
  t.is(spool.ackedSeq, 7);
  await spool.ack(3);
  t.is(spool.ackedSeq, 7);
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { ackedSeq: number };
  t.is(meta.ackedSeq, 7);
  await spool.close();
});
