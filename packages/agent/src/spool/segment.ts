/**
 * Segment files (`spool-000001.seg`, …): append-only runs of frames. In memory each segment is a handful of
 * numbers plus a sparse index (one mark every {@link MARK_INTERVAL_BYTES}), so the spool never holds events.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { WireEvent } from '@wuwatch/core';
import { decodeFrame, decodeFrameRaw } from './frame.js';
import type { Decoded, FrameFault, RawEvent } from './frame.js';
import { readFully } from './fsutil.js';
import type { CursorRecord } from './cursor.js';

/** Bytes between two sparse-index marks: bounds how far a lookup by seq has to read. */
export const MARK_INTERVAL_BYTES = 64 * 1024;

/** Default read size when streaming frames from a segment. */
export const READ_CHUNK_BYTES = 256 * 1024;

const NAME = /^spool-(\d{6,})\.seg$/;

/** A sparse-index entry: the record `seq`, its byte offset and its position among the segment's records. */
export interface Mark {
  readonly seq: number;
  readonly offset: number;
  readonly index: number;
}

/** A `spool_dropped` report: `dropped` events with seqs in `fromSeq..toSeq` were lost; `seq` is its own. */
export interface DropReport {
  readonly seq: number;
  readonly dropped: number;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** Reads the report out of a stored `spool_dropped` event (null if its data is not one of ours). */
export function dropReportOf(event: WireEvent): DropReport | null {
  if (event.kind !== 'spool_dropped') return null;
  const { dropped, fromSeq, toSeq } = event.data;
  if (typeof dropped !== 'number' || typeof fromSeq !== 'number' || typeof toSeq !== 'number') return null;
  return { seq: event.seq, dropped, fromSeq, toSeq };
}

/** What the spool keeps in memory about one segment. Only committed (fsync'ed) frames are counted. */
export interface SegmentState {
  readonly no: number;
  readonly path: string;
  /** Committed bytes: every byte below this is a good, durable frame. */
  size: number;
  count: number;
  /** Seq of the first and last record; 0 while the segment is empty. */
  firstSeq: number;
  lastSeq: number;
  readonly marks: Mark[];
  /** The `spool_dropped` reports stored here: dropping this segment must carry them into the next report. */
  readonly reports: DropReport[];
  /** Set once the segment must not be written again (it is full, or a failed write left junk at its end). */
  sealed: boolean;
}

/** File name of segment number `no`. */
export function segmentFileName(no: number): string {
  return `spool-${String(no).padStart(6, '0')}.seg`;
}

/** Segment number encoded in a file name, or null when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | null {
  const m = NAME.exec(name);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** A fresh, empty segment state for number `no` in `dir`. */
export function emptySegment(dir: string, no: number): SegmentState {
  return {
    no,
    path: join(dir, segmentFileName(no)),
    size: 0,
    count: 0,
    firstSeq: 0,
    lastSeq: 0,
    marks: [],
    reports: [],
    sealed: false,
  };
}

/** Records a committed frame of `frameBytes` at `offset` holding `seq` (frames arrive in file order). */
export function noteFrame(seg: SegmentState, seq: number, offset: number, frameBytes: number): void {
  const last = seg.marks[seg.marks.length - 1];
  if (last === undefined || offset - last.offset >= MARK_INTERVAL_BYTES)
    seg.marks.push({ seq, offset, index: seg.count });
  if (seg.count === 0) seg.firstSeq = seq;
  seg.lastSeq = seq;
  seg.count += 1;
  seg.size = offset + frameBytes;
}

/** Records a committed cursor frame of `frameBytes` at `offset`: it takes room, but is no record of the queue. */
export function noteCursor(seg: SegmentState, offset: number, frameBytes: number): void {
  seg.size = offset + frameBytes;
}

/** One step of a frame stream: a decoded `E` or a cursor record at `offset`, or the fault that ends the stream there. */
export type FrameStep<E> =
  | {
      readonly offset: number;
      readonly event: E;
      readonly cursor?: undefined;
      readonly frameBytes: number;
      readonly fault?: undefined;
    }
  | {
      readonly offset: number;
      readonly event?: undefined;
      readonly cursor: CursorRecord;
      readonly frameBytes: number;
      readonly fault?: undefined;
    }
  | { readonly offset: number; readonly fault: FrameFault; readonly event?: undefined; readonly cursor?: undefined };

/** One step of {@link readFrames}. */
export type FrameItem = FrameStep<WireEvent>;

/** One step of a raw frame stream (see {@link readRawFrames}). */
export type RawFrameItem = FrameStep<RawEvent>;

async function* streamFrames<E>(
  fh: FileHandle,
  start: number,
  end: number,
  chunkBytes: number,
  decode: (buf: Buffer, pos: number) => Decoded<E>,
): AsyncGenerator<FrameStep<E>> {
  let buf = Buffer.alloc(0);
  let bufStart = start;
  let pos = 0;
  let fileOffset = start;
  for (;;) {
    const r = decode(buf, pos);
    if (r.ok) {
      const offset = bufStart + pos;
      yield r.cursor === undefined
        ? { offset, event: r.event, frameBytes: r.frameBytes }
        : { offset, cursor: r.cursor, frameBytes: r.frameBytes };
      pos += r.frameBytes;
      continue;
    }
    if (r.fault === 'torn' && fileOffset < end) {
      const keep = buf.subarray(pos);
      const toRead = Math.min(Math.max(chunkBytes, (r.needBytes ?? 0) - keep.length), end - fileOffset);
      // A new buffer each time (never reused): raw items are views into it and may outlive the next read.
      const next = Buffer.allocUnsafe(keep.length + toRead);
      keep.copy(next, 0);
      const got = await readFully(fh, next, keep.length, toRead, fileOffset);
      // A file shorter than `end` (cut under us) simply ends the stream where the bytes stop.
      if (got < toRead) end = fileOffset + got;
      bufStart += pos;
      pos = 0;
      fileOffset += got;
      buf = next.subarray(0, keep.length + got);
      continue;
    }
    if (pos === buf.length) return;
    yield { offset: bufStart + pos, fault: r.fault };
    return;
  }
}

/**
 * Streams the frames of an open segment between byte `start` and `end`, reading `chunkBytes` at a time.
 * Ends quietly at `end`; yields one fault item and stops at the first frame that does not decode.
 */
export function readFrames(
  fh: FileHandle,
  start: number,
  end: number,
  chunkBytes: number = READ_CHUNK_BYTES,
): AsyncGenerator<FrameItem> {
  return streamFrames(fh, start, end, chunkBytes, decodeFrame);
}

/**
 * {@link readFrames} for committed frames the spool sends on: checksum and seq checked, the JSON left as bytes
 * (see {@link decodeFrameRaw}).
 */
export function readRawFrames(
  fh: FileHandle,
  start: number,
  end: number,
  chunkBytes: number = READ_CHUNK_BYTES,
): AsyncGenerator<RawFrameItem> {
  return streamFrames(fh, start, end, chunkBytes, decodeFrameRaw);
}

/** Where a segment was found damaged on open. */
export interface SegmentCut {
  readonly offset: number;
  readonly lostBytes: number;
  readonly fault: FrameFault | 'bad_sequence';
}

/** Result of scanning one segment file. */
export interface SegmentScan {
  readonly segment: SegmentState;
  readonly fileBytes: number;
  readonly cut: SegmentCut | null;
  /** The cursor records kept (before the cut), in file order. */
  readonly cursors: readonly CursorRecord[];
}

/** What a segment state was before a cursor frame opened its batch: a batch cut short is rolled back to it. */
interface BatchStart {
  readonly offset: number;
  /** Event frames of the append still to come. */
  left: number;
  readonly size: number;
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly marks: number;
  readonly reports: number;
  readonly cursors: number;
}

function rollBack(seg: SegmentState, b: BatchStart, cursors: CursorRecord[]): void {
  seg.size = b.size;
  seg.count = b.count;
  seg.firstSeq = b.firstSeq;
  seg.lastSeq = b.lastSeq;
  seg.marks.splice(b.marks);
  seg.reports.splice(b.reports);
  cursors.splice(b.cursors);
}

/**
 * Scans segment `no` from the start, rebuilding its state. Stops at the first bad frame or at a seq not above
 * `afterSeq`/the previous record (which only damage can produce); an append whose cursor frame names a last seq the
 * segment does not reach was cut short, and is cut whole. The caller decides what to do with the cut.
 */
export async function scanSegment(
  dir: string,
  no: number,
  afterSeq: number,
  chunkBytes?: number,
): Promise<SegmentScan> {
  const segment = emptySegment(dir, no);
  const cursors: CursorRecord[] = [];
  const fh = await open(segment.path, 'r');
  try {
    const fileBytes = (await fh.stat()).size;
    let prev = afterSeq;
    let batch: BatchStart | null = null;
    let cut: SegmentCut | null = null;
    for await (const item of readFrames(fh, 0, fileBytes, chunkBytes)) {
      if (item.fault !== undefined) {
        cut = { offset: item.offset, lostBytes: fileBytes - item.offset, fault: item.fault };
        break;
      }
      if (item.cursor !== undefined) {
        if (batch !== null) {
          // A cursor inside another append's events: only damage writes that.
          cut = { offset: item.offset, lostBytes: fileBytes - item.offset, fault: 'bad_sequence' };
          break;
        }
        const s = segment;
        batch =
          item.cursor.events > 0
            ? {
                offset: item.offset,
                left: item.cursor.events,
                size: s.size,
                count: s.count,
                firstSeq: s.firstSeq,
                lastSeq: s.lastSeq,
                marks: s.marks.length,
                reports: s.reports.length,
                cursors: cursors.length,
              }
            : null;
        cursors.push(item.cursor);
        noteCursor(segment, item.offset, item.frameBytes);
        continue;
      }
      if (item.event.seq <= prev) {
        cut = { offset: item.offset, lostBytes: fileBytes - item.offset, fault: 'bad_sequence' };
        break;
      }
      prev = item.event.seq;
      noteFrame(segment, item.event.seq, item.offset, item.frameBytes);
      const report = dropReportOf(item.event);
      if (report !== null) segment.reports.push(report);
      if (batch !== null && --batch.left === 0) batch = null;
    }
    if (batch !== null) {
      // The append the cursor opened did not make it whole: neither its events nor its cursor count.
      rollBack(segment, batch, cursors);
      cut = { offset: batch.offset, lostBytes: fileBytes - batch.offset, fault: cut?.fault ?? 'torn' };
    }
    return { segment, fileBytes, cut, cursors };
  } finally {
    await fh.close();
  }
}

/** Position of the first record with seq above some bound: byte offset, record index and its seq (null: none). */
export interface SegmentPosition {
  readonly offset: number;
  readonly index: number;
  readonly seq: number | null;
}

/** Last mark whose seq is ≤ `seq` (the segment must be non-empty and start at or below `seq`). */
function markAtOrBefore(marks: readonly Mark[], seq: number): Mark {
  let lo = 0;
  let hi = marks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((marks[mid] as Mark).seq <= seq) lo = mid;
    else hi = mid - 1;
  }
  return marks[lo] as Mark;
}

/** Finds the first record of `seg` with seq > `afterSeq`, reading at most one mark interval from disk. */
export async function positionAfter(
  seg: SegmentState,
  afterSeq: number,
  chunkBytes?: number,
): Promise<SegmentPosition> {
  if (seg.count === 0 || afterSeq < seg.firstSeq)
    return { offset: 0, index: 0, seq: seg.count === 0 ? null : seg.firstSeq };
  if (afterSeq >= seg.lastSeq) return { offset: seg.size, index: seg.count, seq: null };
  const mark = markAtOrBefore(seg.marks, afterSeq);
  const fh = await open(seg.path, 'r');
  try {
    let index = mark.index;
    for await (const item of readFrames(fh, mark.offset, seg.size, chunkBytes)) {
      if (item.fault !== undefined) break;
      if (item.cursor !== undefined) continue;
      if (item.event.seq > afterSeq) return { offset: item.offset, index, seq: item.event.seq };
      index++;
    }
  } finally {
    await fh.close();
  }
  // Committed bytes decoded on open; failing now means the disk changed under us.
  throw new Error(`segment ${seg.path} no longer decodes below its committed size`);
}
