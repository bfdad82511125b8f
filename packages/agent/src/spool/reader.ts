/**
 * Reading stored events in seq order straight from the segment files, a chunk at a time, for `peek`.
 * Runs beside appends and acks: it reads a snapshot of committed extents and skips segments deleted meanwhile.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { WireEvent } from '@wuwatch/core';
import { FRAME_HEADER_BYTES } from './frame.js';
import type { RawEvent } from './frame.js';
import { errorCode } from './fsutil.js';
import { readFrames, readRawFrames } from './segment.js';
import type { FrameStep, SegmentPosition, SegmentState } from './segment.js';
import type { SpoolLogger } from './types.js';

/** What a read may return: events after `afterSeq`, at most `maxCount` of them and `maxBytes` of payload. */
export interface ReadLimits {
  readonly afterSeq: number;
  readonly maxCount: number;
  readonly maxBytes: number;
}

/** The spool services a read uses. */
export interface ReadContext {
  /** Position of the first record after a seq in a segment (cached or looked up). */
  locate(seg: SegmentState, afterSeq: number): Promise<SegmentPosition>;
  /** Keeps the position following `afterSeq` for the next read or ack. */
  remember(afterSeq: number, no: number, pos: SegmentPosition): void;
  readonly chunkBytes: number;
  readonly logger: SpoolLogger;
}

type FrameReader<E> = (fh: FileHandle, start: number, end: number, chunkBytes: number) => AsyncGenerator<FrameStep<E>>;

/**
 * Events after `limits.afterSeq` in order. The byte limit counts JSON payloads and never stops the first
 * event, so one large event cannot stall the sender.
 */
export function readAfter(
  segments: readonly SegmentState[],
  limits: ReadLimits,
  ctx: ReadContext,
): Promise<WireEvent[]> {
  return collectAfter(segments, limits, ctx, readFrames);
}

/** {@link readAfter} returning each event's stored JSON bytes instead of a parsed event. */
export function readRawAfter(
  segments: readonly SegmentState[],
  limits: ReadLimits,
  ctx: ReadContext,
): Promise<RawEvent[]> {
  return collectAfter(segments, limits, ctx, readRawFrames);
}

async function collectAfter<E extends { readonly seq: number }>(
  segments: readonly SegmentState[],
  limits: ReadLimits,
  ctx: ReadContext,
  read: FrameReader<E>,
): Promise<E[]> {
  const { afterSeq, maxCount, maxBytes } = limits;
  const out: E[] = [];
  let bytes = 0;
  for (const seg of segments) {
    if (seg.count === 0 || seg.lastSeq <= afterSeq) continue;
    let fh: FileHandle;
    let pos: SegmentPosition;
    try {
      pos = await ctx.locate(seg, afterSeq);
      fh = await open(seg.path, 'r');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue; // acknowledged or dropped while we looked
      throw err;
    }
    try {
      let index = pos.index;
      for await (const item of read(fh, pos.offset, seg.size, ctx.chunkBytes)) {
        if (item.fault !== undefined) {
          // Bytes that decoded on open no longer do: the disk changed under us. Never deliver them.
          ctx.logger.error(
            { file: seg.path, offset: item.offset, fault: item.fault },
            'spool: stored frame unreadable; skipping the rest of the segment',
          );
          break;
        }
        if (item.cursor !== undefined) continue; // a producer's cursor, not an event
        const payload = item.frameBytes - FRAME_HEADER_BYTES;
        const last = out[out.length - 1];
        if (last !== undefined && (out.length >= maxCount || bytes + payload > maxBytes)) {
          ctx.remember(last.seq, seg.no, { offset: item.offset, index, seq: item.event.seq });
          return out;
        }
        out.push(item.event);
        bytes += payload;
        index++;
      }
    } finally {
      await fh.close();
    }
    if (out.length >= maxCount) break;
  }
  return out;
}
