/**
 * The agent's durable spool: an append-only, segmented, checksummed queue of outgoing events on disk.
 * Events get strictly increasing seqs, are fsync'ed before `append` resolves, are read back in order by
 * `peek`, and are deleted only once acknowledged (or, when the disk budget is exhausted, dropped oldest-first
 * with a `spool_dropped` event reporting the loss). Appends and acks run one at a time; peeks run beside them.
 * An append may carry a producer's cursor (see cursor.ts), committed in the same write and fsync as its events.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isWuwatchError, makeError } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { encodeFrameBodies, encodePayload, eventBody, frameSize } from './frame.js';
import { cursorPayload, cursorValueJson } from './cursor.js';
import type { CursorInput, CursorRecord } from './cursor.js';
import type { RawEvent } from './frame.js';
import { fsyncDir, unlinkIfExists, writeFully } from './fsutil.js';
import { diskBytes, mergeDrop, pendingOf, planDrop, totalPending } from './ledger.js';
import type { AckBoundary } from './ledger.js';
import { writeMeta } from './meta.js';
import type { PendingDrop } from './meta.js';
import { prepareEvent } from './prepare.js';
import type { PreparedEvent } from './prepare.js';
import { resolveOptions } from './options.js';
import { recover } from './recovery.js';
import { appendSetAside } from './set-aside.js';
import { readAfter, readRawAfter } from './reader.js';
import type { ReadContext } from './reader.js';
import { emptySegment, noteCursor, noteFrame, positionAfter } from './segment.js';
import type { SegmentPosition, SegmentState } from './segment.js';
import type { SpoolDroppedData, SpoolInput, SpoolLogger, SpoolOpenReport, SpoolOptions } from './types.js';

/** Lifecycle of a spool. */
export type SpoolState = 'opening' | 'open' | 'closing' | 'closed';

