import test from 'ava';
import fc from 'fast-check';
import { decodeAgentFrame, encodeFrame, EventKind } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { rawBatchFrame } from '../src/transport/client.js';

const wireEvent: fc.Arbitrary<WireEvent> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.constant('2024-05-01T10:00:00.000Z'),
  kind: fc.constantFrom(...EventKind.options),
  data: fc.dictionary(fc.string(), fc.jsonValue()),
});

test('rawBatchFrame is byte for byte the frame encodeFrame makes of the same events', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.nat(), fc.array(wireEvent, { minLength: 1, maxLength: 12 }), (batchId, events) => {
        // What the spool stores is JSON.stringify of the event; what peek gives back is that, parsed.
        const stored = events.map((e) => JSON.parse(JSON.stringify(e)) as WireEvent);
        const raw = rawBatchFrame(
          batchId,
          stored.map((e) => ({ json: Buffer.from(JSON.stringify(e)) })),
        );
        return raw.toString('utf8') === encodeFrame({ type: 'batch', batchId, events: stored });
      }),
    ),
  );
  const frame = rawBatchFrame(7, [
    { json: Buffer.from('{"seq":1,"time":"2024-05-01T10:00:00Z","kind":"wua","data":{}}') },
  ]);
  t.like(decodeAgentFrame(frame), { type: 'batch', batchId: 7, events: [{ seq: 1, kind: 'wua' }] });
});
