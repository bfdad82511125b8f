/**
 * One append's bytes, built before any I/O: an upper bound of its size (for segment rollover and the disk
 * budget), then its frames — a `spool_dropped` report the spool still owes first, the caller's events after it,
 * and the producer's cursor frame in front saying how many event frames follow. Takes the spool's counters and
 * returns buffers and the stored events; the spool writes them and updates its counters only once they are on disk.
 */
import type { WireEvent } from '@wuwatch/core';
import { cursorPayload } from './cursor.js';
import type { CursorInput } from './cursor.js';
import { encodeFrameBodies, encodePayload, eventBody, frameSize } from './frame.js';
import type { PendingDrop } from './meta.js';
import type { PreparedEvent } from './prepare.js';
import type { SpoolDroppedData } from './types.js';

/** Bytes of a cursor frame besides its value: header, keys, generation, count and key, generously. */
const CURSOR_FRAME_BYTES = 128;
/** Room kept in every size estimate for a `spool_dropped` event the append may have to add. */
const DROP_EVENT_BYTES = 256;

/** A producer's cursor to commit with an append, its value already serialised (and so already checked). */
export type CursorMark = CursorInput & { readonly json: string };

/** An append encoded, ready to write. */
export interface EncodedBatch {
  /** The cursor frame, written before the event frames; null when the append carries no cursor. */
  readonly cursorFrame: Buffer | null;
  /** Every event frame (the drop report's first) in one buffer: one write per append. */
  readonly eventFrames: Buffer;
  /** The size of each frame in `eventFrames`, in order; its length is the number of seqs the append takes. */
  readonly frameBytes: readonly number[];
  /** Event frames in the append, as the cursor frame records them. */
  readonly events: number;
  /** The caller's events as stored, with their seqs. */
  readonly stored: WireEvent[];
}

/** Upper bound of the bytes an append of `prepared` (and `cursor`) adds after seq `lastSeq`, drop report included. */
export function estimateBatchBytes(prepared: readonly PreparedEvent[], lastSeq: number, cursor?: CursorMark): number {
  // Sized with the largest seq the batch can reach, so the estimate is never below the real size.
  const topSeq = lastSeq + prepared.length + 1;
  const cursorBytes = cursor === undefined ? 0 : CURSOR_FRAME_BYTES + Buffer.byteLength(cursor.json, 'utf8');
  return prepared.reduce((n, p) => n + frameSize(topSeq, p.bodyBytes), 0) + DROP_EVENT_BYTES + cursorBytes;
}

/**
 * Encodes an append whose first frame takes seq `lastSeq + 1`: the report of `drop` (when owed, stamped by
 * `now`), then `prepared`; with `cursor`, a cursor frame of generation `cursorGen + 1`.
 */
export function encodeBatch(
  prepared: readonly PreparedEvent[],
  lastSeq: number,
  drop: PendingDrop | null,
  cursor: CursorMark | undefined,
  cursorGen: number,
  now: () => Date,
): EncodedBatch {
  const events = prepared.length + (drop === null ? 0 : 1);
  const cursorFrame =
    cursor === undefined ? null : encodePayload(cursorPayload(cursorGen + 1, events, cursor.key, cursor.json));
  const bodies: string[] = [];
  if (drop !== null) {
    const data: SpoolDroppedData = {
      dropped: drop.dropped,
      fromSeq: drop.fromSeq,
      toSeq: drop.toSeq,
      reason: 'spool_full',
    };
    bodies.push(eventBody(now().toISOString(), 'spool_dropped', JSON.stringify(data)));
  }
  const bodyBytes = bodies.map((b) => Buffer.byteLength(b, 'utf8'));
  const firstUserSeq = lastSeq + 1 + bodies.length;
  for (const p of prepared) {
    bodies.push(p.body);
    bodyBytes.push(p.bodyBytes);
  }
  // The whole batch as one buffer: one write and one fsync per append.
  const frameBytes: number[] = [];
  const eventFrames = encodeFrameBodies(lastSeq + 1, bodies, bodyBytes, frameBytes);
  const stored = prepared.map((p, i): WireEvent => ({
    seq: firstUserSeq + i,
    time: p.input.time,
    kind: p.input.kind,
    data: p.input.data,
  }));
  return { cursorFrame, eventFrames, frameBytes, events, stored };
}