const TRANSITIONS: Readonly<Record<SpoolState, readonly SpoolState[]>> = {
  opening: ['open', 'closed'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

const HINTS_KEPT = 8;
/** Bytes of a cursor frame besides its value: header, keys, generation, count and key, generously. */
const CURSOR_FRAME_BYTES = 128;
/** Room kept in every size estimate for a `spool_dropped` event the append may have to add. */
const DROP_EVENT_BYTES = 256;

function ioError(what: string, err: unknown): Error {
  return isWuwatchError(err) ? err : makeError('SPOOL_IO', [`${what}: ${String(err)}`], undefined, err);
}

/** A durable, bounded, crash-safe queue of outgoing events. Create with {@link Spool.open}. */
export class Spool {
  #state: SpoolState = 'opening';
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly chunkBytes: number;
  private readonly logger: SpoolLogger;
  private readonly now: () => Date;
  private segments: SegmentState[] = [];
  private nextSegmentNo = 1;
  /** Write handle of the newest segment while it takes appends. */
  private writeFh: FileHandle | null = null;
  private seqHigh = 0;
  private acked = 0;
  private boundary: AckBoundary | null = null;
  private pendingDrop: PendingDrop | null = null;
  private dropped = 0;
  private report: SpoolOpenReport | null = null;
  /** Known positions by seq (position of the first record after it), left by peeks for the next peek/ack. */
  private readonly hints = new Map<number, { no: number; pos: SegmentPosition }>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | null = null;
  /** Highest seq an `ack` call asked for. */
  private ackTarget = 0;
  /** The acknowledgement queued and not started yet: later acks join it (one meta save for all). */
  private ackQueued: Promise<void> | null = null;
  /** The latest committed cursor of each producer. */
  private cursors = new Map<string, CursorRecord>();
  private cursorGen = 0;

  private constructor(options: SpoolOptions) {
    ({
      dir: this.dir,
      maxBytes: this.maxBytes,
      segmentBytes: this.segmentBytes,
      chunkBytes: this.chunkBytes,
      logger: this.logger,
      now: this.now,
    } = resolveOptions(options));
  }

  /** Opens (creating if needed) the spool in `options.dir`, repairing what a crash left behind. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    try {
      await spool.load();
    } catch (err) {
      await spool.writeFh?.close().catch(() => undefined);
      spool.transition('closed');
      throw ioError(`opening ${options.dir}`, err);
    }
    spool.transition('open');
    return spool;
  }

  /** Current lifecycle state. */
  get state(): SpoolState {
    return this.#state;
  }
  /** Highest acknowledged seq. */
  get ackedSeq(): number {
    return this.acked;
  }
  /** Highest seq ever assigned (0 for a new spool). */
  get lastSeq(): number {
    return this.seqHigh;
  }
  /** Stored events not yet acknowledged. */
  get pendingCount(): number {
    return totalPending(this.segments, this.acked, this.boundary).count;
  }
  /** On-disk bytes (frames included) of the events not yet acknowledged. */
  get pendingBytes(): number {
    return totalPending(this.segments, this.acked, this.boundary).bytes;
  }
  /** Bytes all segments occupy on disk, acknowledged records included. */
  get diskBytes(): number {
    return diskBytes(this.segments);
  }
  /** Unacknowledged events dropped for space since this spool was opened. */
  get droppedCount(): number {
    return this.dropped;
  }
  /** The value of the latest cursor committed under `key` (by this run or one before it), null if none. */
  cursor(key: string): Record<string, unknown> | null {
    return this.cursors.get(key)?.value ?? null;
  }

  /** What {@link Spool.open} found and repaired. */
  get openReport(): SpoolOpenReport {
    if (this.report === null) throw makeError('SPOOL_CLOSED', [this.#state]);
    return this.report;
  }

  /**
   * Numbers and durably stores `events` (one write and one fsync for the batch), with `cursor` when given: the
   * producer's position after these events, committed with them or not at all. Resolves with the events once on disk.
   */
  append(events: readonly SpoolInput[], cursor?: CursorInput): Promise<WireEvent[]> {
    try {
      this.assertOpen();
      const prepared = events.map(prepareEvent);
      if (prepared.length === 0 && cursor === undefined) return Promise.resolve([]);
      const mark = cursor === undefined ? undefined : { ...cursor, json: cursorValueJson(cursor) };
      return this.exclusive(() => this.write(prepared, mark)).catch((err: unknown) => {
        throw ioError(`appending to ${this.dir}`, err);
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Stored events with seq > `afterSeq`, in order: at most `maxCount`, and at most `maxBytes` of JSON payload
   * (but always at least one event when one exists, so an oversized event cannot stall the sender).
   */
  async peek(afterSeq: number, maxCount: number, maxBytes: number): Promise<WireEvent[]> {
    const snapshot = this.peekSnapshot('peek', afterSeq, maxCount, maxBytes);
    try {
      return await readAfter(snapshot, { afterSeq, maxCount, maxBytes }, this.readContext());
    } catch (err) {
      throw ioError(`reading ${this.dir}`, err);
    }
  }

  /**
   * {@link Spool.peek} with each event as its stored JSON (`{"seq":…,"time":…,"kind":…,"data":…}`, exactly what
   * `JSON.stringify` gives for the event `peek` returns), for a sender that puts it on the wire as it is.
   */
  async peekRaw(afterSeq: number, maxCount: number, maxBytes: number): Promise<RawEvent[]> {
    const snapshot = this.peekSnapshot('peekRaw', afterSeq, maxCount, maxBytes);
    try {
      return await readRawAfter(snapshot, { afterSeq, maxCount, maxBytes }, this.readContext());
    } catch (err) {
      throw ioError(`reading ${this.dir}`, err);
    }
  }

  /** Checks peek arguments; a snapshot of the committed extents (appends landing meanwhile wait for the next peek). */
  private peekSnapshot(what: string, afterSeq: number, maxCount: number, maxBytes: number): SegmentState[] {
    this.assertOpen();
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0 || !(maxCount >= 1) || !(maxBytes >= 1)) {
      throw makeError('BAD_REQUEST', [`${what}(${afterSeq}, ${maxCount}, ${maxBytes})`]);
    }
    return this.segments.map((s) => ({ ...s }));
  }

  private readContext(): ReadContext {
    return {
      locate: (seg: SegmentState, after: number) => this.locate(seg, after),
      remember: (after: number, no: number, pos: SegmentPosition) => this.remember(after, no, pos),
      chunkBytes: this.chunkBytes,
      logger: this.logger,
    };
  }

  /**
   * Records that the collector stored every event with seq ≤ `upToSeq` and deletes segments holding only such
   * events. An ack above `lastSeq` (the collector knows seqs this spool lost) moves numbering past it.
   */
  ack(upToSeq: number): Promise<void> {
    try {
      this.assertOpen();
      if (!Number.isSafeInteger(upToSeq) || upToSeq < 0) throw makeError('BAD_REQUEST', [`ack(${upToSeq})`]);
      this.ackTarget = Math.max(this.ackTarget, upToSeq);
      // Acks arriving while one waits behind an append ride along with it: one meta save covers the highest.
      this.ackQueued ??= this.exclusive(() => {
        this.ackQueued = null;
        return this.acknowledge(this.ackTarget);
      }).catch((err: unknown) => {
        throw ioError(`acknowledging in ${this.dir}`, err);
      });
      return this.ackQueued;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Moves the first unacknowledged event (`seq` must be it) to the set-aside file with `reason`, then acknowledges
   * it, so delivery goes on with the next one; resolves with the set-aside file's path. For an event the collector
   * refused again and again: it stays on disk, out of the queue.
   */
  setAside(seq: number, reason: string): Promise<string> {
    try {
      this.assertOpen();
      return this.exclusive(async () => {
        if (seq !== this.acked + 1) {
          throw makeError('BAD_REQUEST', [`setAside(${seq}): only the first unacknowledged event (${this.acked + 1})`]);
        }
        const [event] = await readRawAfter(
          this.segments.map((s) => ({ ...s })),
          { afterSeq: this.acked, maxCount: 1, maxBytes: Number.MAX_SAFE_INTEGER },
          this.readContext(),
        );
        if (event?.seq !== seq) throw makeError('BAD_REQUEST', [`setAside(${seq}): no such event in the spool`]);
        const file = await appendSetAside(this.dir, [event.json], reason, this.now());
        await this.acknowledge(seq);
        return file;
      }).catch((err: unknown) => {
        throw ioError(`setting aside in ${this.dir}`, err);
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Waits for queued appends, saves the meta file and closes; calling it again returns the same promise. */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    if (this.#state !== 'open') return Promise.resolve();
    this.transition('closing');
    this.closed = (async () => {
      await this.queue;
      try {
        await this.saveMeta();
      } catch (err) {
        this.logger.error({ err: String(err) }, 'spool: could not save the meta file on close');
      } finally {
        await this.writeFh?.close().catch(() => undefined);
        this.writeFh = null;
        this.transition('closed');
      }
    })();
    return this.closed;
  }

  private transition(to: SpoolState): void {
    if (!TRANSITIONS[this.#state].includes(to)) throw makeError('INTERNAL', [`spool state ${this.#state} → ${to}`]);
    this.#state = to;
  }

  private assertOpen(): void {
    if (this.#state !== 'open') throw makeError('SPOOL_CLOSED', [this.#state]);
  }

  /** Runs `task` after every queued append/ack: the write side is strictly serial. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<void> {
    const rec = await recover(this.dir, this.logger, this.chunkBytes);
    this.segments = rec.segments;
    this.nextSegmentNo = rec.nextSegmentNo;
    this.seqHigh = rec.lastSeq;
    this.acked = rec.meta.ackedSeq;
    this.report = rec.report;
    this.cursors = rec.cursors;
    this.cursorGen = rec.cursorGen;
    await this.computeBoundary();
    const pd = rec.meta.pendingDrop;
    // The report was written iff some stored or acknowledged seq reached the seq it was to take.
    if (pd !== null && Math.max(rec.storedMaxSeq, this.acked) < pd.seq) {
      this.pendingDrop = { ...pd, seq: this.seqHigh + 1 };
      try {
        await this.write([]);
      } catch (err) {
        // Not fatal: the report stays pending and goes out with the next append.
        this.logger.error({ err: String(err) }, 'spool: could not write the pending spool_dropped event');
      }
    }
  }

  private remember(afterSeq: number, no: number, pos: SegmentPosition): void {
    this.hints.delete(afterSeq);
    this.hints.set(afterSeq, { no, pos });
    if (this.hints.size > HINTS_KEPT) this.hints.delete(this.hints.keys().next().value as number);
  }

  private locate(seg: SegmentState, afterSeq: number): Promise<SegmentPosition> {
    const hint = this.hints.get(afterSeq);
    if (hint !== undefined && hint.no === seg.no) return Promise.resolve(hint.pos);
    return positionAfter(seg, afterSeq, this.chunkBytes);
  }

  /** Finds where the unacknowledged records start in the segment straddling the acknowledged seq. */
  private async computeBoundary(): Promise<void> {
    this.boundary = null;
    for (const seg of this.segments) {
      if (seg.count === 0 || seg.firstSeq > this.acked) continue;
      if (seg.lastSeq > this.acked || seg === this.writable()) {
        this.boundary = { no: seg.no, pos: await this.locate(seg, this.acked) };
        return;
      }
    }
  }

  /** The segment appends go to, if it exists and is not sealed. */
  private writable(): SegmentState | null {
    const last = this.segments[this.segments.length - 1];
    return last !== undefined && !last.sealed ? last : null;
  }

  private saveMeta(): Promise<void> {
    return writeMeta(this.dir, {
      version: 1,
      ackedSeq: this.acked,
      lastSeq: this.seqHigh,
      pendingDrop: this.pendingDrop,
      cursors: this.cursors,
    });
  }

  private async seal(seg: SegmentState): Promise<void> {
    seg.sealed = true;
    const fh = this.writeFh;
    this.writeFh = null;
    await fh?.close();
  }

  /** The writable segment and its handle, starting a new segment file when there is none. */
  private async writeTarget(): Promise<{ seg: SegmentState; fh: FileHandle }> {
    let seg = this.writable();
    if (seg === null) {
      seg = emptySegment(this.dir, this.nextSegmentNo++);
      this.writeFh = await open(seg.path, 'wx');
      this.segments.push(seg);
      await fsyncDir(this.dir); // the new name must survive a crash along with the data fsync'ed into it
    } else if (this.writeFh === null) {
      this.writeFh = await open(seg.path, 'r+');
    }
    return { seg, fh: this.writeFh };
  }

  /** Deletes segment files (already removed from the list), then makes the removals durable. */
  private async deleteFiles(victims: readonly SegmentState[]): Promise<void> {
    for (const seg of victims) await unlinkIfExists(seg.path);
    if (victims.length > 0) await fsyncDir(this.dir);
  }

  /** Drops the oldest segments when `incoming` bytes would overflow the budget; records the loss to report. */
  private async makeRoom(incoming: number): Promise<void> {
    const plan = planDrop(this.segments, this.writable(), this.acked, this.boundary, incoming, this.maxBytes);
    if (plan === null) return;
    if (plan.dropped > 0) this.pendingDrop = mergeDrop(this.pendingDrop, plan, this.seqHigh + 1);
    // Meta first: if we crash after deleting, the reopened spool still owes the collector the drop report.
    await this.saveMeta();
    this.segments = this.segments.filter((s) => !plan.victims.includes(s));
    if (this.boundary !== null && plan.victims.some((s) => s.no === this.boundary?.no)) this.boundary = null;
    await this.deleteFiles(plan.victims);
    this.dropped += plan.lost;
    if (plan.lost > 0) {
      this.logger.warn(
        { dropped: plan.lost, fromSeq: plan.fromSeq, toSeq: plan.toSeq, maxBytes: this.maxBytes },
        'spool full: dropped the oldest unacknowledged events',
      );
    }
  }

  private async write(
    prepared: readonly PreparedEvent[],
    cursor?: CursorInput & { readonly json: string },
  ): Promise<WireEvent[]> {
    // Sized with the largest seq the batch can reach, so the estimate is never below the real size.
    const topSeq = this.seqHigh + prepared.length + 1;
    const cursorBytes = cursor === undefined ? 0 : CURSOR_FRAME_BYTES + Buffer.byteLength(cursor.json, 'utf8');
    const estimate = prepared.reduce((n, p) => n + frameSize(topSeq, p.bodyBytes), 0) + DROP_EVENT_BYTES + cursorBytes;
    const current = this.writable();
    if (current !== null && current.size > 0 && current.size + estimate > this.segmentBytes) await this.seal(current);
    await this.makeRoom(estimate);
    const drop = this.pendingDrop;
    const events = prepared.length + (drop === null ? 0 : 1);
    const cursorFrame =
      cursor === undefined ? null : encodePayload(cursorPayload(this.cursorGen + 1, events, cursor.key, cursor.json));
    const bodies: string[] = [];
    if (drop !== null) {
      const data: SpoolDroppedData = {
        dropped: drop.dropped,
        fromSeq: drop.fromSeq,
        toSeq: drop.toSeq,
        reason: 'spool_full',
      };
      bodies.push(eventBody(this.now().toISOString(), 'spool_dropped', JSON.stringify(data)));
    }
    const bodyBytes = bodies.map((b) => Buffer.byteLength(b, 'utf8'));
    const firstUserSeq = this.seqHigh + 1 + bodies.length;
    for (const p of prepared) {
      bodies.push(p.body);
      bodyBytes.push(p.bodyBytes);
    }
    // The whole batch as one buffer: one write and one fsync per append.
    const frameBytes: number[] = [];
    const eventFrames = encodeFrameBodies(this.seqHigh + 1, bodies, bodyBytes, frameBytes);
    const stored = prepared.map((p, i): WireEvent => ({
      seq: firstUserSeq + i,
      time: p.input.time,
      kind: p.input.kind,
      data: p.input.data,
    }));
    const { seg, fh } = await this.writeTarget();
    const start = seg.size;
    try {
      // The cursor first: it says how many event frames follow, so an append cut short is cut whole on open. Two
      // writes (no copy of the batch), one fsync.
      if (cursorFrame === null) await writeFully(fh, eventFrames, start);
      else {
        await writeFully(fh, cursorFrame, start);
        await writeFully(fh, eventFrames, start + cursorFrame.length);
      }
      await fh.sync();
    } catch (err) {
      await this.abandonTail(seg, fh, start);
      throw ioError(`writing ${seg.path}`, err);
    }
    let offset = start;
    if (cursorFrame !== null && cursor !== undefined) {
      noteCursor(seg, offset, cursorFrame.length);
      offset += cursorFrame.length;
      this.cursorGen += 1;
      this.cursors.set(cursor.key, { gen: this.cursorGen, events, key: cursor.key, value: cursor.value });
    }
    for (const [i, size] of frameBytes.entries()) {
      noteFrame(seg, this.seqHigh + 1 + i, offset, size);
      offset += size;
    }
    // A boundary parked at the end of a fully acknowledged segment now knows its first unacknowledged seq.
    if (this.boundary?.no === seg.no && this.boundary.pos.seq === null && this.boundary.pos.offset === start) {
      this.boundary.pos = { ...this.boundary.pos, seq: this.seqHigh + 1 };
    }
    if (drop !== null) seg.reports.push({ ...drop, seq: this.seqHigh + 1 });
    this.seqHigh += frameBytes.length;
    this.pendingDrop = null;
    return stored;
  }

  /** After a failed write, cut the partial bytes; if even that fails, never write to this segment again. */
  private async abandonTail(seg: SegmentState, fh: FileHandle, committed: number): Promise<void> {
    try {
      await fh.truncate(committed);
    } catch (err) {
      this.logger.error(
        { file: seg.path, err: String(err) },
        'spool: could not cut a failed write; sealing the segment',
      );
      await this.seal(seg).catch(() => undefined);
    }
  }

  private async acknowledge(upToSeq: number): Promise<void> {
    if (upToSeq <= this.acked) return;
    if (upToSeq > this.seqHigh) {
      this.logger.warn(
        { upToSeq, lastSeq: this.seqHigh },
        'spool: collector acknowledged seqs this spool never wrote; numbering continues after them',
      );
      this.seqHigh = upToSeq;
      if (this.pendingDrop !== null) this.pendingDrop = { ...this.pendingDrop, seq: upToSeq + 1 };
    }
    this.acked = upToSeq;
    await this.computeBoundary();
    await this.saveMeta();
    const writable = this.writable();
    const victims = this.segments.filter((s) => s !== writable && pendingOf(s, this.acked, null).count === 0);
    this.segments = this.segments.filter((s) => !victims.includes(s));
    await this.deleteFiles(victims);
  }
}
