import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import zlib from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import { EventKind } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import {
  crc32,
  decodeFrame,
  decodeFrameRaw,
  encodeFrame,
  encodeFrameBodies,
  encodeFrameBody,
  eventBody,
  frameChecksum,
  frameSize,
  FRAME_HEADER_BYTES,
} from '../src/spool/frame.js';
import { readFrames, readRawFrames } from '../src/spool/segment.js';
import { tempDir } from './fixtures/spool/helpers.js';

const wireEvent: fc.Arbitrary<WireEvent> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.constant('2024-05-01T10:00:00.000+02:00'),
  kind: fc.constantFrom(...EventKind.options),
  data: fc.dictionary(fc.string(), fc.jsonValue()),
});

/** JSON round trip: what the spool can promise to give back (e.g. -0 becomes 0). */
const viaJson = (e: WireEvent): WireEvent => JSON.parse(JSON.stringify(e)) as WireEvent;

test('crc32 matches the IEEE check value and continues across a split (what frameChecksum relies on)', (t) => {
  const check = Buffer.from('123456789');
  t.is(crc32(check), 0xcbf43926);
  t.is(crc32(Buffer.alloc(0)), 0);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      const whole = crc32(Buffer.concat([a, b]));
      return whole === zlib.crc32(Buffer.concat([a, b])) && whole === crc32(b, crc32(a));
    }),
  );
});

test('encode/decode round-trips any event', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(wireEvent, (event) => {
        const frame = encodeFrame(event);
        const r = decodeFrame(frame, 0);
        return r.ok && r.frameBytes === frame.length && JSON.stringify(r.event) === JSON.stringify(viaJson(event));
      }),
    ),
  );
});

test('frameSize predicts the encoded size', (t) => {
  const body = eventBody('2024-05-01T10:00:00Z', 'probe', JSON.stringify({ note: 'héllo ✓' }));
  for (const seq of [1, 9, 10, 12345, 9007199254740991]) {
    t.is(encodeFrameBody(seq, body).length, frameSize(seq, Buffer.byteLength(body)));
  }
});

test('a frame cut anywhere is torn, never an event', (t) => {
  const frame = encodeFrame({ seq: 7, time: '2024-05-01T10:00:00Z', kind: 'probe', data: { a: 1 } });
  for (let cut = 0; cut < frame.length; cut++) {
    const r = decodeFrame(frame.subarray(0, cut), 0);
    t.false(r.ok);
    if (!r.ok) t.is(r.fault, 'torn');
  }
});

test('any single-bit flip is detected', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(wireEvent, fc.nat(), fc.integer({ min: 0, max: 7 }), (event, at, bit) => {
        const frame = encodeFrame(event);
        const pos = at % frame.length;
        frame[pos] = (frame[pos] as number) ^ (1 << bit);
        return !decodeFrame(frame, 0).ok;
      }),
    ),
  );
});

test('zero fill and absurd lengths are bad lengths; a good checksum over junk is a bad record', (t) => {
  t.deepEqual(decodeFrame(Buffer.alloc(64), 0), { ok: false, fault: 'bad_length' });
  const huge = Buffer.alloc(16);
  huge.writeUInt32LE(0xfffffff0, 0);
  t.deepEqual(decodeFrame(huge, 0), { ok: false, fault: 'bad_length' });
  for (const junk of [
    'not json',
    '{"seq":0,"time":"x","kind":"probe","data":{}}',
    '{"seq":1,"time":"x","kind":"nope","data":{}}',
    '[1,2]',
  ]) {
    const payload = Buffer.from(junk);
    const frame = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(frameChecksum(frame.subarray(0, 4), payload), 4);
    payload.copy(frame, FRAME_HEADER_BYTES);
    t.deepEqual(decodeFrame(frame, 0), { ok: false, fault: 'bad_record' }, junk);
  }
});

test('readFrames streams frames across chunk boundaries and stops at the first fault', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'frames.bin');
  const frames = Array.from({ length: 200 }, (_, i) =>
    encodeFrame({ seq: i + 1, time: '2024-05-01T10:00:00Z', kind: 'wua', data: { i, s: 'z'.repeat(i % 97) } }),
  );
  const good = Buffer.concat(frames);
  await writeFile(path, Buffer.concat([good, Buffer.from([5, 0, 0, 0, 1, 2])]));
  const fh = await open(path, 'r');
  t.teardown(() => fh.close());
  for (const chunk of [64, 100, 4096]) {
    const seqs: number[] = [];
    let fault: unknown;
    for await (const item of readFrames(fh, 0, good.length + 6, chunk)) {
      if (item.fault === undefined) seqs.push(item.event!.seq);
      else fault = { offset: item.offset, fault: item.fault };
    }
    t.deepEqual(
      seqs,
      Array.from({ length: 200 }, (_, i) => i + 1),
      `chunk ${chunk}`,
    );
    t.deepEqual(fault, { offset: good.length, fault: 'torn' });
  }
  // Reading only up to the good end is a clean stop.
  let items = 0;
  for await (const item of readFrames(fh, frames[0]!.length, good.length, 128)) {
    t.is(item.fault, undefined);
    items++;
  }
  t.is(items, 199);
});

