/**
 * Positions a read already found, kept so the next read or acknowledgement starting at the same seq need not
 * scan a segment for it again (a sender peeks after seq N, then acks N+k and peeks after N+k).
 */
import { positionAfter } from './segment.js';
import type { SegmentPosition, SegmentState } from './segment.js';

/** Positions kept: a few peeks in flight and the ack that follows each. */
const HINTS_KEPT = 8;

/** A small cache of segment positions by seq, oldest forgotten first. */
export class PositionHints {
  /** Position of the first record after each seq, with the number of the segment it is in. */
  readonly #hints = new Map<number, { no: number; pos: SegmentPosition }>();
  readonly #chunkBytes: number;

  constructor(chunkBytes: number) {
    this.#chunkBytes = chunkBytes;
  }

  /** Keeps `pos`, the first record after `afterSeq` in segment `no`, forgetting the oldest hint beyond the limit. */
  remember(afterSeq: number, no: number, pos: SegmentPosition): void {
    // Delete first so a refreshed hint moves to the newest end of the insertion order.
    this.#hints.delete(afterSeq);
    this.#hints.set(afterSeq, { no, pos });
    if (this.#hints.size > HINTS_KEPT) this.#hints.delete(this.#hints.keys().next().value as number);
  }

  /** Position of the first record of `seg` after `afterSeq`: the remembered one, else looked up on disk. */
  locate(seg: SegmentState, afterSeq: number): Promise<SegmentPosition> {
    const hint = this.#hints.get(afterSeq);
    if (hint !== undefined && hint.no === seg.no) return Promise.resolve(hint.pos);
    return positionAfter(seg, afterSeq, this.#chunkBytes);
  }
}
