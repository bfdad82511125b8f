import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import zlib from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import { EventKind } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import {
  crc32,
  crc32Js,
  decodeFrame,
  encodeFrame,
  encodeFrameBody,
  eventBody,
  frameChecksum,
  frameSize,
  FRAME_HEADER_BYTES,
} from '../src/spool/frame.js';
import { readFrames } from '../src/spool/segment.js';
import { tempDir } from './fixtures/spool/helpers.js';

const wireEvent: fc.Arbitrary<WireEvent> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.constant('2024-05-01T10:00:00.000+02:00'),
  kind: fc.constantFrom(...EventKind.options),
  data: fc.dictionary(fc.string(), fc.jsonValue()),
});

/** JSON round trip: what the spool can promise to give back (e.g. -0 becomes 0). */
const viaJson = (e: WireEvent): WireEvent => JSON.parse(JSON.stringify(e)) as WireEvent;

test('crc32 matches the IEEE check value and zlib, native or not', (t) => {
  const check = Buffer.from('123456789');
  t.is(crc32(check), 0xcbf43926);
  t.is(crc32Js(check), 0xcbf43926);
  t.is(crc32Js(Buffer.alloc(0)), 0);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      const whole = crc32Js(Buffer.concat([a, b]));
      return whole === zlib.crc32(Buffer.concat([a, b])) && whole === crc32Js(b, crc32Js(a));
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
      if (item.fault === undefined) seqs.push(item.event.seq);
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