test('encodeFrameBodies makes the same bytes as encodeFrameBody one event at a time', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(wireEvent, { maxLength: 20 }), fc.integer({ min: 1, max: 1e12 }), (evs, first) => {
        const bodies = evs.map((e) => eventBody(e.time, e.kind, JSON.stringify(e.data)));
        const sizes: number[] = [];
        const batch = encodeFrameBodies(
          first,
          bodies,
          bodies.map((b) => Buffer.byteLength(b)),
          sizes,
        );
        const single = bodies.map((b, i) => encodeFrameBody(first + i, b));
        return batch.equals(Buffer.concat(single)) && sizes.every((n, i) => n === single[i]!.length);
      }),
    ),
  );
  // A wrong byte count is refused rather than leaving stale bytes inside a checksummed frame.
  for (const s of ['é', '✓', '😀', 'a']) {
    const body = eventBody('2024-05-01T10:00:00Z', 'wua', JSON.stringify({ s }));
    const bytes = Buffer.byteLength(body);
    for (const wrong of [bytes - 1, bytes + 1]) {
      for (const at of [0, 1]) {
        const counts = [bytes, bytes];
        counts[at] = wrong;
        t.throws(() => encodeFrameBodies(1, [body, body], counts, []), { instanceOf: RangeError }, `${s} ${wrong}`);
      }
    }
  }
});

test('decodeFrameRaw gives the seq and the JSON decodeFrame parses, and the same faults', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(wireEvent, fc.integer({ min: 0, max: 40 }), (event, cut) => {
        const frame = encodeFrame(event);
        const raw = decodeFrameRaw(frame, 0);
        const full = decodeFrame(frame, 0);
        const torn = frame.subarray(0, Math.max(0, frame.length - 1 - cut));
        return (
          raw.ok &&
          full.ok &&
          raw.event!.seq === event.seq &&
          raw.frameBytes === full.frameBytes &&
          raw.event!.json.toString() === JSON.stringify(full.event) &&
          JSON.stringify(decodeFrameRaw(torn, 0)) === JSON.stringify(decodeFrame(torn, 0))
        );
      }),
    ),
  );
  // A payload with a good checksum that does not start with the seq is not ours.
  const junk = Buffer.from('{"time":1,"seq":2}');
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + junk.length);
  frame.writeUInt32LE(junk.length, 0);
  frame.writeUInt32LE(frameChecksum(frame.subarray(0, 4), junk), 4);
  junk.copy(frame, FRAME_HEADER_BYTES);
  t.deepEqual(decodeFrameRaw(frame, 0), { ok: false, fault: 'bad_record' });
  t.deepEqual(decodeFrameRaw(encodeFrame({ seq: 1, time: 'x', kind: 'wua', data: {} }).fill(0, 8), 0), {
    ok: false,
    fault: 'bad_checksum',
  });
});

test('readRawFrames streams the same records as readFrames, across chunk boundaries', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'frames.bin');
  const frames = Array.from({ length: 120 }, (_, i) =>
    encodeFrame({ seq: i + 1, time: '2024-05-01T10:00:00Z', kind: 'wua', data: { i, s: 'é'.repeat(i % 89) } }),
  );
  await writeFile(path, Buffer.concat(frames));
  const fh = await open(path, 'r');
  t.teardown(() => fh.close());
  const size = Buffer.concat(frames).length;
  for (const chunk of [64, 333, 4096]) {
    const parsed: string[] = [];
    for await (const item of readFrames(fh, 0, size, chunk))
      parsed.push(item.fault === undefined ? JSON.stringify(item.event) : item.fault);
    const raw: string[] = [];
    for await (const item of readRawFrames(fh, 0, size, chunk))
      raw.push(item.fault === undefined ? item.event!.json.toString() : item.fault);
    t.deepEqual(raw, parsed, `chunk ${chunk}`);
  }
});
